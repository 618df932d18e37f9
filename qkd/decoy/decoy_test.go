package decoy

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"qkdchat/qkd/bitvec"
	"qkdchat/qkd/channel"
	"qkdchat/qkd/keyrate"
)

// link is the link of the agreement test: 0.2 dB/km, a 50% detector,
// Y0 = 1e-5, 3% misalignment, f = 1.16.
var link = keyrate.Link{LossDBPerKm: 0.2, DetectorEfficiency: 0.5, DarkCount: 1e-5, Misalignment: 0.03, ECEfficiency: 1.16}

var src = Source{Laser: true, Decoys: true, Mu: 0.48, Nu: 0.1, PWeak: 0.125, PVac: 0.125}

// measured is what a simulated link shows: gains and error rates of the
// signal and the weak decoy, the vacuum's yield, and the pulses of each.
type measured struct {
	qmu, qnu, y0, emu, enu float64
	n                      [channel.NumClasses]float64 // pulses
	sMu, sNu               float64                     // sifted signal and weak bits
}

// simulate sends N pulses of src through km of fibre into Bob's
// detector and measures.
func simulate(r *rand.Rand, N int, km float64) measured {
	l := src.Model()
	d := &channel.PulseDetector{Efficiency: link.DetectorEfficiency, Dark: link.DarkCount, Misalign: link.Misalignment, PX: 0.5}
	var pulses, clicks, sifted, errs [channel.NumClasses]int
	const chunk = 1 << 20
	for off := 0; off < N; off += chunk {
		n := min(chunk, N-off)
		p := l.Emit(r, n, 0.5)
		aBasis, aValue := append([]uint64(nil), p.Basis...), append([]uint64(nil), p.Value...)
		channel.Transmit(p, r, 0, math.Pow(10, -link.LossDBPerKm*km/10))
		det, bas, res := make([]uint64, bitvec.Words(n)), make([]uint64, bitvec.Words(n)), make([]uint64, bitvec.Words(n))
		d.Measure(p, r, 0, det, bas, res)
		for i := 0; i < n; i++ {
			c := p.Class[i]
			pulses[c]++
			if bitvec.Get(det, i) == 0 {
				continue
			}
			clicks[c]++
			if bitvec.Get(bas, i) == bitvec.Get(aBasis, i) {
				sifted[c]++
				errs[c] += int(bitvec.Get(res, i) ^ bitvec.Get(aValue, i))
			}
		}
	}
	f := func(a, b int) float64 { return float64(a) / float64(b) }
	m := measured{qmu: f(clicks[0], pulses[0]), qnu: f(clicks[1], pulses[1]), y0: f(clicks[2], pulses[2]),
		emu: f(errs[0], sifted[0]), enu: f(errs[1], sifted[1]), sMu: float64(sifted[0]), sNu: float64(sifted[1])}
	for c := range m.n {
		m.n[c] = float64(pulses[c])
	}
	return m
}

// stats runs Estimate's asymptotic bound on gains and error rates given as
// frequencies (counts of 1e15 trials) and returns Y1, e1 and the key rate
// per pulse, signal fraction included, by keyrate.GLLP.
func stats(qmu, qnu, y0, emu, enu float64) (y1, e1, rate float64) {
	const big = 1e15
	var c Counts
	pSig := 1 - src.PWeak - src.PVac
	for cl, v := range []struct{ p, q, e float64 }{{pSig, qmu, emu}, {src.PWeak, qnu, enu}, {src.PVac, y0, 0}} {
		c.Pulses[cl] = int(v.p * big)
		c.Detected[cl] = int(v.q * v.p * big)
		c.Disclosed[cl] = int(v.q * v.p * big / 2)
		c.Errors[cl] = int(v.e * v.q * v.p * big / 2)
	}
	b := Estimate(src, c, Sample{ZBias: 0.5, PhaseQBER: emu}, 1e-10).Asymptotic
	return b.Y1L, b.E1U, pSig * keyrate.GLLP(b.Q1L, b.E1U, qmu, emu, link.ECEfficiency)
}

// TestSimulatedBoundsMatchKeyrate: at three distances, the simulated
// gains and error rates of each intensity, and the Y1, e1 and key rate
// Estimate derives from them, agree with qkd/keyrate's analytic values
// within four standard deviations of their sampling error (propagated by
// finite differences); and Estimate on the analytic gains gives
// keyrate.Rate exactly. 1e7 pulses per distance; 1e6 under -race and
// -short. The full-size run:
//
//	go test -count=1 -run TestSimulatedBoundsMatchKeyrate -v ./qkd/decoy
func TestSimulatedBoundsMatchKeyrate(t *testing.T) {
	N := 10_000_000
	if raceEnabled || testing.Short() {
		N = 1_000_000
	}
	r := rand.New(rand.NewChaCha8([32]byte{16, 5}))
	for _, km := range []float64{10, 30, 50} {
		m := simulate(r, N, km)
		qmu, qnu, y0 := link.Gain(km, src.Mu), link.Gain(km, src.Nu), link.DarkCount
		emu, enu := link.ErrorGain(km, src.Mu)/qmu, link.ErrorGain(km, src.Nu)/qnu
		// Inputs and their sampling standard deviations.
		in := []float64{qmu, qnu, y0, emu, enu}
		sd := []float64{
			math.Sqrt(qmu * (1 - qmu) / m.n[0]), math.Sqrt(qnu * (1 - qnu) / m.n[1]), math.Sqrt(y0 * (1 - y0) / m.n[2]),
			math.Sqrt(emu * (1 - emu) / m.sMu), math.Sqrt(enu * (1 - enu) / m.sNu),
		}
		got := []float64{m.qmu, m.qnu, m.y0, m.emu, m.enu}
		for i, name := range []string{"Q_mu", "Q_nu", "Y0", "E_mu", "E_nu"} {
			if math.Abs(got[i]-in[i]) > 4*sd[i] {
				t.Errorf("%g km: %s %.5g, theory %.5g ± %.2g", km, name, got[i], in[i], sd[i])
			}
		}
		y1, e1, rate := stats(in[0], in[1], in[2], in[3], in[4])
		// keyrate's asymptotic rate is per signal pulse (decoys cost nothing).
		pSig := 1 - src.PWeak - src.PVac
		if want := pSig * keyrate.Rate(link, keyrate.VacuumWeak, keyrate.Finite{}, km, src.Mu, src.Nu, pSig); math.Abs(rate-want) > 1e-6*math.Abs(want) {
			t.Errorf("%g km: Estimate on the analytic gains gives rate %.6g, keyrate.Rate %.6g", km, rate, want)
		}
		// Propagate the sampling error to each statistic.
		var v [3]float64
		for i := range in {
			x := append([]float64(nil), in...)
			x[i] += sd[i]
			a, b, c := stats(x[0], x[1], x[2], x[3], x[4])
			v[0] += (a - y1) * (a - y1)
			v[1] += (b - e1) * (b - e1)
			v[2] += (c - rate) * (c - rate)
		}
		sy1, se1, srate := stats(m.qmu, m.qnu, m.y0, m.emu, m.enu)
		for i, c := range []struct {
			name      string
			sim, want float64
		}{{"Y1", sy1, y1}, {"e1", se1, e1}, {"rate", srate, rate}} {
			if math.Abs(c.sim-c.want) > 4*math.Sqrt(v[i]) {
				t.Errorf("%g km: simulated %s %.5g, analytic %.5g ± %.2g", km, c.name, c.sim, c.want, math.Sqrt(v[i]))
			}
		}
		t.Logf("%g km: Q_mu %.4g (%.4g) Q_nu %.4g (%.4g) Y0 %.3g (%.3g) E_mu %.4f (%.4f) E_nu %.4f (%.4f) | Y1 %.4g (%.4g ± %.2g) e1 %.4f (%.4f ± %.2g) rate %.4g (%.4g ± %.2g)",
			km, m.qmu, qmu, m.qnu, qnu, m.y0, y0, m.emu, emu, m.enu, enu, sy1, y1, math.Sqrt(v[0]), se1, e1, math.Sqrt(v[1]), srate, rate, math.Sqrt(v[2]))
	}
}

// TestChernoff checks the bound against known values and its coverage:
// the true p lies inside the two-sided bound in all but about eps of
// draws.
func TestChernoff(t *testing.T) {
	if u := Chernoff(0, 1000, 1e-3, +1); math.Abs(u-(1-math.Pow(1e-3, 1.0/1000))) > 1e-9 {
		t.Errorf("upper bound for 0 of 1000: %v, want 1-eps^(1/n)", u)
	}
	if l := Chernoff(0, 1000, 1e-3, -1); l != 0 {
		t.Errorf("lower bound for 0 of 1000: %v", l)
	}
	r := rand.New(rand.NewChaCha8([32]byte{16, 6}))
	const trials, n, p, eps = 2000, 500, 0.05, 0.01
	miss := 0
	for i := 0; i < trials; i++ {
		k := 0
		for j := 0; j < n; j++ {
			if r.Float64() < p {
				k++
			}
		}
		if Chernoff(k, n, eps, +1) < p || Chernoff(k, n, eps, -1) > p {
			miss++
		}
	}
	if miss > int(2*eps*trials)+5 {
		t.Errorf("the bound missed p in %d of %d draws at eps %v per side", miss, trials, eps)
	}
}

// TestEstimateVerdicts: the bound of each source in words and numbers
// (table).
func TestEstimateVerdicts(t *testing.T) {
	pns := Counts{Pulses: [3]int{750000, 125000, 125000}, Detected: [3]int{35000, 300, 2}, Disclosed: [3]int{2000, 150, 0}, Errors: [3]int{60, 4, 0}}
	clean := Counts{Pulses: [3]int{750000, 125000, 125000}, Detected: [3]int{35000, 1250, 2}, Disclosed: [3]int{2000, 600, 0}, Errors: [3]int{60, 18, 0}}
	noDecoy := Counts{Pulses: [3]int{1000000}, Detected: [3]int{47000}, Disclosed: [3]int{2000}, Errors: [3]int{60}}
	cases := []struct {
		name     string
		s        Source
		c        Counts
		positive bool   // a positive single-photon share
		words    string // in the verdict
	}{
		{"decoys, PNS", src, pns, false, "photon-number-splitting"},
		{"decoys, clean", src, clean, true, "decoy pulses bound"},
		{"no decoys", Source{Laser: true, Mu: 0.48}, noDecoy, false, "without decoy states"},
		{"unsafe", Source{Laser: true, Mu: 0.48, AssumeSingle: true}, noDecoy, true, "UNSAFE"},
		{"single photons", Source{}, noDecoy, true, ""},
	}
	for _, tc := range cases {
		b := Estimate(tc.s, tc.c, Sample{Key: 15_500, Removed: 2_000, ZBias: 0.5, PhaseBits: 2_000, PhaseQBER: 0.03}, 1e-10).Finite
		if (b.Delta1 > 0.01) != tc.positive {
			t.Errorf("%s: single-photon share %v", tc.name, b.Delta1)
		}
		if v := Explain(tc.s, b); !strings.Contains(v, tc.words) || tc.words == "" && v != "" {
			t.Errorf("%s: verdict %q", tc.name, v)
		}
	}
}
