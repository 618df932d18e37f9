package decoy

import (
	"math"

	"qkdchat/qkd/channel"
)

// Report is what a run on the pulse model reports about its source and
// single-photon bound; the JSON names are those of `qkdchat simulate
// --json`.
type Report struct {
	Mu                 float64     `json:"mu"`
	Nu                 float64     `json:"nu,omitempty"`
	Decoy              string      `json:"decoy"` // none or vacuum+weak
	AssumeSinglePhoton bool        `json:"assume_single_photon"`
	Intensities        []Intensity `json:"intensities"`
	Y1Lower            float64     `json:"y1_lower"`            // finite-size lower bound on the single-photon yield (0: none)
	E1Upper            float64     `json:"e1_upper"`            // finite-size upper bound on the single-photon error rate
	SinglePhotonShare  float64     `json:"single_photon_share"` // lower bound on the single-photon share of signal detections
	Y1LowerAsymptotic  float64     `json:"y1_lower_asymptotic"`
	E1UpperAsymptotic  float64     `json:"e1_upper_asymptotic"`
	KeyBitsAsymptotic  float64     `json:"key_bits_asymptotic"` // the asymptotic bound's key length (0 when none)
	EveSplitPulses     int         `json:"eve_split_pulses"`    // PNS or beam-splitting: pulses Eve kept a photon of (simulator only)
	// The composable finite-size bound of a laser run (keyrate.Observed):
	// its lower bound on the key's single-photon bits, and each failure
	// probability times its weight in eps_sec (Lim et al. Eq. B4); they
	// add up to EpsSecAccounted, at most eps_sec.
	SinglePhotonKeyBits float64            `json:"single_photon_key_bits,omitempty"`
	EpsBudget           map[string]float64 `json:"eps_budget,omitempty"`
	EpsSecAccounted     float64            `json:"eps_sec_accounted,omitempty"`
	Verdict             string             `json:"single_photon_verdict"`
}

// Intensity is what the parties measured at one intensity.
type Intensity struct {
	Class    string  `json:"class"` // signal, weak or vacuum
	Mean     float64 `json:"mean_photons"`
	Pulses   int     `json:"pulses"`
	Detected int     `json:"detected"`
	Gain     float64 `json:"gain"`
	QBER     float64 `json:"qber"` // of the disclosed sifted bits (signal: the sample)
}

// NewReport starts the report of a run with source s.
func NewReport(s Source) *Report {
	r := &Report{Decoy: "none", AssumeSinglePhoton: s.AssumeSingle}
	if s.Laser {
		r.Mu = s.Mu
	}
	if s.Decoys {
		r.Decoy, r.Nu = "vacuum+weak", s.Nu
	}
	return r
}

// Fill records the counts, the bounds and the asymptotic key length.
func (r *Report) Fill(s Source, c Counts, b Bounds, keyAsymptotic float64) {
	r.Y1Lower, r.E1Upper, r.SinglePhotonShare = finiteOr(b.Finite.Y1L), b.Finite.E1U, b.Finite.Delta1
	r.Y1LowerAsymptotic, r.E1UpperAsymptotic = finiteOr(b.Asymptotic.Y1L), b.Asymptotic.E1U
	r.KeyBitsAsymptotic = finiteOr(keyAsymptotic)
	r.SinglePhotonKeyBits, r.EpsBudget, r.EpsSecAccounted = 0, nil, 0
	if b.Finite.Composable {
		r.SinglePhotonKeyBits = b.Finite.S1Key
		r.EpsBudget, r.EpsSecAccounted = b.Finite.Budget.Contributions(), b.Finite.Budget.Total()
	}
	r.Intensities = r.Intensities[:0]
	for cl, mean := range []float64{s.Mu, s.Nu, 0} {
		if c.Pulses[cl] == 0 {
			continue
		}
		if !s.Laser {
			mean = 1
		}
		k := channel.Class(cl)
		r.Intensities = append(r.Intensities, Intensity{Class: k.String(), Mean: mean, Pulses: c.Pulses[cl],
			Detected: c.Detected[cl], Gain: c.Gain(k), QBER: c.QBER(k)})
	}
	r.Verdict = Explain(s, b.Finite)
}

// finiteOr maps NaN and infinities (an undefined bound) to 0 for JSON.
func finiteOr(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	return x
}
