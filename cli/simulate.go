package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"qkdchat/cli/progress"
	"qkdchat/cli/sweep"
	"qkdchat/qkd"
)

// runSimulate is `qkdchat simulate`: BB84 runs with both parties in this
// process, as a table or as JSON lines.
func runSimulate(ctx context.Context, env *Env, args []string) error {
	fs := NewFlagSet(env, "simulate", "")
	qubits := fs.Int("qubits", 0, "photons Alice sends per run (default: computed for --key-bits)")
	keyBits := fs.Int("key-bits", 256, "final key length in bits; a run with less aborts (0: whatever the bound allows)")
	noise := fs.Float64("noise", 0, "intrinsic error rate of the channel, in [0,1]")
	eve := fs.Float64("eve", 0, "fraction of photons an intercept-resend eavesdropper measures, in [0,1]")
	eveBasis := fs.String("eve-basis", "random", "basis the eavesdropper measures in: random, z or x")
	eveRuns := fs.String("eve-runs", "", "comma-separated run numbers (from 1) that have the eavesdropper; default all")
	fiberKm := fs.Float64("fiber-km", 0, "fibre length in km (0.2 dB/km)")
	detEff := fs.Float64("detector-efficiency", 1, "Bob's detector efficiency, in (0,1]")
	dark := fs.Float64("dark-count", 0, "dark-count probability per time slot, in [0,1]")
	zBias := fs.Float64("z-bias", 0.5, "probability of choosing the Z basis, in (0,1)")
	threshold := fs.Float64("threshold", 0.11, "QBER above which a run aborts, in (0,0.5]")
	eps := fs.Float64("eps", 1e-10, "eps_sec and eps_cor of the finite-key bound, in (0,1)")
	designQBER := fs.Float64("design-qber", qkd.DefaultDesignQBER, "QBER Alice and Bob plan the run for, in (0,0.5); they cannot know the channel's")
	seed := fs.String("seed", "", "uint64 seed for reproducible runs (run i uses seed+i); default crypto/rand")
	runs := fs.Int("runs", 1, "number of runs")
	asJSON := fs.Bool("json", false, "print one JSON object per run and line")
	showProgress := fs.Bool("progress", false, "draw a progress bar on stderr even when it is not a terminal or with --json (default: on a terminal, for runs over a second)")
	sweepKm := fs.String("sweep-km", "", "FROM:TO:STEP: run --runs runs at each fibre length instead of --fiber-km, one row (JSON line) per distance")
	plotPath := fs.String("plot", "", "with --sweep-km: write the keyrate curves with the simulated rates (points, standard error bars) to this .png file")
	pf := pulseFlags(fs)
	if err := Parse(fs, args); err != nil {
		return err
	}
	if len(fs.Args()) > 0 {
		return Usagef("unexpected argument %q", fs.Args()[0])
	}
	if *runs < 1 || *runs > 100000 {
		return Usagef("--runs %d outside [1, 100000]", *runs)
	}
	if !(*detEff > 0 && *detEff <= 1) {
		return Usagef("--detector-efficiency %v outside (0,1]", *detEff)
	}
	if !(*zBias > 0 && *zBias < 1) {
		return Usagef("--z-bias %v outside (0,1)", *zBias)
	}
	if !(*threshold > 0 && *threshold <= 0.5) {
		return Usagef("--threshold %v outside (0,0.5]", *threshold)
	}
	if !(*eps > 0 && *eps < 1) {
		return Usagef("--eps %v outside (0,1)", *eps)
	}
	if !(*designQBER > 0 && *designQBER < 0.5) {
		return Usagef("--design-qber %v outside (0,0.5)", *designQBER)
	}
	eb, err := qkd.ParseEveBasis(*eveBasis)
	if err != nil {
		return Usagef("--eve-basis: %v", err)
	}
	var seedBase *uint64
	if *seed != "" {
		v, err := strconv.ParseUint(*seed, 10, 64)
		if err != nil {
			return Usagef("--seed %q is not an unsigned 64-bit integer", *seed)
		}
		seedBase = &v
	}
	var km *sweep.Range
	if *sweepKm != "" {
		r, err := sweep.Parse(*sweepKm, qkd.MaxFiberKm)
		if err != nil {
			return Usagef("--sweep-km %v", err)
		}
		km = &r
	}
	if *plotPath != "" && (km == nil || !strings.EqualFold(filepath.Ext(*plotPath), ".png")) {
		return Usagef("--plot %q: needs --sweep-km and a file name ending in .png", *plotPath)
	}
	eveSet, err := parseRunList(*eveRuns, *runs)
	if err != nil {
		return err
	}
	// The channel is the simulator's; the parties plan with the protocol
	// alone. They know their link's loss (they measure it when they set it
	// up, and an intercept-resend eavesdropper does not change it), but
	// not its noise nor whether Eve is on it: those they learn only from
	// the error rates they measure.
	ch := qkd.Channel{Noise: *noise, Eve: *eve, EveBasis: eb, FiberKm: *fiberKm, DetectorEfficiency: *detEff, DarkCount: *dark}
	src, err := pf.apply(&ch)
	if err != nil {
		return err
	}
	if err := ch.Validate(); err != nil {
		return Usagef("%v", err)
	}
	c := qkd.Config{Channel: ch, Protocol: qkd.Protocol{Qubits: *qubits, KeyBits: *keyBits, ZBias: *zBias,
		Threshold: *threshold, EpsSec: *eps, EpsCor: *eps, DesignQBER: *designQBER, DesignDetection: ch.Detection(), Source: src}}
	if err := c.Validate(); err != nil {
		return Usagef("%v", err)
	}
	if km != nil {
		defer lowerMemoryLimit(simulateMemoryLimit)()
		return runSweep(ctx, env, c, *km, *runs, seedBase, *asJSON, *plotPath, progress.New(env.Stderr, *showProgress, *asJSON, c.Qubits, *runs))
	}
	if c.Qubits == 0 {
		n, err := qkd.RequiredPulses(c)
		if err != nil {
			return Usagef("%v", err)
		}
		c.Qubits = n
	}

	var tw *tabwriter.Writer
	if !*asJSON {
		fmt.Fprintf(env.Stdout, "BB84: %d qubits per run, z-bias %.3g, noise %.3g, eve %.3g (%v basis), fibre %.3g km, threshold %.3g%%, key %d bits\n\n",
			c.Qubits, c.ZBias, c.Noise, c.Eve, c.EveBasis, c.FiberKm, 100*c.Threshold, c.KeyBits)
		pf.describe(env.Stdout, c)
		tw = tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "run\tsent\tdetected\tmatches\tsample\tQBER est\tQBER true\teve\teavesdropper detected\tleak EC\tf\tround trips\tkey bits\tQBER Z\tQBER X\t result\t")
	}
	defer lowerMemoryLimit(simulateMemoryLimit)()
	bar := progress.New(env.Stderr, *showProgress, *asJSON, c.Qubits, *runs)
	var last error
	var verdicts []string
	enc := json.NewEncoder(env.Stdout)
	for i := 0; i < *runs; i++ {
		rc := c
		if seedBase != nil {
			s := *seedBase + uint64(i)
			rc.Seed = &s
		}
		if eveSet != nil && !eveSet[i+1] {
			rc.Eve, rc.Attack = 0, 0
		}
		rep, err, fatal := simulateRun(ctx, rc, bar, i+1, fmt.Sprintf("run %d", i+1))
		if fatal != nil {
			return fatal
		}
		last = err
		if *asJSON {
			if err := enc.Encode(rep); err != nil {
				return fmt.Errorf("simulate: write: %w", err)
			}
			continue
		}
		writeRow(tw, i+1, rep, err)
		verdicts = append(verdicts, boundLine(i+1, rep))
	}
	if tw != nil {
		if err := tw.Flush(); err != nil {
			return fmt.Errorf("simulate: write: %w", err)
		}
		writeBoundLines(env.Stdout, verdicts)
	}
	if *runs == 1 && last != nil {
		return &ExitError{Code: 1, Err: fmt.Errorf("run aborted: %w", last)}
	}
	return nil
}

// simulateRun runs one simulation as run number run of the progress bar
// (if any). It returns the report and the abort that ended the run (nil
// for a key); any other failure is fatal: the context's own error when it
// ended, else the failure after where ("run 3").
func simulateRun(ctx context.Context, rc qkd.Config, bar *progress.Bar, run int, where string) (rep *qkd.Report, abort, fatal error) {
	if bar != nil {
		bar.StartRun(run, rc.Qubits)
		rc.Progress = bar.Update
	}
	rep, err := qkd.Simulate(ctx, rc)
	if bar != nil {
		bar.Finish()
	}
	if err != nil && !isAbort(err) {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		return nil, nil, fmt.Errorf("%s: %w", where, err)
	}
	return rep, err, nil
}

func isAbort(err error) bool {
	return errors.Is(err, qkd.ErrAbortedQBER) || errors.Is(err, qkd.ErrNotEnoughKey) || errors.Is(err, qkd.ErrVerificationFailed)
}

func writeRow(w io.Writer, run int, r *qkd.Report, err error) {
	detected := "no"
	if errors.Is(err, qkd.ErrAbortedQBER) {
		detected = "YES"
	}
	result := "key"
	switch {
	case errors.Is(err, qkd.ErrAbortedQBER):
		result = "abort: QBER"
	case errors.Is(err, qkd.ErrNotEnoughKey):
		result = "abort: not enough key"
	case errors.Is(err, qkd.ErrVerificationFailed):
		result = "abort: verification"
	}
	fmt.Fprintf(w, "%d\t%d\t%d\t%d\t%d\t%.2f%%\t%.2f%%\t%.2g\t%s\t%d\t%.3f\t%d\t%d\t%.2f%%\t%.2f%%\t %s\t\n",
		run, r.QubitsSent, r.QubitsDetected, r.Sifted, r.SampleSize, 100*r.QBEREstimate, 100*r.QBERTrue,
		r.EveFraction, detected, r.LeakedEC, r.ECEfficiency, r.ECRoundTrips, r.KeyBits, 100*r.QBERZ, 100*r.QBERX, result)
}

// parseRunList parses "1,5,8" into a set of run numbers within [1, runs];
// an empty list means every run (nil).
func parseRunList(s string, runs int) (map[int]bool, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	set := map[int]bool{}
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > runs {
			return nil, Usagef("--eve-runs: %q is not a run number in [1, %d]", f, runs)
		}
		set[n] = true
	}
	return set, nil
}
