package decoy

import (
	"fmt"
	"math"

	"qkdchat/qkd/channel"
	"qkdchat/qkd/finitekey"
	"qkdchat/qkd/keyrate"
)

// Counts is what both parties know after the decoy announcement, per
// intensity class: pulses sent, Bob's detections, and the disclosed sifted
// bits and their errors (the weak decoy's; the signal's is the sample).
type Counts struct {
	Pulses, Detected, Disclosed, Errors [channel.NumClasses]int
}

// Gain returns the measured gain Q_x of class c (0 without pulses).
func (c Counts) Gain(cl channel.Class) float64 {
	if c.Pulses[cl] == 0 {
		return 0
	}
	return float64(c.Detected[cl]) / float64(c.Pulses[cl])
}

// QBER returns the measured error rate E_x of class c's disclosed bits.
func (c Counts) QBER(cl channel.Class) float64 {
	if c.Disclosed[cl] == 0 {
		return 0
	}
	return float64(c.Errors[cl]) / float64(c.Disclosed[cl])
}

// Bound is the single-photon bound of a run: Y1, e1, and the share Delta1
// of the signal's detections that came from single photons.
type Bound struct {
	Y1L    float64 // lower bound on the single-photon yield (0 when not bounded)
	Q1L    float64 // lower bound on the single-photon gain Q1 = Y1 mu e^-mu
	E1U    float64 // upper bound on the single-photon (phase) error rate, at most 1/2
	Delta1 float64 // lower bound on the single-photon share of signal detections (finite: of the key)
	// Composable marks the finite-size bound of a laser run (keyrate's
	// Observed.Bound): S1Key single-photon key bits at least, and the
	// failure probabilities of every estimate, which add up to at most
	// eps_sec.
	Composable bool
	S1Key      float64
	Budget     keyrate.Budget
}

// Bounds holds the bound of a run asymptotically and with finite-size
// fluctuations.
type Bounds struct {
	Asymptotic, Finite Bound
}

// Sample is how a run drew its key from the signal's sifted detections,
// and what it measured the key's phase error on.
type Sample struct {
	Key     int // n: key bits
	Removed int // bits drawn at random from the key's pool and disclosed
	// ZBias is the probability of the Z basis, for both parties.
	// Symmetric (0.5): the key's pool is every sifted signal; otherwise
	// only those of the likelier basis.
	ZBias     float64
	PhaseBits int     // k: bits the phase error is estimated on
	PhaseQBER float64 // their error rate
}

// poolProb is the probability that a detection's bases put it in the
// key's pool, and siftProb that they agree.
func (s Sample) poolProb() float64 {
	if s.ZBias == 0.5 {
		return s.siftProb()
	}
	z := max(s.ZBias, 1-s.ZBias)
	return z * z
}

func (s Sample) siftProb() float64 { return s.ZBias*s.ZBias + (1-s.ZBias)*(1-s.ZBias) }

// Estimate bounds the single-photon part from the counts, for the key
// drawn as s. The asymptotic bound is MQZL's on the measured gains; the
// finite one keyrate's composable bound (Lim et al.) at epsSec. A
// single-photon source, or AssumeSingle (UNSAFE), counts every detection
// as a single photon, with Tomamichel et al.'s bound.
func Estimate(src Source, c Counts, s Sample, epsSec float64) Bounds {
	if !src.Laser || src.AssumeSingle {
		one := Bound{Y1L: math.NaN(), Q1L: math.NaN(), Delta1: 1}
		a, f := one, one
		a.E1U, f.E1U = math.Min(0.5, s.PhaseQBER), math.Min(0.5, s.PhaseQBER+finitekey.Mu(s.Key, s.PhaseBits, epsSec))
		return Bounds{Asymptotic: a, Finite: f}
	}
	return Bounds{Asymptotic: asymptotic(src, c, s.PhaseQBER), Finite: composable(src, c, s, epsSec)}
}

// Observed is what the composable bound is computed from: the counts, the
// source as announced, and how the key was drawn.
func Observed(src Source, c Counts, s Sample) keyrate.Observed {
	o := keyrate.Observed{Decoys: src.Decoys, Mu: src.Mu, Nu: src.Nu, Prob: [3]float64{1}, PoolProb: s.poolProb(),
		Key: float64(s.Key), Removed: float64(s.Removed), PhaseBits: float64(s.PhaseBits), PhaseQBER: s.PhaseQBER,
		DecoyPhase: src.Decoys && s.ZBias == 0.5, SiftProb: s.siftProb(), WeakErrors: float64(c.Errors[channel.Weak])}
	if src.Decoys {
		o.Prob = [3]float64{1 - src.PWeak - src.PVac, src.PWeak, src.PVac}
	}
	for cl := range c.Detected {
		o.Detected[cl] = float64(c.Detected[cl])
		o.Pulses += float64(c.Pulses[cl])
	}
	return o
}

// composable is the finite-size bound of a laser run.
func composable(src Source, c Counts, s Sample, epsSec float64) Bound {
	o := Observed(src, c, s)
	k := o.Bound(epsSec)
	b := Bound{Composable: true, S1Key: k.S1Key, Budget: k.Budget, E1U: math.Min(0.5, k.Phi1)}
	if o.Pulses > 0 {
		b.Y1L = k.S1 / (o.Pulses * o.Tau1())
		b.Q1L = b.Y1L * src.Mu * math.Exp(-src.Mu)
	}
	if s.Key > 0 {
		b.Delta1 = k.S1Key / float64(s.Key)
	}
	return b
}

// asymptotic is MQZL's bound on the measured gains (no fluctuations);
// ePhase is the signal sample's phase QBER.
func asymptotic(src Source, c Counts, ePhase float64) Bound {
	gain := c.Gain
	qmu := gain(channel.Signal)
	var b Bound
	var e1 float64
	if src.Decoys {
		nu := src.Nu
		b.Y1L = keyrate.Y1Lower(src.Mu, nu, qmu, gain(channel.Weak), gain(channel.Vacuum))
		b.Q1L = b.Y1L * src.Mu * math.Exp(-src.Mu)
		if d := c.Disclosed[channel.Weak]; b.Y1L > 0 && d > 0 {
			e1 = keyrate.E1Upper(nu, c.QBER(channel.Weak)*gain(channel.Weak), gain(channel.Vacuum), b.Y1L)
		} else {
			e1 = math.Inf(1)
		}
	} else {
		b.Q1L = keyrate.GLLPSingleGain(src.Mu, qmu)
		b.Y1L = b.Q1L / (src.Mu * math.Exp(-src.Mu))
		e1 = math.Inf(1)
	}
	if !(b.Q1L > 0) || !(qmu > 0) {
		b.Q1L, b.Delta1, b.E1U = math.Max(0, b.Q1L), 0, 0.5
		b.Y1L = math.Max(0, b.Y1L)
		return b
	}
	b.Delta1 = math.Min(1, b.Q1L/qmu)
	b.E1U = math.Min(0.5, math.Min(e1, ePhase/b.Delta1))
	return b
}

// KeyLength is the key length l of n key bits after leak bits of error
// correction, from the bound b (see the package comment); it may be
// negative or -Inf. A composable bound gives Lim et al.'s Eq. 1 (without
// s0) on its single-photon key bits; the others n Delta1 (1 - h(e1)) -
// leak - log2(2/(eps_sec² eps_cor)).
func KeyLength(b Bound, n int, leak, epsSec, epsCor float64) float64 {
	if b.Composable {
		return keyrate.Composable{S1Key: b.S1Key, Phi1: b.E1U}.KeyLength(leak, epsSec, epsCor)
	}
	n1 := float64(n) * b.Delta1
	if !(n1 > 0) || b.E1U >= 0.5 {
		return math.Inf(-1)
	}
	return n1*(1-finitekey.BinaryEntropy(b.E1U)) - leak - math.Log2(2/(epsSec*epsSec*epsCor))
}

// Explain says in words what the bound of a laser run that made no key
// shows.
func Explain(src Source, b Bound) string {
	switch {
	case !src.Laser:
		return ""
	case src.AssumeSingle:
		return "UNSAFE: every laser detection was assumed to come from a single photon; a photon-number-splitting eavesdropper may know most of this key"
	case src.Decoys && b.Delta1 < 0.01:
		return fmt.Sprintf("the decoy pulses show that too few detections came from single photons: a photon-number-splitting attack or too much loss (single-photon yield Y1 >= %.3g, single photons >= %.1f%% of signal detections)", b.Y1L, 100*b.Delta1)
	case src.Decoys:
		return fmt.Sprintf("the decoy pulses bound the single photons to >= %.1f%% of signal detections with error rate <= %.1f%% (Y1 >= %.3g)", 100*b.Delta1, 100*b.E1U, b.Y1L)
	case b.Delta1 < 0.01:
		return fmt.Sprintf("without decoy states every multi-photon pulse may have been split (GLLP): multi-photon pulses (%.1f%% of pulses at mu=%.3g) could account for all signal detections, so none is provably from a single photon", 100*keyrate.MultiPhoton(src.Mu), src.Mu)
	}
	return fmt.Sprintf("without decoy states only >= %.1f%% of signal detections are provably from single photons (GLLP, mu=%.3g)", 100*b.Delta1, src.Mu)
}

// Chernoff returns the Chernoff-Hoeffding bound, at failure probability
// eps, on the mean success probability of n independent Bernoulli trials
// of which k succeeded, on the side sign (+1 above, -1 below) of k/n:
// keyrate.MeanBound.
func Chernoff(k, n int, eps, sign float64) float64 {
	return keyrate.MeanBound(float64(k), float64(n), eps, sign)
}
