package keyrate

import "math"

// Intensity ranges searched by Best.
const (
	MinMu = 1e-6 // smallest signal intensity tried
	MaxMu = 2.0  // largest signal intensity tried
	// MinNu is the smallest weak-decoy intensity tried when nu is
	// optimised. Asymptotically the vacuum+weak bound tightens as nu -> 0
	// (MQZL Sec. V), so there the optimum is MinNu; with finite pulses a
	// larger nu wins.
	MinNu = 0.01
	// MinDecoyFraction is the smallest fraction of pulses spent on decoys
	// (VacuumWeak with finite pulses).
	MinDecoyFraction = 1e-4
)

// Model is a link, a pulse budget, and the weak-decoy intensity.
type Model struct {
	Link
	Finite
	// Nu is the weak-decoy intensity of VacuumWeak; 0 optimises it at
	// each distance within [MinNu, mu).
	Nu float64
}

// Validate reports the first parameter out of range.
func (m Model) Validate() error {
	if err := m.Link.Validate(); err != nil {
		return err
	}
	if err := m.Finite.Validate(); err != nil {
		return err
	}
	if !(m.Nu == 0 || (m.Nu > 0 && m.Nu < MaxMu)) {
		return &ParamError{"weak-decoy intensity nu", m.Nu, "{0} ∪ (0, 2)"}
	}
	return nil
}

// Point is the best key rate of one setting at one distance.
type Point struct {
	Rate           float64 // secret bits per pulse sent; 0 when no key is possible
	Mu             float64 // optimal signal intensity; 0 for SinglePhoton or when Rate is 0
	Nu             float64 // weak-decoy intensity (VacuumWeak); 0 otherwise or when Rate is 0
	SignalFraction float64 // fraction of pulses that are signals; 0 when Rate is 0
}

// Best maximises the rate of s at km over mu (and, for VacuumWeak, nu and
// the signal fraction). m must be valid.
func (m Model) Best(s Setting, km float64) Point {
	p := m.best(s, km)
	if !(p.Rate > 0) {
		return Point{}
	}
	return p
}

func (m Model) best(s Setting, km float64) Point {
	switch s {
	case SinglePhoton:
		return Point{Rate: Rate(m.Link, s, m.Finite, km, 0, 0, 1), SignalFraction: 1}
	case NoDecoy, InfiniteDecoy:
		mu, r := maximise(func(mu float64) float64 { return Rate(m.Link, s, m.Finite, km, mu, 0, 1) }, MinMu, MaxMu, fine())
		return Point{Rate: r, Mu: mu, SignalFraction: 1}
	case VacuumWeak:
		return m.bestVacuumWeak(km)
	}
	return Point{Rate: math.Inf(-1)}
}

func (m Model) bestVacuumWeak(km float64) Point {
	// The finite rate (the composable bound) costs far more per point, and
	// searches with less effort.
	muEffort, nuEffort := fine(), coarse()
	if !m.Asymptotic() {
		muEffort, nuEffort = effort{points: 12, steps: 14}, effort{points: 8, steps: 10}
	}
	// forNu maximises over mu in (nu, MaxMu] at signal fraction sig.
	forNu := func(nu, sig float64) (float64, float64) {
		return maximise(func(mu float64) float64 { return Rate(m.Link, VacuumWeak, m.Finite, km, mu, nu, sig) }, nu*(1+1e-9), MaxMu, muEffort)
	}
	// forSig maximises over nu (unless fixed) at signal fraction sig.
	forSig := func(sig float64) Point {
		if m.Nu > 0 {
			mu, r := forNu(m.Nu, sig)
			return Point{Rate: r, Mu: mu, Nu: m.Nu, SignalFraction: sig}
		}
		nu, r := maximise(func(nu float64) float64 { _, r := forNu(nu, sig); return r }, MinNu, 0.5, nuEffort)
		mu, _ := forNu(nu, sig)
		return Point{Rate: r, Mu: mu, Nu: nu, SignalFraction: sig}
	}
	if m.Asymptotic() {
		return forSig(1)
	}
	// Optimise the decoy fraction d = 1 - sig on a log scale.
	d, _ := maximise(func(d float64) float64 { return forSig(1 - d).Rate }, MinDecoyFraction, 0.9, nuEffort)
	return forSig(1 - d)
}

// effort is how hard maximise searches: a log-spaced grid of points,
// then steps of golden-section refinement around its best point.
type effort struct{ points, steps int }

// fine is for mu, the parameter the rate depends on most; coarse for nu
// and the decoy fraction, each of which wraps a search over mu.
func fine() effort   { return effort{points: 20, steps: 30} }
func coarse() effort { return effort{points: 12, steps: 18} }

const (
	invGoldenRatio  = 0.6180339887498949
	maxDistanceStep = 20 // bisection steps: MaxKm / 2^20 is about 1 m
)

// maximise returns the x in [lo, hi] (lo > 0) that maximises f, and f(x).
// f is sampled on a log-spaced grid and refined by golden-section search
// (in log x) between the neighbours of the best sample, so it finds the
// maximum of a function that is unimodal on the grid's scale.
func maximise(f func(float64) float64, lo, hi float64, e effort) (x, fx float64) {
	a, b := math.Log(lo), math.Log(hi)
	gridPoints := e.points
	xs := make([]float64, gridPoints)
	best, bestF := 0, math.Inf(-1)
	for i := range xs {
		xs[i] = a + (b-a)*float64(i)/float64(gridPoints-1)
		if v := f(math.Exp(xs[i])); v > bestF || i == 0 {
			best, bestF = i, v
		}
	}
	l, r := xs[max(best-1, 0)], xs[min(best+1, gridPoints-1)]
	x1, x2 := r-invGoldenRatio*(r-l), l+invGoldenRatio*(r-l)
	f1, f2 := f(math.Exp(x1)), f(math.Exp(x2))
	for range e.steps {
		if f1 >= f2 {
			r, x2, f2 = x2, x1, f1
			x1 = r - invGoldenRatio*(r-l)
			f1 = f(math.Exp(x1))
		} else {
			l, x1, f1 = x1, x2, f2
			x2 = l + invGoldenRatio*(r-l)
			f2 = f(math.Exp(x2))
		}
	}
	x, fx = xs[best], bestF
	if f1 > fx {
		x, fx = x1, f1
	}
	if f2 > fx {
		x, fx = x2, f2
	}
	return math.Exp(x), fx
}

// MaxDistance returns the longest fibre, in km, over which s still gives
// a positive key rate (0 if none at 0 km), found by bisection on
// [0, MaxKm]; beyond reports a rate still positive at MaxKm (km is then
// MaxKm). It assumes the optimal rate falls with distance. m must be
// valid.
func (m Model) MaxDistance(s Setting) (km float64, beyond bool) {
	pos := func(km float64) bool { return m.best(s, km).Rate > 0 }
	if !pos(0) {
		return 0, false
	}
	if pos(MaxKm) {
		return MaxKm, true
	}
	lo, hi := 0.0, float64(MaxKm)
	for range maxDistanceStep {
		mid := (lo + hi) / 2
		if pos(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo, false
}
