// Package delivery sends a node's outbox over a session exactly once: the
// outbox courier, its acknowledgements and chunked attachment transfers.
// It handles the session's frames 0x52..0x56 (session.Handler) and hands
// the messages it accepts to an Acceptor; it knows nothing of the
// workflow those messages belong to.
//
// Node.Send and the workflow (PHR, referral, report)
// put each message in a persistent per-contact outbox in state.db first
// (state queued). Whenever a session with the contact has a key, the
// session's courier sends the outbox in order: first each attachment, in
// acknowledged chunks that resume where the peer's copy ends, then the
// message, sealed under the current epoch key and signed (state sent).
// Every signed attempt is kept in the outbox item, as ciphertext.
//
// The receiver records the message ID as seen (with the TxID it is about
// to append), appends the transaction to its ledger and acknowledges with
// the message ID and that TxID. The sender then appends the very attempt
// the peer recorded to its own ledger and deletes the item (delivered),
// so both ledgers hold one identical transaction per message. A resend
// after a crash carries the same message ID: the receiver acknowledges it
// with the TxID it already holds and appends nothing.
//
// The plain session.Send path is not queued: it is immediate.
package delivery
