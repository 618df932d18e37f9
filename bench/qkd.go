package bench

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"reflect"
	"runtime"

	"qkdchat/qkd"
)

// QKDReport is the result of [QKD], the output of `qkdchat bench qkd
// --json`. Every figure
// of the pipeline stands next to the same figure of the reference
// pipeline (qkd.SimulateReference: the sifting and estimation the packed
// code replaced), measured in the same run, interleaved.
type QKDReport struct {
	Qubits int     `json:"qubits"` // per run of the phase timings
	Noise  float64 `json:"noise"`
	Reps   int     `json:"reps"` // runs of each pipeline per figure; figures are medians
	Cores  int     `json:"cores"`

	// Per-phase medians (Alice's clock, ms) at Qubits and Noise, key-bits 0.
	PhasesMS          qkd.PhaseTimes `json:"phases_ms"`
	ReferencePhasesMS qkd.PhaseTimes `json:"reference_phases_ms"`
	SiftSpeedup       float64        `json:"sift_speedup"` // reference / packed median sift time
	// VerifyShare is the median verify time over the median total (target
	// < 0.02); AmplifyOverReconcile the median amplify time over the
	// median reconcile time (target <= 1).
	VerifyShare          float64 `json:"verify_share"`
	AmplifyOverReconcile float64 `json:"amplify_over_reconcile"`
	EstimateSpeedup      float64 `json:"estimate_speedup"` // reference / packed median estimate time
	// SameResults is whether every pair of runs gave equal reports apart
	// from the times (both pipelines are bit-exact).
	SameResults bool `json:"same_results"`

	// A run to the QBER abort an intercept-resend on every photon causes:
	// qubits sent per second of Alice's clock from start to abort.
	AbortQubits              int     `json:"abort_qubits"`
	AbortMS                  float64 `json:"abort_ms"`
	AbortQubitsPerS          float64 `json:"abort_qubits_per_s"` // target >= 5e7
	ReferenceAbortMS         float64 `json:"reference_abort_ms"`
	ReferenceAbortQubitsPerS float64 `json:"reference_abort_qubits_per_s"`
	AbortSpeedup             float64 `json:"abort_speedup"`

	// Cascade on random keys, means over Runs seeded trials.
	Runs    int          `json:"runs"`
	Cascade []CascadeRow `json:"cascade"`

	// LoadAvg1 is the machine's 1-minute load average when the timings
	// ended (0 where unknown): times on a shared machine are only
	// comparable within one run.
	LoadAvg1 float64 `json:"load_avg_1"`
}

// CascadeRow is one key size and QBER of the Cascade trials.
type CascadeRow struct {
	Bits       int     `json:"bits"`
	QBER       float64 `json:"qber"`
	F          float64 `json:"f"`         // mean leak / (n h(QBER))
	PlannedF   float64 `json:"planned_f"` // the leak the key-length plan assumes, as an f
	RoundTrips float64 `json:"round_trips"`
	Residual   int     `json:"residual_errors"` // errors left, summed over the trials
	// The baseline: the same keys reconciled with Bob asking as the
	// release before did (qkd.CascadeBaselineTrial), in the same run,
	// interleaved.
	BaselineF          float64 `json:"baseline_f"`
	BaselineRoundTrips float64 `json:"baseline_round_trips"`
	BaselineResidual   int     `json:"baseline_residual_errors"`
}

// TargetAbortQubitsPerS is the target rate of a run to its QBER abort.
const TargetAbortQubitsPerS = 5e7

// QKDOptions configures [QKD]. The ranges are those of `qkdchat bench
// qkd`, whose flags have the defaults.
type QKDOptions struct {
	Qubits      int     // photons per run of the phase timings (1000..qkd.MaxQubits)
	Noise       float64 // channel error rate of the phase timings, [0, 0.11)
	AbortQubits int     // photons of the run timed to its QBER abort, intercept-resend on every photon (1000..qkd.MaxQubits)
	Reps        int     // runs of each pipeline per timing; the figures are medians (1..1000)
	Runs        int     // seeded Cascade trials per key size and QBER (1..1000)
	CascadeBits []int   // key sizes of the Cascade trials (each 100..qkd.MaxQubits)
}

// Validate returns an *OptionError for the first option out of range.
func (o QKDOptions) Validate() error {
	if !(o.Noise >= 0 && o.Noise < 0.11) {
		return &OptionError{Option: "noise", Problem: "must be within [0, 0.11)"}
	}
	for _, n := range o.CascadeBits {
		if n < 100 || n > qkd.MaxQubits {
			return &OptionError{Option: "cascade-bits", Problem: fmt.Sprintf("lists %d, not a key size within 100..%d", n, qkd.MaxQubits)}
		}
	}
	return cmp.Or(within("qubits", o.Qubits, 1000, qkd.MaxQubits), within("abort-qubits", o.AbortQubits, 1000, qkd.MaxQubits),
		within("reps", o.Reps, 1, 1000), within("runs", o.Runs, 1, 1000))
}

// QKD times the BB84 pipeline against the reference pipeline and runs
// Cascade trials (see [QKDReport]).
func QKD(ctx context.Context, o QKDOptions) (QKDReport, error) {
	res := QKDReport{Qubits: o.Qubits, Noise: o.Noise, Reps: o.Reps, AbortQubits: o.AbortQubits, Runs: o.Runs, Cores: runtime.GOMAXPROCS(0)}
	if err := o.Validate(); err != nil {
		return res, err
	}
	if err := benchQKDPhases(ctx, &res); err != nil {
		return res, err
	}
	if err := benchQKDAbort(ctx, &res); err != nil {
		return res, err
	}
	res.LoadAvg1 = loadAvg1()
	for _, n := range o.CascadeBits {
		for _, q := range []float64{0.01, 0.02, 0.05} {
			it, err := benchCascade(ctx, n, q, o.Runs)
			if err != nil {
				return res, err
			}
			res.Cascade = append(res.Cascade, it)
		}
	}
	return res, nil
}

type simulateFunc func(context.Context, qkd.Config) (*qkd.Report, error)

// benchQKDPhases times both pipelines on the same seeds, alternating.
func benchQKDPhases(ctx context.Context, res *QKDReport) error {
	var packed, ref []qkd.PhaseTimes
	res.SameResults = true
	for i := 0; i < res.Reps; i++ {
		seed := uint64(i + 1)
		c := qkd.Config{Protocol: qkd.Protocol{Qubits: res.Qubits}, Channel: qkd.Channel{Noise: res.Noise}, Seed: &seed}
		var reps [2]*qkd.Report
		for j, f := range []simulateFunc{qkd.Simulate, qkd.SimulateReference} {
			if i%2 == 1 { // alternate which goes first
				j, f = 1-j, []simulateFunc{qkd.Simulate, qkd.SimulateReference}[1-j]
			}
			rep, err := f(ctx, c) // too few qubits abort for lack of key: still timed
			if rep == nil || err != nil && !isQKDAbort(err) {
				return fmt.Errorf("bench qkd: run of %d qubits at %.3g noise: %w", res.Qubits, res.Noise, err)
			}
			reps[j] = rep
		}
		packed, ref = append(packed, reps[0].Elapsed), append(ref, reps[1].Elapsed)
		a, b := *reps[0], *reps[1]
		a.Elapsed, b.Elapsed = qkd.PhaseTimes{}, qkd.PhaseTimes{}
		if !reflect.DeepEqual(a, b) {
			res.SameResults = false
		}
	}
	res.PhasesMS, res.ReferencePhasesMS = medianPhases(packed), medianPhases(ref)
	res.SiftSpeedup = ratio(res.ReferencePhasesMS.Sift, res.PhasesMS.Sift)
	res.EstimateSpeedup = ratio(res.ReferencePhasesMS.Estimate, res.PhasesMS.Estimate)
	res.VerifyShare = ratio(res.PhasesMS.Verify, res.PhasesMS.Total)
	res.AmplifyOverReconcile = ratio(res.PhasesMS.Amplify, res.PhasesMS.Reconcile)
	return nil
}

// benchQKDAbort times runs to the QBER abort, alternating the pipelines.
func benchQKDAbort(ctx context.Context, res *QKDReport) error {
	var packed, ref []float64
	for i := 0; i < res.Reps; i++ {
		seed := uint64(i + 1)
		c := qkd.Config{Protocol: qkd.Protocol{Qubits: res.AbortQubits}, Channel: qkd.Channel{Eve: 1}, Seed: &seed}
		for j, f := range []simulateFunc{qkd.Simulate, qkd.SimulateReference} {
			if i%2 == 1 {
				j, f = 1-j, []simulateFunc{qkd.Simulate, qkd.SimulateReference}[1-j]
			}
			rep, err := f(ctx, c)
			if !isQKDAbort(err) || rep == nil || !rep.Aborted {
				return fmt.Errorf("bench qkd: a run of %d qubits with Eve on every photon did not abort: %v", res.AbortQubits, err)
			}
			if j == 0 {
				packed = append(packed, rep.Elapsed.Total)
			} else {
				ref = append(ref, rep.Elapsed.Total)
			}
		}
	}
	res.AbortMS, res.ReferenceAbortMS = median(packed), median(ref)
	res.AbortQubitsPerS = ratio(float64(res.AbortQubits)*1000, res.AbortMS)
	res.ReferenceAbortQubitsPerS = ratio(float64(res.AbortQubits)*1000, res.ReferenceAbortMS)
	res.AbortSpeedup = ratio(res.ReferenceAbortMS, res.AbortMS)
	return nil
}

func benchCascade(ctx context.Context, n int, q float64, runs int) (CascadeRow, error) {
	it := CascadeRow{Bits: n, QBER: q}
	for i := 0; i < runs; i++ {
		st, err := qkd.CascadeTrial(ctx, n, q, uint64(i+1))
		if err != nil {
			return it, fmt.Errorf("bench qkd: cascade on %d bits at QBER %v: %w", n, q, err)
		}
		it.F += st.F / float64(runs)
		it.PlannedF += st.PlannedF / float64(runs)
		it.RoundTrips += float64(st.RoundTrips) / float64(runs)
		it.Residual += st.Residual
		base, err := qkd.CascadeBaselineTrial(ctx, n, q, uint64(i+1))
		if err != nil {
			return it, fmt.Errorf("bench qkd: baseline cascade on %d bits at QBER %v: %w", n, q, err)
		}
		it.BaselineF += base.F / float64(runs)
		it.BaselineRoundTrips += float64(base.RoundTrips) / float64(runs)
		it.BaselineResidual += base.Residual
	}
	return it, nil
}

func medianPhases(ts []qkd.PhaseTimes) qkd.PhaseTimes {
	col := func(f func(qkd.PhaseTimes) float64) float64 {
		v := make([]float64, len(ts))
		for i, t := range ts {
			v[i] = f(t)
		}
		return median(v)
	}
	return qkd.PhaseTimes{
		Prepare:   col(func(t qkd.PhaseTimes) float64 { return t.Prepare }),
		Transmit:  col(func(t qkd.PhaseTimes) float64 { return t.Transmit }),
		Sift:      col(func(t qkd.PhaseTimes) float64 { return t.Sift }),
		Estimate:  col(func(t qkd.PhaseTimes) float64 { return t.Estimate }),
		Reconcile: col(func(t qkd.PhaseTimes) float64 { return t.Reconcile }),
		Verify:    col(func(t qkd.PhaseTimes) float64 { return t.Verify }),
		Amplify:   col(func(t qkd.PhaseTimes) float64 { return t.Amplify }),
		Total:     col(func(t qkd.PhaseTimes) float64 { return t.Total }),
	}
}

// isQKDAbort reports whether err is a run's negative verdict (an abort),
// which still reports the run's times.
func isQKDAbort(err error) bool {
	var ae *qkd.AbortError
	return errors.As(err, &ae)
}
