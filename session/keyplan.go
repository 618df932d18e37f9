package session

import (
	"fmt"
	"math"

	"qkdchat/qkd"
)

// Planning an exchange. Alice sizes each BB84 exchange (how many photons,
// how large a sample) for a design QBER, which she announces in the
// protocol's parameters and Bob checks as any announced parameter. The
// design QBER comes only from what real parties legitimately know:
//
//   - the link calibration: the error rate their own equipment gives
//     (BB84Settings.Noise, the detector and fibre), measured when the link
//     was set up. It is a property of the parties' devices, not of the
//     channel's users, so an eavesdropper is never in it: nobody on the
//     honest side configures Eve, and BB84Settings.Eve (the simulated
//     channel's attacker) never enters a plan;
//   - the QBER measured in this session's earlier exchanges: the sample
//     bits are disclosed on the authenticated channel, so both sides hold
//     the same figures. A hidden eavesdropper raises them, and so changes
//     later plans, only as disclosed data; an exchange whose measured QBER
//     reached the abort threshold is left out (nothing is planned for a
//     run that must abort anyway).
//
// Security does not rest on the plan: every run bounds Eve's knowledge
// from its own measured sample (the finite-key bound), and the plan only
// decides whether enough key is likely to remain.

// PlanSource says where an exchange's design QBER came from.
type PlanSource string

const (
	PlanConfigured  PlanSource = "configured"  // BB84Settings.DesignQBER or the 2% default
	PlanCalibration PlanSource = "calibration" // the link's configured intrinsic noise
	PlanMeasured    PlanSource = "measured"    // the QBER measured in earlier exchanges
	// PlanProbe: the measured QBER asks for more photons than one run may
	// send, so the run is planned as the first one was. It makes a key if
	// the link has improved, and measures it afresh if not.
	PlanProbe PlanSource = "probe"
)

// ExchangePlan is how Alice sized an exchange. It is recorded with the
// exchange (KeyExchange.Plan); everything in it is known to both sides.
type ExchangePlan struct {
	DesignQBER float64    `json:"design_qber"`
	Source     PlanSource `json:"source"`
	// Initial is the design QBER of a first exchange under the settings
	// of the time (the configured design QBER or the calibration, the
	// larger). Measurements taken under another calibration are not used.
	Initial float64 `json:"initial"`
	// Measured is how many earlier exchanges the estimate pooled, and
	// MeasuredQBER their pooled QBER (Source measured or probe).
	Measured     int     `json:"measured,omitempty"`
	MeasuredQBER float64 `json:"measured_qber,omitempty"`
	Qubits       int     `json:"qubits"`
}

// Planning constants.
const (
	// planWindow is how many earlier measurements the estimate pools.
	planWindow = 3
	// planMarginSigmas is the margin over the pooled measured QBER, in its
	// standard deviations: the estimate itself came from a finite sample.
	planMarginSigmas = 1
)

// qberMeasurement is what both sides know of an earlier exchange: the
// QBER of its disclosed sample and the sample's size.
type qberMeasurement struct {
	QBER   float64
	Sample int
}

// disclosedMeasurement returns the measured QBER of an exchange, and false
// when it disclosed no sample (it ended before parameter estimation) or
// its QBER reached the threshold. It reads only the disclosed figures of
// the report, never the simulator's truths (QBERTrue, EveFraction...).
func disclosedMeasurement(kx *KeyExchange, threshold float64) (qberMeasurement, bool) {
	if kx == nil || kx.Report == nil || kx.Report.SampleSize <= 0 {
		return qberMeasurement{}, false
	}
	q := kx.Report.QBEREstimate
	if !(q >= 0 && q < threshold) {
		return qberMeasurement{}, false
	}
	return qberMeasurement{QBER: q, Sample: kx.Report.SampleSize}, true
}

// initialDesignQBER is the design QBER of a first exchange: the configured
// one (2% by default) or, when larger, the QBER the link's own calibrated
// noise and detector give. b.Eve is deliberately not read.
func initialDesignQBER(b BB84Settings) (float64, PlanSource) {
	configured := b.DesignQBER
	if configured == 0 {
		configured = qkd.DefaultDesignQBER
	}
	cal := qkd.Channel{Noise: b.Noise, FiberKm: b.FiberKm}.IntrinsicQBER()
	if cal > configured {
		return cal, PlanCalibration
	}
	return configured, PlanConfigured
}

// pooledDesignQBER returns the design QBER for measurements ms (oldest
// first; the last planWindow count): their pooled QBER plus
// planMarginSigmas of its standard deviation, at least floor. It returns
// the pooled QBER too.
func pooledDesignQBER(floor float64, ms []qberMeasurement) (design, pooled float64) {
	ms = ms[max(0, len(ms)-planWindow):]
	var errs, n float64
	for _, m := range ms {
		errs += m.QBER * float64(m.Sample)
		n += float64(m.Sample)
	}
	if n == 0 {
		return floor, 0
	}
	pooled = errs / n
	// A sample that saw no error still has an uncertain QBER: take the
	// spread at the floor at least.
	p := max(pooled, floor)
	design = pooled + planMarginSigmas*math.Sqrt(p*(1-p)/n)
	return max(design, floor), pooled
}

// planDesign chooses the design QBER of the next exchange from the
// settings and the session's earlier exchanges (oldest first). Only
// measurements taken since the settings last changed the initial design
// count: a recalibrated link starts afresh.
func planDesign(b BB84Settings, past []*KeyExchange) ExchangePlan {
	initial, src := initialDesignQBER(b)
	floor := max(qkd.DefaultDesignQBER, b.DesignQBER)
	thr := b.Threshold
	if thr == 0 {
		thr = qkd.DefaultThreshold
	}
	var ms []qberMeasurement
	for i := len(past) - 1; i >= 0 && len(ms) < planWindow; i-- {
		kx := past[i]
		if kx.Plan != nil && kx.Plan.Initial != initial {
			break // planned under another calibration
		}
		if m, ok := disclosedMeasurement(kx, thr); ok {
			ms = append(ms, m)
		}
	}
	plan := ExchangePlan{DesignQBER: initial, Source: src, Initial: initial}
	if len(ms) == 0 {
		return plan
	}
	plan.DesignQBER, plan.MeasuredQBER = pooledDesignQBER(floor, ms)
	plan.Source, plan.Measured = PlanMeasured, len(ms)
	return plan
}

// maxExchangeQubits bounds the photons of one exchange, below
// qkd.MaxQubits: a run of two million photons takes seconds, one of eight
// million can outlast exchangeTimeout on a loaded machine. It is reached
// at a design QBER near 9.7% for a 256-bit key, where the finite-key
// rate is nearly zero; an eavesdropper who pushes the measured QBER there
// gets a probe run (see plannedConfig), not a run that cannot finish.
const maxExchangeQubits = 1 << 21

// PlanError is a plan that asks for more photons than one exchange may
// send: the link's error rate is too high for a key of the requested size.
type PlanError struct {
	Plan    ExchangePlan
	KeyBits int
	Limit   int // photons (pulses, on a laser link) one exchange may send
	Err     error
	// Laser: the exchange was on a laser link of FiberKm km, with or
	// without Decoys. Planned is the pulses the key would take when that
	// is more than Limit; 0 when no number of pulses gives it.
	Laser, Decoys bool
	FiberKm       float64
	Planned       int
}

func (e *PlanError) Error() string {
	switch {
	case e.Laser && !e.Decoys && e.Planned > 0:
		return fmt.Sprintf("no %d-bit key fits in one exchange on this %g km laser link without decoy states: it would take %d pulses, more than %d pulses in one exchange; raise mu, turn on decoys (vacuum+weak) or shorten the link",
			e.KeyBits, e.FiberKm, e.Planned, e.Limit)
	case e.Laser && !e.Decoys:
		return fmt.Sprintf("no %d-bit key is possible on this %g km laser link without decoy states: the GLLP bound must count every multi-photon pulse as the eavesdropper's, which at this distance leaves no secret key; turn on decoys (vacuum+weak) or shorten the link",
			e.KeyBits, e.FiberKm)
	case e.Laser:
		return fmt.Sprintf("no %d-bit key is possible on this %g km laser link with decoys at %.1f%% errors: it would take more than %d pulses in one exchange (%v)",
			e.KeyBits, e.FiberKm, 100*e.Plan.DesignQBER, e.Limit, e.Err)
	}
	what := "the error rate this link is planned for"
	switch e.Plan.Source {
	case PlanCalibration:
		what = "the link's configured noise"
	case PlanMeasured, PlanProbe:
		what = "the error rate measured on this link"
	}
	return fmt.Sprintf("no %d-bit key is possible at %s (%.1f%%): it would take more than %d photons in one exchange (%v)",
		e.KeyBits, what, 100*e.Plan.DesignQBER, e.Limit, e.Err)
}

func (e *PlanError) Unwrap() error { return e.Err }

// PlanExchange returns how Alice would plan an exchange under settings b
// after the exchanges past (oldest first; a session's Exchanges, or nil
// for a first exchange): the design QBER, where it came from and the
// photons it sends. A *PlanError says no key of b.KeyBits bits is
// possible at that QBER. The demo shows it; it reads no channel truth.
func PlanExchange(b BB84Settings, past []*KeyExchange) (ExchangePlan, error) {
	b.WithDefaults()
	_, p, err := b.plannedConfig(past)
	return p, err
}
