// Package nodetest holds the helpers the tests of every package above the
// node share (ui and its sub-packages, cli, bench): a real node in a
// temporary data directory with a profile, two nodes paired over
// 127.0.0.1 until both hold a key, waiting for an event or for a
// condition with a timeout and a failure message that says what was
// awaited, a data directory whose ledger journal a crash wiped, the job
// runners of a pane (Inline, which does its work at once, and Jobs, which
// runs it on goroutines and reports back under one lock standing for the
// UI goroutine), and Walk and FindButton, which search a Fyne widget
// tree.
//
// It imports node, so the node's own (internal) tests cannot use it;
// what they share with the packages above lives below the node, in
// identity/identitytest and ledger/ledgertest. e2e drives the binaries
// and shares nothing with it by design.
package nodetest
