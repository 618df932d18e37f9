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
	var total, errTotal float64
	for cl := range c.Detected {
		total += float64(c.Detected[cl])
		errTotal += float64(c.Errors[cl])
	}
	delta := math.Sqrt(total / 2 * math.Log(21/epsSec))
	deltaE := math.Sqrt(errTotal / 2 * math.Log(21/epsSec))
	return Bounds{
		Asymptotic: bound(src, c, eMu, 0, 0, 0),
		Finite:     bound(src, c, eMu+muS, delta, deltaE, epsSec),
	}
}

// bound is Estimate's bound with detection counts moved by delta and error
// counts by deltaE (0 for the asymptotic bound); ePhase is the signal
// sample's phase-error bound.
func bound(src Source, c Counts, ePhase, delta, deltaE, epsSec float64) Bound {
	gain := func(cl channel.Class, sign float64) float64 {
		if c.Pulses[cl] == 0 {
			return 0
		}
		return math.Max(0, float64(c.Detected[cl])+sign*delta) / float64(c.Pulses[cl])
	}
	qmu := c.Gain(channel.Signal)
	var b Bound
	var e1 float64
	if src.Decoys {
		nu := src.Nu
		y0U := gain(channel.Vacuum, +1)
		y0L := gain(channel.Vacuum, -1)
		b.Y1L = keyrate.Y1Lower(src.Mu, nu, gain(channel.Signal, +1), gain(channel.Weak, -1), y0U)
		errNu := math.Min(float64(c.Disclosed[channel.Weak]), float64(c.Errors[channel.Weak])+deltaE)
		eNu := 0.0
		if c.Disclosed[channel.Weak] > 0 {
			eNu = errNu / float64(c.Disclosed[channel.Weak])
		}
		b.Q1L = b.Y1L * src.Mu * math.Exp(-src.Mu)
		if b.Y1L > 0 {
			e1 = keyrate.E1Upper(nu, eNu*gain(channel.Weak, +1), y0L, b.Y1L)
			if delta > 0 { // Serfling: the key's single photons against the decoy's
				qnu := c.Gain(channel.Weak)
				k1 := float64(c.Disclosed[channel.Weak]) * b.Y1L * nu * math.Exp(-nu) / math.Max(qnu, 1e-300)
				n1 := float64(c.Detected[channel.Signal]) * b.Q1L / math.Max(qmu, 1e-300)
				e1 += finitekey.Mu(int(n1), int(k1), epsSec)
			}
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
	case !src.Laser || src.AssumeSingle:
		return ""
	case src.Decoys && b.Delta1 < 0.01:
		return fmt.Sprintf("the decoy pulses show that too few detections came from single photons: a photon-number-splitting attack or too much loss (single-photon yield Y1 >= %.3g, single photons >= %.1f%% of signal detections)", b.Y1L, 100*b.Delta1)
	case src.Decoys:
		return fmt.Sprintf("the decoy pulses bound the single photons to >= %.1f%% of signal detections with error rate <= %.1f%% (Y1 >= %.3g)", 100*b.Delta1, 100*b.E1U, b.Y1L)
	case b.Delta1 < 0.01:
		return fmt.Sprintf("without decoy states every multi-photon pulse may have been split (GLLP): multi-photon pulses (%.1f%% of pulses at mu=%.3g) could account for all signal detections, so none is provably from a single photon", 100*keyrate.MultiPhoton(src.Mu), src.Mu)
	}
	return fmt.Sprintf("without decoy states only >= %.1f%% of signal detections are provably from single photons (GLLP, mu=%.3g)", 100*b.Delta1, src.Mu)
}
