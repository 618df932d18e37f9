// Package audit reads and checks a ledger for a front end: it verifies,
// browses, exports and proves a ledger, audits one export against a
// peer's, and does the few owner's acts on the ledger's records
// (checkpoint, dismiss a conflict, acknowledge a journal loss), on a
// running node's ledger (node.Node.Auditor) or on a data directory with
// no node running (Open). Every result is a value of this package, so
// that the front ends need neither package ledger nor bbolt, fernet or
// tlog. It never imports package node.
package audit
