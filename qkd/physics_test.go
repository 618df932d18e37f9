package qkd

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"qkdchat/qkd/bitvec"
	"qkdchat/qkd/channel"
	"qkdchat/qkd/sifting"
	"testing"
)

// physicsRun is the outcome of sending photons through the bulk model.
type physicsRun struct {
	sent, detected, sifted, errors int
	eveMatched, eveIntercepted     int
}

// runBulk pushes n photons through Alice's preparation, the channel
// (intercept-resend on eve of them, then noise and loss) and Bob's
// detector, and counts sifted bits and errors.
func runBulk(r *rand.Rand, n int, c Config) physicsRun {
	c = c.withDefaults()
	value, basis := channel.SinglePhotons(r, n, channel.ToFixed(1-c.ZBias))
	ch := channel.Fibre{Flip: channel.ToFixed(c.Noise), Transmit: channel.ToFixed(channel.Transmittance(c.FiberKm))}
	det := channel.Detector{Efficiency: channel.ToFixed(c.DetectorEfficiency), Dark: channel.ToFixed(c.DarkCount), PX: channel.ToFixed(1 - c.ZBias)}
	detected := make([]uint64, bitvec.Words(n))
	bBasis := make([]uint64, bitvec.Words(n))
	result := make([]uint64, bitvec.Words(n))
	var out physicsRun
	for off := 0; off < n; off += MaxFramePhotons {
		cnt := min(MaxFramePhotons, n-off)
		f := &PhotonFrame{Start: uint64(off), Count: cnt, Basis: bitvec.Extract(basis, off, cnt),
			Value: bitvec.Extract(value, off, cnt), Present: make([]uint64, bitvec.Words(cnt))}
		for i := range f.Present {
			f.Present[i] = bitvec.LowMask(cnt - 64*i)
		}
		st := channel.InterceptResend(f.frame(), r, channel.ToFixed(c.Eve), c.EveBasis, nil)
		out.eveIntercepted += st.Intercepted
		out.eveMatched += st.BasisMatched
		ch.Apply(f.frame(), r)
		det.Measure(f.frame(), r, off, detected, bBasis, result)
	}
	sf := sifting.NewPacked(detected, basis, bBasis, value, basis, n, 0)
	out.sent = n
	out.detected, _, out.sifted = sf.Counts()
	keep, pool := sf.Kept()
	b, _ := bitvec.Compact(result, keep, 0, n)
	for i := range b {
		out.errors += bits.OnesCount64(pool[i] ^ b[i])
	}
	return out
}

// within reports whether the observed proportion k/n is within z standard
// deviations of p.
func within(k, n int, p, z float64) bool {
	return math.Abs(float64(k)/float64(n)-p) <= z*math.Sqrt(p*(1-p)/float64(n))
}

func TestSiftingRatioIsHalf(t *testing.T) {
	r := rand.New(rand.NewChaCha8([32]byte{10}))
	run := runBulk(r, 1_000_000, Config{})
	ratio := float64(run.sifted) / float64(run.sent)
	if math.Abs(ratio-0.5) > 0.005 {
		t.Fatalf("sifting ratio %.5f, want 0.5 ± 0.005", ratio)
	}
	if run.errors != 0 {
		t.Fatalf("%d errors on a perfect channel", run.errors)
	}
	t.Logf("sifting ratio %.5f", ratio)
}

func TestFullInterceptResendGivesQuarterQBER(t *testing.T) {
	r := rand.New(rand.NewChaCha8([32]byte{11}))
	run := runBulk(r, 1_000_000, Config{Channel: Channel{Eve: 1}})
	q := float64(run.errors) / float64(run.sifted)
	if math.Abs(q-0.25) > 0.005 {
		t.Fatalf("QBER %.5f under full intercept-resend, want 0.25 ± 0.005", q)
	}
	if run.eveIntercepted != run.sent || !within(run.eveMatched, run.eveIntercepted, 0.5, 5) {
		t.Fatalf("Eve intercepted %d of %d, right basis %d", run.eveIntercepted, run.sent, run.eveMatched)
	}
	t.Logf("QBER %.5f", q)
}

// TestQBERFormula checks QBER = noise + eve/4 - noise·eve/2 on a grid. The
// last term is exact: an attacked photon that Eve measured in the wrong
// basis is wrong half the time whatever the channel does. To first order
// this is the familiar noise + eve/4.
func TestQBERFormula(t *testing.T) {
	r := rand.New(rand.NewChaCha8([32]byte{12}))
	for _, noise := range []float64{0, 0.01, 0.05, 0.1} {
		for _, eve := range []float64{0, 0.2, 0.5, 1} {
			run := runBulk(r, 400_000, Config{Channel: Channel{Noise: noise, Eve: eve}})
			want := noise + eve/4 - noise*eve/2
			if want == 0 {
				if run.errors != 0 {
					t.Errorf("noise 0 eve 0: %d errors", run.errors)
				}
				continue
			}
			if !within(run.errors, run.sifted, want, 5) {
				t.Errorf("noise %v eve %v: QBER %.5f, want %.5f", noise, eve, float64(run.errors)/float64(run.sifted), want)
			}
		}
	}
}

func TestLossAndDarkCounts(t *testing.T) {
	r := rand.New(rand.NewChaCha8([32]byte{13}))
	c := Config{Channel: Channel{FiberKm: 50, DetectorEfficiency: 0.2, DarkCount: 0.001}}
	run := runBulk(r, 1_000_000, c)
	pClick, q := c.withDefaults().detection()
	if !within(run.detected, run.sent, pClick, 5) {
		t.Fatalf("detected %d of %d, want rate %.5f", run.detected, run.sent, pClick)
	}
	if !within(run.errors, run.sifted, q, 5) {
		t.Fatalf("QBER %.5f, want %.5f", float64(run.errors)/float64(run.sifted), q)
	}
}

func TestBiasedBases(t *testing.T) {
	r := rand.New(rand.NewChaCha8([32]byte{14}))
	run := runBulk(r, 1_000_000, Config{Protocol: Protocol{ZBias: 0.9}})
	if !within(run.sifted, run.sent, siftRatio(0.9), 5) {
		t.Fatalf("sifted %d of %d, want %.3f", run.sifted, run.sent, siftRatio(0.9))
	}
}

// runStates does what runBulk does, one qubit at a time with State: Eve
// measures by the Born rule and resends, the noise is a Pauli Y (which
// flips the bit of every BB84 state), Bob measures by the Born rule.
func runStates(r *rand.Rand, n int, noise, eve float64) physicsRun {
	var out physicsRun
	for i := 0; i < n; i++ {
		bit := uint8(r.Uint64() & 1)
		basis := Basis(r.Uint64() & 1)
		s := channel.Prepare(bit, basis)
		if r.Float64() < eve {
			eb := Basis(r.Uint64() & 1)
			var v uint8
			v, s = s.Measure(eb, r)
			out.eveIntercepted++
			if eb == basis {
				out.eveMatched++
			}
			_ = v
		}
		if r.Float64() < noise {
			s = channel.State{A0: complex(0, -1) * s.A1, A1: complex(0, 1) * s.A0}
		}
		bb := Basis(r.Uint64() & 1)
		res, _ := s.Measure(bb, r)
		out.sent++
		out.detected++
		if bb == basis {
			out.sifted++
			if res != bit {
				out.errors++
			}
		}
	}
	return out
}

// TestStateAndBulkModelsAgree compares sifting and QBER of the two models
// with two-proportion z-tests.
func TestStateAndBulkModelsAgree(t *testing.T) {
	r := rand.New(rand.NewChaCha8([32]byte{15}))
	const n = 200_000
	for _, c := range []struct{ noise, eve float64 }{{0, 0}, {0.05, 0}, {0, 1}, {0.03, 0.4}} {
		st := runStates(r, n, c.noise, c.eve)
		bk := runBulk(r, n, Config{Channel: Channel{Noise: c.noise, Eve: c.eve}})
		if z := twoPropZ(st.sifted, st.sent, bk.sifted, bk.sent); math.Abs(z) > 4.5 {
			t.Errorf("%+v: sifting differs, z=%.2f", c, z)
		}
		if z := twoPropZ(st.errors, st.sifted, bk.errors, bk.sifted); math.Abs(z) > 4.5 {
			t.Errorf("%+v: QBER differs (%d/%d vs %d/%d), z=%.2f", c, st.errors, st.sifted, bk.errors, bk.sifted, z)
		}
		want := c.noise + c.eve/4 - c.noise*c.eve/2
		if want > 0 && !within(st.errors, st.sifted, want, 5) {
			t.Errorf("%+v: state model QBER %.4f, want %.4f", c, float64(st.errors)/float64(st.sifted), want)
		}
	}
}

func twoPropZ(k1, n1, k2, n2 int) float64 {
	p1, p2 := float64(k1)/float64(n1), float64(k2)/float64(n2)
	p := float64(k1+k2) / float64(n1+n2)
	se := math.Sqrt(p * (1 - p) * (1/float64(n1) + 1/float64(n2)))
	if se == 0 {
		return 0
	}
	return (p1 - p2) / se
}

// TestPhotonFrameStateRoundTrip converts a frame's photons to States and
// back.
func TestPhotonFrameStateRoundTrip(t *testing.T) {
	r := rand.New(rand.NewChaCha8([32]byte{17}))
	f := &PhotonFrame{Count: 100, Basis: bitvec.Random(r, 100), Value: bitvec.Random(r, 100), Present: bitvec.Random(r, 100)}
	g := &PhotonFrame{Count: 100, Basis: make([]uint64, 2), Value: make([]uint64, 2), Present: f.Present}
	for i := 0; i < 100; i++ {
		s, _ := f.Photon(i)
		if err := g.SetPhoton(i, s); err != nil {
			t.Fatal(err)
		}
	}
	if g.Basis[0] != f.Basis[0] || g.Value[1] != f.Value[1] {
		t.Fatal("frame changed")
	}
	if err := g.SetPhoton(0, channel.State{A0: complex(math.Cos(0.3), 0), A1: complex(math.Sin(0.3), 0)}); err == nil {
		t.Fatal("non-BB84 state accepted")
	}
}

func TestInterceptResendApplyChecks(t *testing.T) {
	r := rand.New(rand.NewChaCha8([32]byte{18}))
	e := &InterceptResend{Fraction: 1.5}
	f := &PhotonFrame{Count: 10, Basis: []uint64{0}, Value: []uint64{0}, Present: []uint64{1023}}
	if _, err := e.Apply(f, r); err == nil {
		t.Fatal("fraction 1.5 accepted")
	}
	e.Fraction = 1
	if _, err := e.Apply(&PhotonFrame{Count: 10}, r); err == nil {
		t.Fatal("malformed frame accepted")
	}
	st, err := e.Apply(f, r)
	if err != nil || st.Intercepted != 10 {
		t.Fatalf("%+v %v", st, err)
	}
}

func BenchmarkBulkQubits(b *testing.B) {
	r := rand.New(rand.NewChaCha8([32]byte{19}))
	const n = 1 << 20
	b.SetBytes(n / 8)
	for b.Loop() {
		runBulk(r, n, Config{Channel: Channel{Noise: 0.02}})
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mqubit/s")
}
