package cli

import (
	"context"
	"fmt"
	"reflect"
	"runtime"
	"strconv"
	"strings"

	"qkdchat/qkd"
)

// qkdBenchResult is the output of `qkdchat bench qkd --json`. Every figure
// of the pipeline stands next to the same figure of the reference
// pipeline (qkd.SimulateReference: the sifting and estimation the packed
// code replaced), measured in the same run, interleaved.
type qkdBenchResult struct {
	Qubits int     `json:"qubits"` // per run of the phase timings
	Noise  float64 `json:"noise"`
	Reps   int     `json:"reps"` // runs of each pipeline per figure; figures are medians
	Cores  int     `json:"cores"`

	// Per-phase medians (Alice's clock, ms) at Qubits and Noise, key-bits 0.
	PhasesMS          qkd.PhaseTimes `json:"phases_ms"`
	ReferencePhasesMS qkd.PhaseTimes `json:"reference_phases_ms"`
	SiftSpeedup       float64        `json:"sift_speedup"`     // reference / packed median sift time
	EstimateSpeedup   float64        `json:"estimate_speedup"` // reference / packed median estimate time
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
	Runs    int                `json:"runs"`
	Cascade []cascadeBenchItem `json:"cascade"`
}

type cascadeBenchItem struct {
	Bits       int     `json:"bits"`
	QBER       float64 `json:"qber"`
	F          float64 `json:"f"`         // mean leak / (n h(QBER))
	PlannedF   float64 `json:"planned_f"` // the leak the key-length plan assumes, as an f
	RoundTrips float64 `json:"round_trips"`
	Residual   int     `json:"residual_errors"` // errors left, summed over the trials
}

const targetAbortQubitsPerS = 5e7

func runBenchQKD(ctx context.Context, env *Env, args []string) error {
	fs := NewFlagSet(env, "bench qkd", "")
	qubits := fs.Int("qubits", 1_000_000, "photons per run of the phase timings")
	noise := fs.Float64("noise", 0.02, "channel error rate of the phase timings, in [0,0.11)")
	abortQubits := fs.Int("abort-qubits", 8_000_000, "photons of the run timed to its QBER abort (intercept-resend on every photon)")
	reps := fs.Int("reps", 7, "runs of each pipeline per timing; the figures are medians")
	runs := fs.Int("runs", 5, "seeded Cascade trials per key size and QBER")
	cascadeBits := fs.String("cascade-bits", "10000,100000", "comma-separated key sizes of the Cascade trials")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := Parse(fs, args); err != nil {
		return err
	}
	sizes, err := parseSizes(*cascadeBits)
	switch {
	case fs.NArg() != 0:
		return Usagef("bench qkd takes no arguments")
	case *qubits < 1000 || *qubits > qkd.MaxQubits:
		return Usagef("--qubits must be within 1000..%d", qkd.MaxQubits)
	case *abortQubits < 1000 || *abortQubits > qkd.MaxQubits:
		return Usagef("--abort-qubits must be within 1000..%d", qkd.MaxQubits)
	case !(*noise >= 0 && *noise < 0.11):
		return Usagef("--noise must be within [0, 0.11)")
	case *reps < 1 || *reps > 1000:
		return Usagef("--reps must be within 1..1000")
	case *runs < 1 || *runs > 1000:
		return Usagef("--runs must be within 1..1000")
	case err != nil:
		return err
	}
	res := qkdBenchResult{Qubits: *qubits, Noise: *noise, Reps: *reps, AbortQubits: *abortQubits, Runs: *runs, Cores: runtime.GOMAXPROCS(0)}
	if err := benchQKDPhases(ctx, &res); err != nil {
		return err
	}
	if err := benchQKDAbort(ctx, &res); err != nil {
		return err
	}
	for _, n := range sizes {
		for _, q := range []float64{0.01, 0.02, 0.05} {
			it, err := benchCascade(ctx, n, q, *runs)
			if err != nil {
				return err
			}
			res.Cascade = append(res.Cascade, it)
		}
	}
	if *asJSON {
		return printJSON(env.Stdout, res)
	}
	w := env.Stdout
	fmt.Fprintf(w, "BB84 pipeline, %d qubits at %.3g noise, medians of %d runs (ms), packed vs reference:\n", res.Qubits, res.Noise, res.Reps)
	p, r := res.PhasesMS, res.ReferencePhasesMS
	for _, row := range []struct {
		name string
		a, b float64
	}{{"prepare", p.Prepare, r.Prepare}, {"transmit", p.Transmit, r.Transmit}, {"sift", p.Sift, r.Sift}, {"estimate", p.Estimate, r.Estimate},
		{"reconcile", p.Reconcile, r.Reconcile}, {"verify", p.Verify, r.Verify}, {"amplify", p.Amplify, r.Amplify}, {"total", p.Total, r.Total}} {
		fmt.Fprintf(w, "  %-10s %10.2f %10.2f\n", row.name, row.a, row.b)
	}
	fmt.Fprintf(w, "  same results: %v\n", res.SameResults)
	fmt.Fprintf(w, "to the abort (%d qubits, Eve on every photon): %.3g qubits/s (%.1f ms), reference %.3g qubits/s (%.1f ms), speedup %.1f (target >= %.0g qubits/s)\n",
		res.AbortQubits, res.AbortQubitsPerS, res.AbortMS, res.ReferenceAbortQubitsPerS, res.ReferenceAbortMS, res.AbortSpeedup, targetAbortQubitsPerS)
	fmt.Fprintf(w, "Cascade, means of %d trials:\n  %8s %6s %7s %9s %11s %8s\n", res.Runs, "bits", "QBER", "f", "planned f", "round trips", "residual")
	for _, c := range res.Cascade {
		fmt.Fprintf(w, "  %8d %5.0f%% %7.3f %9.3f %11.1f %8d\n", c.Bits, 100*c.QBER, c.F, c.PlannedF, c.RoundTrips, c.Residual)
	}
	return nil
}

func parseSizes(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 100 || n > qkd.MaxQubits {
			return nil, Usagef("--cascade-bits: %q is not a key size within 100..%d", f, qkd.MaxQubits)
		}
		out = append(out, n)
	}
	return out, nil
}

type simulateFunc func(context.Context, qkd.Config) (*qkd.Report, error)

// benchQKDPhases times both pipelines on the same seeds, alternating.
func benchQKDPhases(ctx context.Context, res *qkdBenchResult) error {
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
			if rep == nil || err != nil && !isAbort(err) {
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
	return nil
}

// benchQKDAbort times runs to the QBER abort, alternating the pipelines.
func benchQKDAbort(ctx context.Context, res *qkdBenchResult) error {
	var packed, ref []float64
	for i := 0; i < res.Reps; i++ {
		seed := uint64(i + 1)
		c := qkd.Config{Protocol: qkd.Protocol{Qubits: res.AbortQubits}, Channel: qkd.Channel{Eve: 1}, Seed: &seed}
		for j, f := range []simulateFunc{qkd.Simulate, qkd.SimulateReference} {
			if i%2 == 1 {
				j, f = 1-j, []simulateFunc{qkd.Simulate, qkd.SimulateReference}[1-j]
			}
			rep, err := f(ctx, c)
			if !isAbort(err) || rep == nil || !rep.Aborted {
				return fmt.Errorf("bench qkd: a run of %d qubits with Eve on every photon did not abort: %v", res.AbortQubits, err)
			}
			if j == 0 {
				packed = append(packed, rep.Elapsed.Total)
			} else {
				ref = append(ref, rep.Elapsed.Total)
			}
		}
	}
	res.AbortMS, res.ReferenceAbortMS = medianFloat(packed), medianFloat(ref)
	res.AbortQubitsPerS = ratio(float64(res.AbortQubits)*1000, res.AbortMS)
	res.ReferenceAbortQubitsPerS = ratio(float64(res.AbortQubits)*1000, res.ReferenceAbortMS)
	res.AbortSpeedup = ratio(res.ReferenceAbortMS, res.AbortMS)
	return nil
}

func benchCascade(ctx context.Context, n int, q float64, runs int) (cascadeBenchItem, error) {
	it := cascadeBenchItem{Bits: n, QBER: q}
	for i := 0; i < runs; i++ {
		st, err := qkd.CascadeTrial(ctx, n, q, uint64(i+1))
		if err != nil {
			return it, fmt.Errorf("bench qkd: cascade on %d bits at QBER %v: %w", n, q, err)
		}
		it.F += st.F / float64(runs)
		it.PlannedF += st.PlannedF / float64(runs)
		it.RoundTrips += float64(st.RoundTrips) / float64(runs)
		it.Residual += st.Residual
	}
	return it, nil
}

func medianPhases(ts []qkd.PhaseTimes) qkd.PhaseTimes {
	col := func(f func(qkd.PhaseTimes) float64) float64 {
		v := make([]float64, len(ts))
		for i, t := range ts {
			v[i] = f(t)
		}
		return medianFloat(v)
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

func ratio(a, b float64) float64 {
	if b <= 0 {
		return 0
	}
	return a / b
}
