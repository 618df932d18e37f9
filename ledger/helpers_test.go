package ledger

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"qkdchat/identity"
)

// testIdentity returns a deterministic identity.
func testIdentity(seed byte) *identity.Identity {
	s := make([]byte, ed25519.SeedSize)
	for i := range s {
		s[i] = seed
	}
	return identity.New(ed25519.NewKeyFromSeed(s))
}

// fakeFernet returns a well-formed Fernet token (random content) holding a
// message of n bytes.
func fakeFernet(r *rand.Rand, n int) []byte {
	blocks := n/16 + 1
	raw := make([]byte, 1+8+16+16*blocks+32)
	for i := range raw {
		raw[i] = byte(r.Uint32())
	}
	raw[0] = 0x80
	return []byte(base64.URLEncoding.EncodeToString(raw))
}

// newTx returns a signed chat transaction from -> to.
func newTx(t testing.TB, r *rand.Rand, from, to *identity.Identity, i int) *Transaction {
	t.Helper()
	tx := &Transaction{
		Kind:      KindChat,
		Recipient: to.Public(),
		CaseID:    "case-1",
		Time:      time.Unix(1700000000, int64(i)*1000).UTC(),
		Token:     fakeFernet(r, 100+r.IntN(200)),
	}
	if i%5 == 0 {
		tx.Attachments = []AttachmentRef{{Name: "scan.pdf", Size: int64(1000 + i), SHA256: [32]byte{byte(i)}}}
	}
	if err := tx.Sign(from); err != nil {
		t.Fatal(err)
	}
	return tx
}

// openTest opens a fresh ledger in a temporary directory.
func openTest(t testing.TB, id *identity.Identity, opts *Options) *Ledger {
	t.Helper()
	l, err := Open(filepath.Join(t.TempDir(), "ledger.db"), id, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// fill appends n transactions alternating between a and b as senders.
func fill(t testing.TB, l *Ledger, r *rand.Rand, a, b *identity.Identity, n int) []*Transaction {
	t.Helper()
	txs := make([]*Transaction, n)
	for i := range n {
		from, to := a, b
		if i%2 == 1 {
			from, to = b, a
		}
		txs[i] = newTx(t, r, from, to, int(l.Size())+i)
		if _, err := l.Append(context.Background(), txs[i]); err != nil {
			t.Fatal(err)
		}
	}
	return txs
}

func seeded(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }

// mustVerify runs Verify and fails unless the ledger is intact.
func mustVerify(t testing.TB, l *Ledger) *VerifyReport {
	t.Helper()
	rep, err := l.Verify(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK {
		t.Fatalf("verify: not OK: height %d index %d: %s", rep.FirstBadHeight, rep.BadIndex, rep.Reason)
	}
	return rep
}

// boltTx shortens the bbolt transaction type in tests.
type boltTx = bolt.Tx

// testTime is a fixed time for blocks made in tests.
var testTime = time.Unix(1700000000, 0).UTC()
