package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"qkdchat/cli/progress"
	"qkdchat/cli/rateplot"
	"qkdchat/cli/sweep"
	"qkdchat/qkd"
	"qkdchat/qkd/keyrate"
)

// sweepSetting is the keyrate setting a simulated source matches.
func sweepSetting(src qkd.Source) keyrate.Setting {
	switch {
	case !src.Laser:
		return keyrate.SinglePhoton
	case src.Decoys:
		return keyrate.VacuumWeak
	}
	return keyrate.NoDecoy
}

// sweepModel is the analytic model of the simulated link, asymptotic.
func sweepModel(c qkd.Config) keyrate.Model {
	return keyrate.Model{Link: keyrate.Link{LossDBPerKm: 0.2, DetectorEfficiency: c.DetectorEfficiency, DarkCount: c.DarkCount,
		Misalignment: math.Min(0.5, c.Misalignment+c.Noise), ECEfficiency: keyrate.GYS().ECEfficiency}}
}

// runSweep is `simulate --sweep-km`: runs runs at each distance and
// prints one row (or JSON line) per distance; plotPath, when set, gets the
// keyrate curves with the measured rates as points with error bars.
func runSweep(ctx context.Context, env *Env, c qkd.Config, w sweep.Range, runs int, seed *uint64, asJSON bool, plotPath string, bar *progress.Bar) error {
	var pts []sweep.Point
	m, set := sweepModel(c), sweepSetting(c.Source)
	var tw *tabwriter.Writer
	if !asJSON {
		fmt.Fprintf(env.Stdout, "BB84 sweep: source %s, %d run(s) per distance; rate in secret bits per pulse\n\n", set, runs)
		tw = tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "km\tpulses\tkeys\tkey bits\trate\t± s.e.\tmodel (asymptotic)\t")
	}
	enc := json.NewEncoder(env.Stdout)
	for di, km := range w.Km() {
		rc := c
		rc.FiberKm = km
		rc.DesignDetection = rc.Detection()
		if c.Qubits == 0 {
			n, err := qkd.RequiredPulses(rc)
			if err != nil {
				return Usagef("at %v km: %v", km, err)
			}
			rc.Qubits = n
		}
		pt := sweep.Point{Km: km, Pulses: rc.Qubits, Model: m.Best(set, km).Rate}
		for i := range runs {
			if seed != nil {
				s := *seed + uint64(di*runs+i)
				rc.Seed = &s
			}
			if bar != nil {
				bar.StartRun(di*runs+i+1, rc.Qubits)
				rc.Progress = bar.Update
			}
			rep, err := qkd.Simulate(ctx, rc)
			if bar != nil {
				bar.Finish()
			}
			if err != nil && !isAbort(err) {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return fmt.Errorf("at %v km, run %d: %w", km, i+1, err)
			}
			bits := 0
			if err == nil {
				bits = rep.KeyBits
			}
			pt.Add(bits, rep.QubitsSent)
		}
		pts = append(pts, pt)
		if asJSON {
			if err := enc.Encode(pt); err != nil {
				return fmt.Errorf("simulate: write: %w", err)
			}
		} else {
			fmt.Fprintf(tw, "%.4g\t%d\t%d/%d\t%d\t%.3e\t%.1e\t%.3e\t\n", km, pt.Pulses, pt.Keys, runs, pt.KeyBits, pt.Rate, pt.RateErr, pt.Model)
		}
	}
	if tw != nil {
		if err := tw.Flush(); err != nil {
			return fmt.Errorf("simulate: write: %w", err)
		}
	}
	if plotPath == "" {
		return nil
	}
	rep := keyrateReport{MaxDistanceKm: map[string]*float64{}}
	step := math.Max((w.To-w.From)/100, 0.5)
	if err := fillKeyrate(ctx, &rep, m, w.From, math.Max(w.To, w.From+step), step, int(math.Floor((math.Max(w.To, w.From+step)-w.From)/step+1e-9))+1); err != nil {
		return err
	}
	meas := &rateplot.Measured{Label: "simulated, " + set.String()}
	for _, p := range pts {
		meas.Points = append(meas.Points, rateplot.Point{Km: p.Km, Rate: p.Rate, Err: p.RateErr})
	}
	if err := plotKeyrateWith(&rep, meas, plotPath); err != nil {
		return err
	}
	if !asJSON {
		fmt.Fprintf(env.Stdout, "\nplot written to %s\n", plotPath)
	}
	return nil
}

// checkPlotPath is the --plot check of simulate.
func checkPlotPath(path string, sweep bool) error {
	switch {
	case path == "":
		return nil
	case !sweep:
		return Usagef("--plot needs --sweep-km")
	case !strings.EqualFold(filepath.Ext(path), ".png"):
		return Usagef("--plot %q: the file name must end in .png", path)
	}
	return nil
}
