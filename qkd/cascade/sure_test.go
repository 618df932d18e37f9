package cascade

import (
	"math/rand/v2"
	"qkdchat/qkd/bitvec"
	"testing"
)

// TestInferringSureBitsAreAlices checks the knowledge Inferring rests on:
// after every answer, each key position Bob holds as sure (b.sure) carries
// Alice's bit, so a parity he infers from sure bits instead of asking is
// hers. Alice and Bob count the same disclosed parities (finish checks
// it), and Bob's count is exactly the questions he sent plus the top-level
// parities, so no inferred parity is counted and none sent is missed. It
// runs seeded keys from 1% to 15% QBER, past where Cascade may leave
// errors (which the sure bits must still never be).
func TestInferringSureBitsAreAlices(t *testing.T) {
	runs := 40
	if testing.Short() || raceEnabled {
		runs = 8
	}
	r := rand.New(rand.NewChaCha8([32]byte{'s', 'u', 'r', 'e'}))
	for _, n := range []int{64, 1000, 10000} {
		for _, q := range []float64{0.01, 0.05, 0.10, 0.15} {
			for range runs {
				alice, bob, _ := noisyPair(r, n, q)
				a := NewAlice(alice, n, q, seed32(r))
				start := a.Start()
				b, err := NewBob(bob, n, q, start)
				if err != nil {
					t.Fatal(err)
				}
				sent := start.Count
				for qm := b.Next(); qm != nil; qm = b.Next() {
					sent += len(qm.Ranges)
					rep, err := a.Answer(qm)
					if err != nil {
						// Alice refuses to disclose more than n parities:
						// a short key at a high error rate ends here.
						sent = -1
						break
					}
					if err := b.Receive(qm, rep); err != nil {
						t.Fatal(err)
					}
					for x := range n {
						if bitvec.Get(b.sure, x) == 1 && bitvec.Get(bob, x) != bitvec.Get(alice, x) {
							t.Fatalf("n=%d q=%.2f: position %d is sure but Bob's bit differs from Alice's", n, q, x)
						}
					}
				}
				if sent >= 0 && (b.Leak() != sent || a.Leak() != sent) {
					t.Fatalf("n=%d q=%.2f: %d parities sent, Bob counts %d, Alice %d", n, q, sent, b.Leak(), a.Leak())
				}
			}
		}
	}
}
