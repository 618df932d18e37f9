package cascade

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"qkdchat/qkd/bitvec"
	"qkdchat/qkd/finitekey"
	"testing"
)

// noisyPair returns a random n-bit key and a copy with exactly
// round(q n) errors at random positions.
func noisyPair(r *rand.Rand, n int, q float64) (alice, bob []uint64, errs int) {
	alice = make([]uint64, bitvec.Words(n))
	for i := range alice {
		alice[i] = r.Uint64()
	}
	bitvec.TailMask(alice, n)
	bob = append([]uint64(nil), alice...)
	errs = int(math.Round(q * float64(n)))
	for _, x := range r.Perm(n)[:errs] {
		bitvec.Flip(bob, x)
	}
	return alice, bob, errs
}

type cascadeOutcome struct {
	leak, rounds, corrected int
	equal                   bool
}

// reconcileDirect runs both sides of Cascade by direct calls, checking the
// messages survive encoding.
func reconcileDirect(t testing.TB, alice, bob []uint64, n int, q float64, seed [32]byte) cascadeOutcome {
	a := NewAlice(alice, n, q, seed)
	b, err := NewBob(bob, n, q, a.Start())
	if err != nil {
		t.Fatal(err)
	}
	return finish(t, a, b, alice, bob)
}

// finish exchanges Bob's questions and Alice's answers until Bob is done.
func finish(t testing.TB, a *Alice, b *Bob, alice, bob []uint64) cascadeOutcome {
	for {
		qm := b.Next()
		if qm == nil {
			break
		}
		rep, err := a.Answer(qm)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Receive(qm, rep); err != nil {
			t.Fatal(err)
		}
	}
	if a.leak != b.leak {
		t.Fatalf("leak: alice counted %d, bob %d", a.leak, b.leak)
	}
	eq := true
	for i := range alice {
		if alice[i] != bob[i] {
			eq = false
		}
	}
	return cascadeOutcome{leak: b.leak, rounds: b.rounds, corrected: b.corrected, equal: eq}
}

// TestCascadeEfficiency is the reconciliation target: at n = 10,000 and
// QBER 1%, 2% and 5%, the mean efficiency over 100 runs is at most 1.10,
// the mean number of round trips at 2% is at most 70, and every run ends
// with identical keys. (Round trips have a long tail, a run now and then
// needing twice the mean, so fewer runs would test the tail's luck; 100
// runs take a fraction of a second.)
func TestCascadeEfficiency(t *testing.T) {
	const runs = 100
	const n = 10000
	for _, q := range []float64{0.01, 0.02, 0.05} {
		r := rand.New(rand.NewChaCha8([32]byte{1}))
		var f, rt float64
		for i := 0; i < runs; i++ {
			a, b, errs := noisyPair(r, n, q)
			o := reconcileDirect(t, a, b, n, q, seed32(r))
			if !o.equal || o.corrected != errs {
				t.Fatalf("q=%v run %d: keys differ after Cascade (corrected %d of %d)", q, i, o.corrected, errs)
			}
			f += finitekey.Efficiency(o.leak, n, float64(errs)/float64(n))
			rt += float64(o.rounds)
		}
		f /= float64(runs)
		rt /= float64(runs)
		t.Logf("q=%.2f: mean f %.4f, mean round trips %.1f", q, f, rt)
		if f > 1.10 {
			t.Errorf("q=%.2f: mean efficiency %.4f > 1.10", q, f)
		}
		if q == 0.02 && rt > 70 {
			t.Errorf("q=2%%: mean round trips %.1f > 70", rt)
		}
	}
}

func TestCascadeNoErrorsNoSearch(t *testing.T) {
	r := rand.New(rand.NewChaCha8([32]byte{2}))
	a, _, _ := noisyPair(r, 5000, 0)
	b := append([]uint64(nil), a...)
	o := reconcileDirect(t, a, b, 5000, 0.01, [32]byte{})
	if o.rounds != 0 || o.corrected != 0 || !o.equal {
		t.Fatalf("%+v", o)
	}
}

// TestCascadeAliceRejectsBadQueries feeds Alice questions no honest Bob
// asks.
func TestCascadeAliceRejectsBadQueries(t *testing.T) {
	r := rand.New(rand.NewChaCha8([32]byte{3}))
	key, _, _ := noisyPair(r, 1000, 0)
	a := NewAlice(key, 1000, 0.02, [32]byte{})
	a.Start()
	for _, q := range []*Query{
		{},
		{Ranges: []Range{{Pass: 99, Lo: 0, Hi: 1}}},
		{Ranges: []Range{{Pass: 0, Lo: 5, Hi: 5}}},
		{Ranges: []Range{{Pass: 0, Lo: 0, Hi: 1001}}},
		{Ranges: make([]Range, 1000)},
	} {
		if _, err := a.Answer(q); err == nil {
			t.Errorf("accepted %d ranges starting %+v", len(q.Ranges), q.Ranges)
		}
	}
}

func TestCascadeBobRejectsWrongAnswers(t *testing.T) {
	r := rand.New(rand.NewChaCha8([32]byte{4}))
	a, b, _ := noisyPair(r, 2000, 0.03)
	al := NewAlice(a, 2000, 0.03, [32]byte{})
	start := al.Start()
	bad := *start
	bad.Count--
	if _, err := NewBob(b, 2000, 0.03, &bad); err == nil {
		t.Fatal("short parity list accepted")
	}
	bob, err := NewBob(b, 2000, 0.03, start)
	if err != nil {
		t.Fatal(err)
	}
	q := bob.Next()
	if err := bob.Receive(q, &Reply{Count: len(q.Ranges) + 1, Parities: make([]uint64, bitvec.Words(len(q.Ranges)+1))}); err == nil {
		t.Fatal("wrong-sized answer accepted")
	}
	other := &Query{Ranges: q.Ranges[1:]}
	if err := bob.Receive(other, &Reply{Count: len(other.Ranges), Parities: make([]uint64, bitvec.Words(len(other.Ranges)))}); err == nil {
		t.Fatal("answers to questions Bob did not ask accepted")
	}
}

// TestCascadeImpliedParities: Alice leaves out the last top-level parity
// of every pass after the first, and Bob works out the same value Alice
// would have sent, for key sizes with and without a short last block.
func TestCascadeImpliedParities(t *testing.T) {
	r := rand.New(rand.NewChaCha8([32]byte{5}))
	for _, n := range []int{1, 100, 4096, 10000, 12345} {
		for _, q := range []float64{0.01, 0.05} {
			alice, bob, _ := noisyPair(r, n, q)
			seed := seed32(r)
			a := NewAlice(alice, n, q, seed)
			start := a.Start()
			blocks := 0
			for p := range a.passes {
				blocks += a.passes[p].blocks(n)
			}
			if want := blocks - (len(a.passes) - 1); start.Count != want || a.leak != want {
				t.Fatalf("n=%d: %d parities sent, leak %d, want %d", n, start.Count, a.leak, want)
			}
			b, err := NewBob(bob, n, q, start)
			if err != nil {
				t.Fatal(err)
			}
			for p := range a.passes {
				for k := 0; k < a.passes[p].blocks(n); k++ {
					got, ok := b.known.get(p, k, 1)
					if want := a.passes[p].parity(a.passes[p].bounds(k, n)); !ok || got != want {
						t.Fatalf("n=%d pass %d block %d: Bob has parity %d (known %v), Alice's is %d", n, p, k, got, ok, want)
					}
				}
			}
		}
	}
}

// seed32 draws a 32-byte Cascade seed from r, as qkd draws one for a run.
func seed32(r *rand.Rand) (s [32]byte) {
	for i := 0; i < 32; i += 8 {
		binary.LittleEndian.PutUint64(s[i:], r.Uint64())
	}
	return s
}

// reconcileWith runs reconcileDirect with Bob asking in mode m.
func reconcileWith(t testing.TB, m Querying, alice, bob []uint64, n int, q float64, seed [32]byte) cascadeOutcome {
	a := NewAlice(alice, n, q, seed)
	b, err := NewBob(bob, n, q, a.Start())
	if err != nil {
		t.Fatal(err)
	}
	b.SetQuerying(m)
	return finish(t, a, b, alice, bob)
}
