package node

import "qkdchat/store"

// Attachments are files that travel with a PHR or a report (PDFs, images,
// lab results as CSV), stored encrypted by package store.

// AttachmentChunkSize is the plaintext size of one stored and transferred
// chunk. A chunk's Fernet token (about 4/3 of it) fits a 1 MiB frame.
const AttachmentChunkSize = store.AttachmentChunkSize

// DefaultMaxAttachment is the default limit on one attachment (25 MB).
const DefaultMaxAttachment = store.DefaultMaxAttachment

// AttachmentInfo describes an attachment of a case (package store).
type AttachmentInfo = store.AttachmentInfo

// AttachmentTooLargeError refuses a file above the attachment limit.
type AttachmentTooLargeError = store.AttachmentTooLargeError

// ErrNoAttachment means the attachment is not (or not completely) stored
// on this node.
var ErrNoAttachment = store.ErrNoAttachment

func parseDigest(s string) ([32]byte, error) { return store.ParseDigest(s) }

func truncateString(s string, n int) string { return store.TruncateString(s, n) }

// ReadAttachment returns the plain content of a stored attachment, by its
// hex SHA-256 digest, after checking it against the digest.
func (cl *Clinic) ReadAttachment(sha256hex string) ([]byte, error) {
	n := cl.n
	return n.store.Attachments(n.recordKey()).Read(sha256hex)
}

// SaveAttachment writes the plain content of a stored attachment to dst.
func (cl *Clinic) SaveAttachment(sha256hex, dst string) error {
	n := cl.n
	return n.store.Attachments(n.recordKey()).Save(sha256hex, dst)
}

// HumanSize is n bytes the way a user reads them: "18 bytes", "1.5 KB",
// "5.0 MB", for front ends that print attachments.
func HumanSize(n int64) string { return store.HumanBytes(n) }
