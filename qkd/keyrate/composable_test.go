package keyrate

import (
	"math"
	"testing"
)

// handKL, handInv and handH are the test's own arithmetic: the relative
// entropy in nats, its inversion by plain bisection, and the binary
// entropy.
func handKL(x, p float64) float64 {
	d := 0.0
	if x > 0 {
		d += x * math.Log(x/p)
	}
	if x < 1 {
		d += (1 - x) * math.Log((1-x)/(1-p))
	}
	return d
}

// handInv finds y on the side sign of c with D(y||c) = t (first=true) or
// D(c||y) = t (first=false).
func handInv(c, t, sign float64, first bool) float64 {
	f := func(y float64) float64 {
		if first {
			return handKL(y, c)
		}
		return handKL(c, y)
	}
	lo, hi := c, 1.0
	if sign < 0 {
		lo, hi = 0, c
	}
	if edge := (1 + sign) / 2; f(edge) <= t { // the whole side is within t
		return edge
	}
	for range 300 {
		m := (lo + hi) / 2
		if (f(m) > t) == (sign > 0) {
			hi = m
		} else {
			lo = m
		}
	}
	return (lo + hi) / 2
}

func handH(p float64) float64 { return -p*math.Log2(p) - (1-p)*math.Log2(1-p) }

// TestComposableKeyLengthByHand recomputes the key length of a few runs
// from Lim, Curty, Walenta, Xu and Zbinden, PRA 89, 022307 (2014), step by
// step with the test's own arithmetic: Eq. A5 (mu3 = 0) on the
// Chernoff-bounded detections, the binomial and hypergeometric thinning to
// the key, the phase error (the sample's plus the Serfling term, and the
// weak decoy's), and Eq. 1 without s0, every failure probability
// eps_sec/21.
func TestComposableKeyLengthByHand(t *testing.T) {
	const epsSec, epsCor = 1e-10, 1e-12
	e := epsSec / 21
	L := math.Log(1 / e)
	cases := []struct {
		name  string
		o     Observed
		leak  float64
		noKey bool
	}{
		// Counts a 0.2 dB/km link with a 50% detector, Y0 = 1e-5 and 3%
		// misalignment gives on average.
		{name: "decoys, symmetric bases, 1e8 pulses at 50 km", o: Observed{Decoys: true, Mu: 0.48, Nu: 0.1, Prob: [3]float64{0.75, 0.125, 0.125},
			Pulses: 1e8, Detected: [3]float64{1_779_000, 62_500, 125}, PoolProb: 0.5, Key: 829_500, Removed: 60_000,
			PhaseBits: 60_000, PhaseQBER: 0.031, DecoyPhase: true, SiftProb: 0.5, WeakErrors: 966}, leak: 195_000},
		{name: "decoys, key basis only (z = 0.9), 10 km", o: Observed{Decoys: true, Mu: 0.48, Nu: 0.1, Prob: [3]float64{0.75, 0.125, 0.125},
			Pulses: 1e8, Detected: [3]float64{10_540_000, 388_300, 125}, PoolProb: 0.81, Key: 8_503_600, Removed: 33_400,
			PhaseBits: 105_400, PhaseQBER: 0.031}, leak: 1_918_000},
		{name: "no decoys (GLLP), mu 0.1, 10 km", o: Observed{Mu: 0.1, Prob: [3]float64{1}, Pulses: 1e8,
			Detected: [3]float64{3_160_000}, PoolProb: 0.5, Key: 1_510_000, Removed: 70_000, PhaseBits: 70_000, PhaseQBER: 0.031}, leak: 351_000},
		{name: "photon-number splitting: the weak decoy's gain falls, no single photons", o: Observed{Decoys: true, Mu: 0.48, Nu: 0.1,
			Prob: [3]float64{0.75, 0.125, 0.125}, Pulses: 1e8, Detected: [3]float64{1_779_000, 15_000, 125}, PoolProb: 0.5, Key: 829_500,
			Removed: 60_000, PhaseBits: 60_000, PhaseQBER: 0.031, DecoyPhase: true, SiftProb: 0.5, WeakErrors: 230}, leak: 195_000, noKey: true},
	}
	for _, c := range cases {
		o := c.o
		var D float64
		for _, d := range o.Detected {
			D += d
		}
		var s1 float64
		mu, nu := o.Mu, o.Nu
		tau1 := o.Prob[0]*mu*math.Exp(-mu) + o.Prob[1]*nu*math.Exp(-nu)
		if o.Decoys {
			nMu := D * handInv(o.Detected[0]/D, L/D, +1, false) * math.Exp(mu) / o.Prob[0]
			nNu := D * handInv(o.Detected[1]/D, L/D, -1, false) * math.Exp(nu) / o.Prob[1]
			n0 := D * handInv(o.Detected[2]/D, L/D, +1, false) / o.Prob[2]
			// Eq. A5 with mu3 = 0 and s0/tau0 replaced by the vacuum's upper bound.
			s1 = mu * tau1 / (mu*nu - nu*nu) * (nNu - n0 - nu*nu/(mu*mu)*(nMu-n0))
		} else {
			pm := 1 - math.Exp(-mu) - mu*math.Exp(-mu)
			s1 = o.Detected[0] - o.Pulses*handInv(pm, L/o.Pulses, +1, true)
		}
		got := o.Bound(epsSec)
		if s1 < 1 {
			s1 = 0 // no single photon proved
		}
		if math.Abs(got.S1-s1) > 1e-6*math.Abs(s1) {
			t.Errorf("%s: s1 %v, by hand %v", c.name, got.S1, s1)
		}
		l := math.Inf(-1)
		if s1 >= 1 {
			share := o.Prob[0] * mu * math.Exp(-mu) / tau1
			S := math.Floor(s1)
			pool := S * handInv(share*o.PoolProb, L/S, -1, true)
			n := o.Key
			key := n * handInv(math.Floor(pool)/(n+o.Removed), L/n, -1, true)
			// Tomamichel et al.'s mu at failure e²: sqrt((n+k)/(nk) (k+1)/k ln(1/e)).
			serf := func(n, k float64) float64 { return math.Sqrt((n + k) / (n * k) * (k + 1) / k * L) }
			phi := n * (o.PhaseQBER + serf(n, o.PhaseBits)) / key
			if o.DecoyPhase {
				tau0 := o.Prob[0]*math.Exp(-mu) + o.Prob[1]*math.Exp(-nu) + o.Prob[2]
				s0 := tau0 * D * handInv(o.Detected[2]/D, L/D, -1, false) / o.Prob[2]
				S0 := math.Floor(s0)
				v0 := S0 * handInv(o.Prob[1]*math.Exp(-nu)/tau0*o.SiftProb/2, L/S0, -1, true)
				sw := S * handInv(o.Prob[1]*nu*math.Exp(-nu)/tau1*o.SiftProb, L/S, -1, true)
				phi = math.Min(phi, (o.WeakErrors-math.Ceil(v0))/sw+serf(key, sw))
			}
			if phi < 0.5 {
				l = key*(1-handH(phi)) - c.leak - 6*math.Log2(21/epsSec) - math.Log2(2/epsCor)
			}
			t.Logf("%s: s1 %.6g, key single photons %.6g of %.6g, phi1 %.4f, l %.6g", c.name, s1, key, n, phi, l)
		}
		gl := got.KeyLength(c.leak, epsSec, epsCor)
		if c.noKey != !(l > 0) {
			t.Errorf("%s: by hand l = %v, want a key: %v", c.name, l, !c.noKey)
		}
		if math.IsInf(l, -1) && !math.IsInf(gl, -1) || !math.IsInf(l, -1) && math.Abs(gl-l) > 1e-6*math.Abs(l)+1e-6 {
			t.Errorf("%s: key length %v, by hand %v", c.name, gl, l)
		}
	}
}

// TestBudgetWithinEpsSec: for every kind of run the failure probabilities
// the bound uses, each with its weight in the secrecy parameter (Lim et
// al. Eq. B4), add up to at most eps_sec, and to exactly eps_sec when
// every estimate is made; every estimate Bound makes draws its failure
// probability from the budget.
func TestBudgetWithinEpsSec(t *testing.T) {
	const epsSec = 1e-9
	for _, decoys := range []bool{false, true} {
		for _, removed := range []bool{false, true} {
			for _, dp := range []bool{false, true} {
				b := NewBudget(decoys, removed, dp, epsSec)
				names := map[string]bool{}
				for _, term := range b {
					if names[term.Name] || math.Abs(term.Eps-epsSec/LimTerms) > 1e-12*epsSec || term.Weight < 1 {
						t.Errorf("decoys %v removed %v decoy phase %v: term %+v", decoys, removed, dp, term)
					}
					names[term.Name] = true
				}
				total := b.Total()
				if total > epsSec*(1+1e-12) {
					t.Errorf("decoys %v removed %v decoy phase %v: terms add up to %v > eps_sec %v", decoys, removed, dp, total, epsSec)
				}
				if decoys && removed && dp && math.Abs(total-epsSec) > 1e-12*epsSec {
					t.Errorf("every term: %v, want eps_sec %v (Lim's 21 terms)", total, epsSec)
				}
				for _, must := range []string{TermPoolSinglePhotons, TermPhaseError, TermChainSingle, TermChainVacuum, TermPrivacyAmp} {
					if !names[must] {
						t.Errorf("decoys %v removed %v decoy phase %v: no %s term", decoys, removed, dp, must)
					}
				}
			}
		}
	}
	// A bound that used a failure probability not in its budget would
	// change when the budget's eps changed without it: check it does
	// change with eps_sec, term by term, through Bound.
	o := Observed{Decoys: true, Mu: 0.48, Nu: 0.1, Prob: [3]float64{0.75, 0.125, 0.125}, Pulses: 1e9,
		Detected: [3]float64{2_550_000, 62_000, 1_300}, PoolProb: 0.5, Key: 1_195_000, Removed: 80_000,
		PhaseBits: 80_000, PhaseQBER: 0.034, DecoyPhase: true, SiftProb: 0.5, WeakErrors: 1_150}
	a, b := o.Bound(1e-10), o.Bound(1e-6)
	if !(b.S1 > a.S1 && b.S1Pool > a.S1Pool && b.S1Key > a.S1Key && b.Phi1 < a.Phi1 && b.S1Weak > a.S1Weak && b.V1Weak < a.V1Weak) {
		t.Errorf("looser eps_sec does not loosen every estimate: %+v vs %+v", b, a)
	}
	if got := a.Budget.Contributions(); len(got) != len(a.Budget) {
		t.Errorf("contributions %v of %d terms", got, len(a.Budget))
	}
}

// TestMeanAndBinomialBounds: the bounds solve their defining equations,
// lie on the right side, and are exact at the edges.
func TestMeanAndBinomialBounds(t *testing.T) {
	const eps = 1e-6
	L := math.Log(1 / eps)
	for _, c := range []struct{ k, n float64 }{{0, 1000}, {3, 1000}, {500, 1000}, {999, 1000}, {12345, 1e9}} {
		x := c.k / c.n
		up, lo := MeanBound(c.k, c.n, eps, +1), MeanBound(c.k, c.n, eps, -1)
		if !(up >= x && lo <= x) {
			t.Errorf("%v of %v: bounds %v, %v around %v", c.k, c.n, lo, up, x)
		}
		if up < 1 && math.Abs(c.n*handKL(x, up)-L) > 1e-6*L {
			t.Errorf("%v of %v: upper %v gives n D = %v, want %v", c.k, c.n, up, c.n*handKL(x, up), L)
		}
		if lo > 0 && math.Abs(c.n*handKL(x, lo)-L) > 1e-6*L {
			t.Errorf("%v of %v: lower %v gives n D = %v, want %v", c.k, c.n, lo, c.n*handKL(x, lo), L)
		}
		p := math.Max(x, 1e-3)
		bu, bl := BinomialBound(c.n, p, eps, +1), BinomialBound(c.n, p, eps, -1)
		if !(bu >= c.n*p && bl <= c.n*p) {
			t.Errorf("Bin(%v, %v): bounds %v, %v", c.n, p, bl, bu)
		}
		if bl > 0 && math.Abs(c.n*handKL(bl/c.n, p)-L) > 1e-6*L {
			t.Errorf("Bin(%v, %v): lower %v gives n D = %v, want %v", c.n, p, bl, c.n*handKL(bl/c.n, p), L)
		}
	}
	if u := MeanBound(0, 1000, 1e-3, +1); math.Abs(u-(1-math.Pow(1e-3, 1.0/1000))) > 1e-9 {
		t.Errorf("upper bound for 0 of 1000: %v, want 1-eps^(1/n)", u)
	}
}
