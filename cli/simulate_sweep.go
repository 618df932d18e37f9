package cli

import (
	"context"
	"fmt"
	"math"

	"qkdchat/cli/progress"
	"qkdchat/cli/rateplot"
	"qkdchat/cli/sweep"
	"qkdchat/qkd"
)

// runSweep is `simulate --sweep-km`: runs runs at each distance and
// prints one row (or JSON line) per distance; plotPath, when set, gets the
// keyrate curves with the measured rates as points with error bars.
func runSweep(ctx context.Context, env *Env, c qkd.Config, w sweep.Range, runs int, seed *uint64, asJSON bool, plotPath string, bar *progress.Bar) error {
	var pts []sweep.Point
	m, set := sweep.Model(c), sweep.Setting(c.Source)
	out := sweep.NewOutput(env.Stdout, asJSON, set, runs)
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
			rep, err, fatal := simulateRun(ctx, rc, bar, di*runs+i+1, fmt.Sprintf("at %v km, run %d", km, i+1))
			if fatal != nil {
				return fatal
			}
			bits := 0
			if err == nil {
				bits = rep.KeyBits
			}
			pt.Add(bits, rep.QubitsSent)
		}
		pts = append(pts, pt)
		if err := out.Row(pt); err != nil {
			return fmt.Errorf("simulate: write: %w", err)
		}
	}
	if err := out.Close(); err != nil || plotPath == "" {
		return err
	}
	rep := keyrateReport{MaxDistanceKm: map[string]*float64{}}
	step := math.Max((w.To-w.From)/100, 0.5)
	to := math.Max(w.To, w.From+step)
	if err := fillKeyrate(ctx, &rep, m, w.From, to, step, int(math.Floor((to-w.From)/step+1e-9))+1); err != nil {
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
