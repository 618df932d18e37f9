// Package ledger is the tamper-evident store of QKD Chat: the paper's
// Blockchain Layer (Section IV.E, Eq. 8-10, Algorithm 3) on bbolt, with the
// holes of a plain hash chain closed.
//
// Every message a peer sends or receives is a Transaction: ciphertext (a
// Fernet token) with its kind, sender, recipient, case and time, signed by
// the sender's Ed25519 Identity. Both peers append the same signed
// transaction, so both hold the same TxID for it.
//
// Transactions are the leaves of an RFC 6962 Merkle tree
// (golang.org/x/mod/sumdb/tlog) whose hashes are stored next to them. Blocks
// are cut every Options.BlockMaxTx transactions or Options.BlockMaxAge; a
// block header holds its height, the previous block's hash, its time, its
// transaction count and the tree head (size and root) over all transactions
// so far, and its hash (CalculateHash, Eq. 8) covers all of that, so it
// commits to every transaction before it.
//
// Whoever holds a plain hash chain can rewrite it and recompute every hash.
// Here the ledger signs checkpoints (signed notes of origin, tree size and
// root, golang.org/x/mod/sumdb/note) and exchanges them with peers, who
// cosign a checkpoint only after a consistency proof from the last one they
// saw. A rewrite then contradicts a checkpoint held by someone else, and a
// peer's two conflicting signed checkpoints are stored as proof.
//
// Append is durable when it returns, but it does not wait for a bbolt
// commit, which would rewrite every B+tree page the transaction touches and
// sync twice. It writes the transaction to a journal next to the database
// (two files, ledger.db-journal.0 and .1, used in turn) with one small
// sequential write and one fdatasync, shared by all appends waiting at that
// moment; a background goroutine moves journalled transactions into bbolt
// in large batches. Every read first waits until bbolt holds every append
// that returned before it, so callers see one consistent ledger, and Open
// recovers what the journal holds after a crash. Close leaves the journal
// empty. Every journal record carries its own checksums, so recovery
// reads past a damaged one (and mends one changed byte); an acknowledged
// transaction it still cannot read back is recorded in the ledger as a
// JournalLoss, which fails Verify and CheckJournalLoss (a
// *JournalLossError) until AcknowledgeJournalLoss.
//
// Verify recomputes every signature, tree hash and block hash and reports
// the first bad height; ProveInclusion gives an offline-checkable proof of
// one transaction; Export writes a JSON Lines audit file that VerifyExport
// checks without the database.
//
// The package knows nothing of networking or of the user interface.
package ledger
