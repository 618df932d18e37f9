// Package datadir names the files of a QKD Chat data directory and
// explains a damaged one in words a user understands (DamagedFileError),
// so that the node, which opens a data directory, and the auditor
// (package node/audit), which reads its ledger with no node running, give
// the same verdict in the same words.
package datadir
