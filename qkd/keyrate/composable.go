package keyrate

import (
	"math"
	"slices"
)

// The composable finite-size bound of a laser run (see the package
// comment, "Composable finite size"). Every statistical estimate it makes
// fails with probability at most eps = eps_sec/21, and Budget lists them
// all with their weight in the secrecy parameter.

// LimTerms is the 21 of Lim et al.'s eps_sec/21: every term of their
// secrecy parameter (their Eq. B4) is set to eps_sec/21.
const LimTerms = 21

// Budget term names: the JSON keys of `qkdchat simulate --json`'s
// eps_budget.
const (
	TermSignalDetections  = "signal_detections"         // upper bound on the signal's expected share of detections
	TermWeakDetections    = "weak_detections"           // lower bound on the weak decoy's
	TermVacuumDetections  = "vacuum_detections"         // upper bound on the vacuum decoy's
	TermMultiPhoton       = "multi_photon_pulses"       // no decoys: upper bound on multi-photon pulses sent
	TermPoolSinglePhotons = "pool_single_photons"       // single photons among the key's pool (binomial)
	TermKeySinglePhotons  = "key_single_photons"        // single photons left in the key after the sample (hypergeometric)
	TermPhaseError        = "phase_error"               // Serfling bound on the key's phase errors (Lim's alpha1, weight 4)
	TermVacuumLower       = "vacuum_detections_lower"   // lower bound on the vacuum decoy's expected share of detections
	TermWeakVacuumErrors  = "weak_vacuum_errors"        // lower bound on the weak decoy's errors from empty pulses (binomial)
	TermWeakSinglePhotons = "weak_single_photons"       // lower bound on the weak decoy's single-photon bits (binomial)
	TermPhaseDecoy        = "phase_error_decoy"         // Serfling bound from the weak decoy's single photons (part of alpha1, weight 4)
	TermChainSingle       = "chain_rule_single_photons" // Lim's alpha2, weight 2
	TermChainVacuum       = "chain_rule_vacuum"         // Lim's alpha3, weight 2
	TermPrivacyAmp        = "privacy_amplification"     // Lim's nu-bar, weight 1
)

// Term is one failure probability of the bound: Eps is the probability
// the estimate (or the smoothing step) fails, Weight how many times it
// enters eps_sec (Lim et al. Eq. B4: eps_sec = 2(2 alpha1 + alpha2 +
// alpha3) + nu-bar + the estimates'). The phase-error terms are Lim's
// alpha1, a smoothing parameter: their sampling bounds are made at
// failure probability Eps², as Lim et al.'s gamma(a) (a² in its
// logarithm) and Tomamichel et al.'s mu are.
type Term struct {
	Name   string
	Eps    float64
	Weight int
}

// Budget is every term of a bound's secrecy parameter.
type Budget []Term

// Total is the secrecy parameter the terms add up to.
func (b Budget) Total() float64 {
	var s float64
	for _, t := range b {
		s += float64(t.Weight) * t.Eps
	}
	return s
}

// Eps returns the failure probability of the term named name (0 when
// the bound has no such term).
func (b Budget) Eps(name string) float64 {
	if i := slices.IndexFunc(b, func(t Term) bool { return t.Name == name }); i >= 0 {
		return b[i].Eps
	}
	return 0
}

// Contributions maps each term to its share Weight·Eps of eps_sec.
func (b Budget) Contributions() map[string]float64 {
	m := make(map[string]float64, len(b))
	for _, t := range b {
		m[t.Name] = float64(t.Weight) * t.Eps
	}
	return m
}

// NewBudget is the budget of a run at eps_sec: with or without decoys,
// with a sample removed at random from the key's pool (removed) or not,
// and with the weak decoy's phase-error estimate (decoyPhase, symmetric
// bases only). Each term is eps_sec/21, as in Lim et al.; with every
// option the terms add up to exactly eps_sec, with fewer to less.
func NewBudget(decoys, removed, decoyPhase bool, epsSec float64) Budget {
	e := epsSec / LimTerms
	var b Budget
	if decoys {
		b = append(b, Term{TermSignalDetections, e, 1}, Term{TermWeakDetections, e, 1}, Term{TermVacuumDetections, e, 1})
	} else {
		b = append(b, Term{TermMultiPhoton, e, 1})
	}
	b = append(b, Term{TermPoolSinglePhotons, e, 1})
	if removed {
		b = append(b, Term{TermKeySinglePhotons, e, 1})
	}
	if decoys && decoyPhase {
		b = append(b, Term{TermVacuumLower, e, 1}, Term{TermWeakVacuumErrors, e, 1}, Term{TermWeakSinglePhotons, e, 1}, Term{TermPhaseDecoy, e, 4})
	}
	return append(b, Term{TermPhaseError, e, 4}, Term{TermChainSingle, e, 2}, Term{TermChainVacuum, e, 2}, Term{TermPrivacyAmp, e, 1})
}

// Observed is what the parties know when they bound a laser run: the
// source as announced, the detections of each intensity (all bases), and
// how the key was drawn from them.
type Observed struct {
	Decoys bool
	Mu, Nu float64
	// Prob is the announced probability of each intensity (signal, weak,
	// vacuum); without decoys only the signal's, 1.
	Prob     [3]float64
	Pulses   float64    // N, pulses sent (no decoys: bounds the multi-photon ones)
	Detected [3]float64 // Bob's detections of each intensity, all bases
	// PoolProb is the probability that a detection's two bases put it in
	// the pool the key is drawn from: zB² + (1-zB)² when the key comes
	// from both bases (symmetric), zK² when only from the key basis.
	PoolProb float64
	Key      float64 // n: key bits
	Removed  float64 // bits of the pool drawn at random and disclosed before the key (the rest is the key)
	// PhaseBits bits (k) were disclosed to estimate the key's phase error,
	// with error rate PhaseQBER.
	PhaseBits float64
	PhaseQBER float64
	// DecoyPhase also bounds the phase error from the weak decoy, whose
	// sifted bits (the fraction SiftProb of its detections, bases agreeing)
	// were all disclosed with WeakErrors errors. Only for symmetric bases,
	// where a bit error of a single photon is as likely as a phase error.
	DecoyPhase bool
	SiftProb   float64
	WeakErrors float64
}

// Composable is the bound of a laser run.
type Composable struct {
	S1     float64 // lower bound on single-photon detections, all intensities and bases (no decoys: untagged ones, empty pulses included)
	S1Pool float64 // lower bound on single-photon bits in the key's pool
	S1Key  float64 // lower bound on single-photon bits in the key
	Phi1   float64 // upper bound on their phase-error rate (may exceed 1/2: no key)
	Serf   float64 // the Serfling term added to the sample's phase QBER
	// The weak decoy's phase-error estimate (DecoyPhase): its single-photon
	// bits, at least S1Weak, of which at most V1Weak were errors.
	S1Weak, V1Weak float64
	Budget         Budget
}

// Tau1 is tau_1 = sum_k p_k k e^-k, the probability that Alice sends one
// photon (Lim et al.).
func (o Observed) Tau1() float64 {
	t := o.Prob[0] * o.Mu * math.Exp(-o.Mu)
	if o.Decoys {
		t += o.Prob[1] * o.Nu * math.Exp(-o.Nu)
	}
	return t
}

// Bound computes the composable bound of o at eps_sec.
func (o Observed) Bound(epsSec float64) Composable {
	c := Composable{Budget: NewBudget(o.Decoys, o.Removed > 0, o.DecoyPhase, epsSec), Phi1: math.Inf(1)}
	var total float64
	for _, d := range o.Detected {
		total += d
	}
	tau1 := o.Tau1()
	share := o.Prob[0] * o.Mu * math.Exp(-o.Mu) / tau1 // p(signal | one photon)
	if o.Decoys {
		b := c.Budget
		// Lim et al. Eq. A5 with mu3 = 0, the vacuum's two appearances
		// bounded together from above (MQZL Eq. 34 in counts).
		up := func(cl int, name string) float64 {
			return total * MeanBound(o.Detected[cl], total, b.Eps(name), +1) / o.Prob[cl]
		}
		nMu := up(0, TermSignalDetections)
		nNu := total * MeanBound(o.Detected[1], total, b.Eps(TermWeakDetections), -1) / o.Prob[1]
		n0 := up(2, TermVacuumDetections)
		c.S1 = tau1 * Y1Lower(o.Mu, o.Nu, nMu, nNu, n0)
		if o.DecoyPhase && c.S1 >= 1 {
			// Empty pulses give fair-coin errors: s0 >= tau0 n0-/p0 (Lim Eq.
			// A4, mu3 = 0), and each is a sifted weak bit with probability
			// p(weak | 0) SiftProb, an error with 1/2.
			tau0 := o.Prob[0]*math.Exp(-o.Mu) + o.Prob[1]*math.Exp(-o.Nu) + o.Prob[2]
			s0 := tau0 * total * MeanBound(o.Detected[2], total, b.Eps(TermVacuumLower), -1) / o.Prob[2]
			v0 := BinomialBound(math.Floor(s0), o.Prob[1]*math.Exp(-o.Nu)/tau0*o.SiftProb/2, b.Eps(TermWeakVacuumErrors), -1)
			c.V1Weak = math.Max(0, o.WeakErrors-math.Ceil(v0))
			c.S1Weak = BinomialBound(math.Floor(c.S1), o.Prob[1]*o.Nu*math.Exp(-o.Nu)/tau1*o.SiftProb, b.Eps(TermWeakSinglePhotons), -1)
		}
	} else {
		// GLLP in counts: S1 is the untagged detections (of empty or
		// single-photon pulses, whose states do not depend on the basis);
		// the others came from multi-photon pulses, of which at most M were
		// sent.
		c.S1 = o.Detected[0] - BinomialBound(o.Pulses, MultiPhoton(o.Mu), c.Budget.Eps(TermMultiPhoton), +1)
	}
	if !(c.S1 >= 1) || !(total > 0) {
		c.S1 = math.Max(0, c.S1)
		return c
	}
	// Each single-photon detection is a signal and falls in the pool
	// independently (Eve cannot tell a single photon's intensity or basis).
	c.S1Pool = BinomialBound(math.Floor(c.S1), share*o.PoolProb, c.Budget.Eps(TermPoolSinglePhotons), -1)
	return o.sample(c)
}

// sample completes c, whose S1Pool is known, for o's sample and key.
func (o Observed) sample(c Composable) Composable {
	c.S1Key, c.Phi1, c.Serf = c.S1Pool, math.Inf(1), 0
	if o.Removed > 0 { // the key is a uniformly random part of the pool
		c.S1Key = BinomialBound(o.Key, math.Floor(c.S1Pool)/(o.Key+o.Removed), c.Budget.Eps(TermKeySinglePhotons), -1)
	}
	c.S1Key = math.Min(c.S1Key, o.Key)
	if !(c.S1Key > 0) || !(o.PhaseBits > 0) {
		c.S1Key = math.Max(0, c.S1Key)
		return c
	}
	// The key's phase errors, all of them attributed to its single photons.
	// Lim et al. (B2, and Tomamichel et al.) make the sampling bound at
	// failure alpha1², alpha1 the smoothing parameter of weight 4.
	e := c.Budget.Eps(TermPhaseError)
	c.Serf = Serfling(o.Key, o.PhaseBits, e*e)
	c.Phi1 = o.Key * (o.PhaseQBER + c.Serf) / c.S1Key
	if c.S1Weak >= 1 { // or the weak decoy's single photons, a random sample of them all
		e := c.Budget.Eps(TermPhaseDecoy)
		c.Phi1 = math.Min(c.Phi1, c.V1Weak/c.S1Weak+Serfling(c.S1Key, c.S1Weak, e*e))
	}
	return c
}

// KeyLength is Lim et al.'s Eq. 1 without the vacuum term:
// S1Key (1 - h(Phi1)) - leak - 6 log2(21/eps_sec) - log2(2/eps_cor), not
// rounded; -Inf when no single photon is proved or Phi1 >= 1/2.
func (c Composable) KeyLength(leak, epsSec, epsCor float64) float64 {
	if !(c.S1Key > 0) || !(c.Phi1 < 0.5) {
		return math.Inf(-1)
	}
	return c.S1Key*(1-h2(c.Phi1)) - leak - 6*math.Log2(LimTerms/epsSec) - math.Log2(2/epsCor)
}

// Serfling is the term mu of Tomamichel et al. (Nat. Commun. 3:634
// (2012), Eq. 2): the phase-error rate of n key bits exceeds that of k
// sample bits drawn at random with them by more than mu with probability
// at most fail. It equals qkd/finitekey's Mu(n, k, 2 sqrt(fail)).
func Serfling(n, k, fail float64) float64 {
	if !(n > 0) || !(k > 0) {
		return math.Inf(1)
	}
	return math.Sqrt((n + k) * (k + 1) * math.Log(1/fail) / (2 * n * k * k))
}

// MeanBound returns the Chernoff-Hoeffding bound, at failure probability
// eps, on the mean success probability of n independent Bernoulli trials
// of which k succeeded: the p on the side sign (+1 above, -1 below) of k/n
// with n D(k/n || p) = ln(1/eps), D the binary relative entropy
// (Hoeffding, J. Am. Stat. Assoc. 58, 13 (1963), Thm. 1). It holds for
// trials of unequal probabilities (their mean is bounded).
func MeanBound(k, n, eps, sign float64) float64 {
	if !(n > 0) {
		return 0
	}
	x := math.Min(1, math.Max(0, k/n))
	return invert(x, math.Log(1/eps)/n, sign,
		func(p float64) float64 { return kl(x, p) },
		func(p float64) float64 { return (p - x) / (p * (1 - p)) })
}

// BinomialBound returns the bound, at failure probability eps, on the
// number of successes of n independent trials of probability p, or of n
// draws without replacement from a population with a fraction p of
// successes (Hoeffding 1963, Sec. 6): n x with x on the side sign of p and
// n D(x || p) = ln(1/eps). Fewer trials make the count stochastically
// smaller, so n may be a lower bound on the trials for sign -1.
func BinomialBound(n, p, eps, sign float64) float64 {
	if !(n > 0) {
		return 0
	}
	p = math.Min(1, math.Max(0, p))
	return n * invert(p, math.Log(1/eps)/n, sign,
		func(x float64) float64 { return kl(x, p) },
		func(x float64) float64 { return math.Log(x/p) - math.Log((1-x)/(1-p)) })
}

// invert returns the point y on the side sign of c (in [0, 1]) where the
// convex d, 0 at c, reaches t, rounded away from c (the conservative
// side); dd is d's derivative. Newton's method from a point beyond the
// root (the quadratic lower bound d >= (y-c)²/(2 max(y,c)) puts one
// there) approaches it monotonically; bisection takes over where a step
// leaves the bracket.
func invert(c, t, sign float64, d, dd func(float64) float64) float64 {
	g := func(y float64) float64 { return d(y) - t }
	var out, in float64 // g(out) > 0 beyond the root, g(in) <= 0 at c's side
	if sign > 0 {
		if g(1) <= 0 {
			return 1
		}
		out, in = math.Min(1, c+t+math.Sqrt(t*t+2*t*c)), c
	} else {
		if g(0) <= 0 {
			return 0
		}
		out, in = math.Max(0, c-math.Sqrt(2*t*c)), c
	}
	gOut := g(out)
	if !(gOut > 0) { // rounding: bisect over the whole side
		out = (1 + sign) / 2
		gOut = g(out)
	}
	for range 200 {
		next := out - gOut/dd(out)
		if !((next-in)*(out-next) > 0) { // not strictly inside: bisect
			next = (out + in) / 2
		}
		if next == out || next == in {
			break
		}
		if gn := g(next); gn > 0 {
			done := math.Abs(next-out) <= 1e-10*min(math.Abs(out-c), out, 1-out)
			out, gOut = next, gn
			if done {
				break
			}
		} else {
			in = next
		}
	}
	return out
}

// kl is the binary relative entropy D(x || p) in nats (+Inf where p puts
// no weight on an outcome x has).
func kl(x, p float64) float64 {
	var d float64
	if x > 0 {
		if p <= 0 {
			return math.Inf(1)
		}
		d += x * math.Log(x/p)
	}
	if x < 1 {
		if p >= 1 {
			return math.Inf(1)
		}
		d += (1 - x) * math.Log((1-x)/(1-p))
	}
	return d
}

// composableRate is the finite-size key rate per pulse of N = fin.Pulses
// pulses of a laser (with decoys: a fraction sig of signals, the rest
// split evenly between the weak decoy nu and the vacuum) under the
// composable bound, on the counts the link gives on average: symmetric
// bases, a sample of the sifted signals chosen to maximise the key, and
// error correction leaking f n h(E_mu).
func (c channel) composableRate(fin Finite, decoys bool, mu, nu, sig float64) float64 {
	epsSec, epsCor := fin.eps()
	N := fin.Pulses
	o := Observed{Decoys: decoys, Mu: mu, Nu: nu, Prob: [3]float64{1}, Pulses: N, PoolProb: sifting,
		DecoyPhase: decoys, SiftProb: sifting}
	if decoys {
		o.Prob = [3]float64{sig, (1 - sig) / 2, (1 - sig) / 2}
	}
	for cl, x := range []float64{mu, nu, 0} {
		o.Detected[cl] = N * o.Prob[cl] * c.gain(x)
	}
	o.WeakErrors = N * o.Prob[1] * sifting * c.errGain(nu)
	qmu := c.gain(mu)
	o.PhaseQBER = c.errGain(mu) / qmu
	pool := math.Floor(o.Detected[0] * sifting)
	if !(pool >= 2) {
		return math.Inf(-1)
	}
	o.Key, o.Removed = pool-1, 1
	b := o.Bound(epsSec)
	if !(b.S1Pool > 0) {
		return math.Inf(-1)
	}
	leak := func(n float64) float64 { return c.f * n * h2(o.PhaseQBER) }
	length := func(k float64) float64 {
		o.Key, o.Removed, o.PhaseBits = pool-k, k, k
		return o.sample(b).KeyLength(leak(pool-k), epsSec, epsCor)
	}
	// The sample: maximise over its size on a log scale.
	_, l := maximise(length, 1, pool-1, sampleEffort())
	return l / N
}

// sampleEffort is how hard composableRate searches the sample size.
func sampleEffort() effort { return effort{points: 5, steps: 6} }
