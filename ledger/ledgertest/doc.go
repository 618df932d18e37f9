// Package ledgertest builds the ledgers the tests of the packages above
// the ledger start from: signed chat transactions between two
// identities, a data directory holding them, and a journal wiped as a
// crash can leave it. It imports only identity and ledger, so the node's
// own (internal) tests can use it as well as those of cli and ui.
package ledgertest
