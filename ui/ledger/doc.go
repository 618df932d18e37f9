// Package ledger is the Ledger tab of QKD Chat and the conflict banner
// above the tabs: it browses, searches, verifies, proves and exports the
// node's signed ledger, and warns of standing checkpoint conflicts.
//
// The pane is built from only what it uses: the node's audit.Auditor and
// an Env (how to run work off the UI goroutine, contacts' names, the
// status line). Package ui composes it into the shell and marks it stale
// on the node's ledger events.
package ledger
