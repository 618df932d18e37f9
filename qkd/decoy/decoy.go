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
	E1U    float64 // upper bound on the single-photon error rate, at most 1/2
	Delta1 float64 // lower bound on the single-photon share of signal detections
}

// Bounds holds the bound of a run asymptotically and with finite-size
// fluctuations.
type Bounds struct {
	Asymptotic, Finite Bound
}

// Estimate bounds the single-photon part from the counts. eMu is the
// signal sample's phase QBER and muS its Serfling term (finitekey.Mu);
// epsSec sets the Hoeffding fluctuations of the finite bound.
func Estimate(src Source, c Counts, eMu, muS, epsSec float64) Bounds {
	if !src.Laser || src.AssumeSingle {
		one := Bound{Y1L: math.NaN(), Q1L: math.NaN(), Delta1: 1}
		a, f := one, one
		a.E1U, f.E1U = math.Min(0.5, eMu), math.Min(0.5, eMu+muS)
		return Bounds{Asymptotic: a, Finite: f}
	}
	eps := epsSec / 21
	return Bounds{
		Asymptotic: bound(src, c, eMu, nil, epsSec),
		Finite: bound(src, c, eMu+muS, func(k, n int, sign float64) float64 {
			if n == 0 { // a class of no trials: its count is exactly 0
				return 0
			}
			return float64(n) * Chernoff(k, n, eps, sign)
		}, epsSec),
	}
}

// countBound turns an observed count k of n trials into its bound in the
// direction sign (+1 upper, -1 lower); nil means the count itself.
type countBound func(k, n int, sign float64) float64

// bound is Estimate's bound with the counts moved by fl (nil for the
// asymptotic bound); ePhase is the signal sample's phase-error bound.
func bound(src Source, c Counts, ePhase float64, fl countBound, epsSec float64) Bound {
	var total int
	for _, d := range c.Detected {
		total += d
	}
	count := func(k, n int, sign float64) float64 {
		if fl == nil {
			return float64(k)
		}
		return fl(k, n, sign)
	}
	// A class's detections are its share of all detections (Lim et al.).
	gain := func(cl channel.Class, sign float64) float64 {
		if c.Pulses[cl] == 0 {
			return 0
		}
		return count(c.Detected[cl], total, sign) / float64(c.Pulses[cl])
	}
	qmu := c.Gain(channel.Signal)
	var b Bound
	var e1 float64
	if src.Decoys {
		nu := src.Nu
		b.Y1L = keyrate.Y1Lower(src.Mu, nu, gain(channel.Signal, +1), gain(channel.Weak, -1), gain(channel.Vacuum, +1))
		b.Q1L = b.Y1L * src.Mu * math.Exp(-src.Mu)
		if d := c.Disclosed[channel.Weak]; b.Y1L > 0 && d > 0 {
			eNu := count(c.Errors[channel.Weak], d, +1) / float64(d)
			e1 = keyrate.E1Upper(nu, eNu*gain(channel.Weak, +1), gain(channel.Vacuum, -1), b.Y1L)
			if fl != nil { // Serfling: the key's single photons against the decoy's
				k1 := float64(d) * b.Y1L * nu * math.Exp(-nu) / math.Max(c.Gain(channel.Weak), 1e-300)
				n1 := float64(c.Detected[channel.Signal]) * b.Q1L / math.Max(qmu, 1e-300)
				e1 += finitekey.Mu(int(n1), int(k1), epsSec)
			}
		} else {
			e1 = math.Inf(1)
		}
	} else {
		b.Q1L = keyrate.GLLPSingleGain(src.Mu, gain(channel.Signal, -1))
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
// negative or -Inf.
func KeyLength(b Bound, n int, leak, epsSec, epsCor float64) float64 {
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
// of which k succeeded: the p on the side sign (+1 above, -1 below) of k/n
// where n D(k/n || p) = ln(1/eps), D the binary relative entropy. It is
// valid for trials of unequal probabilities (their mean is bounded) and
// tighter than Hoeffding's sqrt(ln(1/eps)/(2n)) for rare events.
func Chernoff(k, n int, eps, sign float64) float64 {
	x, target := float64(k)/float64(n), math.Log(1/eps)/float64(n)
	lo, hi := x, 1.0
	if sign < 0 {
		lo, hi = 0, x
	}
	for i := 0; i < 100; i++ {
		m := (lo + hi) / 2
		if (kl(x, m) > target) == (sign > 0) {
			hi = m
		} else {
			lo = m
		}
	}
	if sign > 0 {
		return hi
	}
	return lo
}

// kl is the binary relative entropy D(x || p) in nats.
func kl(x, p float64) float64 {
	var d float64
	if x > 0 {
		d += x * math.Log(x/p)
	}
	if x < 1 {
		d += (1 - x) * math.Log((1-x)/(1-p))
	}
	return d
}
