package store

// The buckets of state.db. This is the whole schema: nothing else in the
// program names a bucket.
var (
	// bucketContacts: peer fingerprint -> JSON Contact.
	bucketContacts = []byte("contacts")
	// bucketOutbox: peer fingerprint -> { 8-byte sequence -> sealed outbox item }.
	bucketOutbox = []byte("outbox")
	// bucketSeen: peer fingerprint "/" message ID -> TxID of the appended transaction.
	bucketSeen = []byte("seen")
	// bucketCases: case ID -> sealed case record.
	bucketCases = []byte("cases")
	// bucketViolations: 8-byte sequence -> sealed refused action.
	bucketViolations = []byte("violations")
	// bucketKeys: peer fingerprint "/" 8-byte made-at (Unix ns) -> sealed
	// message key. Created by the first key stored, not at open.
	bucketKeys = []byte("epoch-keys")
	// bucketMeta: facts about the file's format, such as the
	// fingerprint form it is filed under (migrate.go), and the address
	// the node listens on ("listen-addr", reach.go). Created by the
	// first write, not at open.
	bucketMeta = []byte("meta")
	// bucketInvites: invite nameplate (decimal) -> sealed invite record
	// (node/invites.go): open, used, burned, expired or revoked.
	bucketInvites = []byte("invites")
)

// openBuckets are the buckets created when the database opens.
var openBuckets = [][]byte{bucketContacts, bucketOutbox, bucketSeen, bucketCases, bucketViolations, bucketInvites}
