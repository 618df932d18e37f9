package ledger

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
)

// TestStoreCosignatureKeepsOnlyVerifiedSignatures: a peer cosigns our
// checkpoint and pads its answer with signature lines of unknown keys, up
// to the note limit (64 KiB). Once per checkpoint size of our ledger
// (which the peer grows by one with every chat message it sends) that
// would be stored as sent: 64 KiB of the peer's junk per message. Only
// our signature and the peer's are kept.
func TestStoreCosignatureKeepsOnlyVerifiedSignatures(t *testing.T) {
	a, b := testIdentity(1), testIdentity(2)
	la, lb := openTest(t, a, nil), openTest(t, b, nil)
	total := 0
	for round := range 3 {
		fill(t, la, seeded(uint64(50+round)), a, b, 1)
		msg, size, err := la.Checkpoint()
		if err != nil {
			t.Fatal(err)
		}
		from := lb.PeerCheckpointSize(a.Public())
		var proof [][]byte
		if from > 0 {
			if proof, err = la.ConsistencyProof(from, size); err != nil {
				t.Fatal(err)
			}
		}
		cosigned, err := lb.CosignPeer(msg, a.Public(), from, proof)
		if err != nil {
			t.Fatal(err)
		}
		padded := bytes.Clone(cosigned)
		sig := base64.StdEncoding.EncodeToString(make([]byte, 4+64))
		for i := 0; i < 90; i++ {
			line := fmt.Sprintf("— junk%d-%s %s\n", i, strings.Repeat("x", 600), sig)
			if len(padded)+len(line) > maxNoteLen {
				break
			}
			padded = append(padded, line...)
		}
		if n, err := la.StoreCosignature(padded, b.Public()); err != nil || n != size {
			t.Fatalf("round %d: store the padded cosignature: %d %v", round, n, err)
		}
		cs, err := la.Cosignatures()
		if err != nil {
			t.Fatal(err)
		}
		total = 0
		for _, c := range cs {
			total += len(c.Note)
			if c.Size == size && c.Note != string(cosigned) {
				t.Fatalf("round %d: stored %d bytes of a %d-byte cosignature padded to %d by the peer", round, len(c.Note), len(cosigned), len(padded))
			}
		}
	}
	t.Logf("3 cosignatures padded by the peer: %d bytes stored", total)
	if rep := mustVerify(t, la); rep.Cosignatures != 3 {
		t.Fatalf("verify: %d cosignatures, want 3", rep.Cosignatures)
	}
}
