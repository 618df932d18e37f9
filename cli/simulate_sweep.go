package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"qkdchat/qkd"
	"qkdchat/qkd/keyrate"
)

// maxSweepPoints bounds the distances of one `simulate --sweep-km`.
const maxSweepPoints = 101

// kmSweep is a parsed --sweep-km FROM:TO:STEP.
type kmSweep struct{ from, to, step float64 }

func parseSweep(s string) (*kmSweep, error) {
	f := strings.Split(s, ":")
	if len(f) != 3 {
		return nil, Usagef("--sweep-km %q: want FROM:TO:STEP in km, e.g. 0:60:20", s)
	}
	var v [3]float64
	for i, x := range f {
		n, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		if err != nil || !finiteFloat(n) {
			return nil, Usagef("--sweep-km %q: %q is not a number of km", s, x)
		}
		v[i] = n
	}
	w := &kmSweep{v[0], v[1], v[2]}
	switch {
	case !(w.from >= 0 && w.to >= w.from && w.to <= qkd.MaxFiberKm):
		return nil, Usagef("--sweep-km %q: want 0 <= FROM <= TO <= %d", s, qkd.MaxFiberKm)
	case !(w.step > 0):
		return nil, Usagef("--sweep-km %q: STEP must be positive", s)
	case (w.to-w.from)/w.step >= maxSweepPoints:
		return nil, Usagef("--sweep-km %q makes more than %d distances", s, maxSweepPoints)
	}
	return w, nil
}

func (w *kmSweep) points() []float64 {
	n := int(math.Floor((w.to-w.from)/w.step+1e-9)) + 1
	km := make([]float64, n)
	for i := range km {
		km[i] = math.Min(w.from+float64(i)*w.step, w.to)
	}
	return km
}

// sweepPoint is the JSON line of one distance of a sweep.
type sweepPoint struct {
	Km      float64 `json:"km"`
	Pulses  int     `json:"pulses"`   // per run
	Runs    int     `json:"runs"`     // runs at this distance
	Keys    int     `json:"keys"`     // runs that made a key
	KeyBits int     `json:"key_bits"` // final key bits, all runs together
	// Rate is the mean secret key bits per pulse sent over the runs (0
	// for a run that aborted); RateErr its standard error (0 for one run).
	Rate    float64 `json:"rate"`
	RateErr float64 `json:"rate_err"`
	// Model is qkd/keyrate's rate for the run's setting at this distance,
	// asymptotic, with the same link.
	Model float64 `json:"model_rate"`
}

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
func runSweep(ctx context.Context, env *Env, c qkd.Config, w *kmSweep, runs int, seed *uint64, asJSON bool, plotPath string, bar *progressBar) error {
	var pts []sweepPoint
	m, set := sweepModel(c), sweepSetting(c.Source)
	var tw *tabwriter.Writer
	if !asJSON {
		fmt.Fprintf(env.Stdout, "BB84 sweep: source %s, %d run(s) per distance; rate in secret bits per pulse\n\n", set, runs)
		tw = tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "km\tpulses\tkeys\tkey bits\trate\t± s.e.\tmodel (asymptotic)\t")
	}
	enc := json.NewEncoder(env.Stdout)
	for di, km := range w.points() {
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
		pt := sweepPoint{Km: km, Pulses: rc.Qubits, Runs: runs, Model: m.Best(set, km).Rate}
		var sum, sum2 float64
		for i := range runs {
			if seed != nil {
				s := *seed + uint64(di*runs+i)
				rc.Seed = &s
			}
			if bar != nil {
				bar.startRun(di*runs+i+1, rc.Qubits)
				rc.Progress = bar.update
			}
			rep, err := qkd.Simulate(ctx, rc)
			if bar != nil {
				bar.finish()
			}
			if err != nil && !isAbort(err) {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return fmt.Errorf("at %v km, run %d: %w", km, i+1, err)
			}
			r := 0.0
			if err == nil {
				pt.Keys++
				pt.KeyBits += rep.KeyBits
				r = float64(rep.KeyBits) / float64(rep.QubitsSent)
			}
			sum, sum2 = sum+r, sum2+r*r
		}
		pt.Rate = sum / float64(runs)
		if runs > 1 {
			pt.RateErr = math.Sqrt(math.Max(0, sum2/float64(runs)-pt.Rate*pt.Rate) / float64(runs-1))
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
	step := math.Max((w.to-w.from)/100, 0.5)
	if err := fillKeyrate(ctx, &rep, m, w.from, math.Max(w.to, w.from+step), step, int(math.Floor((math.Max(w.to, w.from+step)-w.from)/step+1e-9))+1); err != nil {
		return err
	}
	if err := plotKeyrateWith(&rep, &measuredSeries{label: "simulated, " + set.String(), pts: pts}, plotPath); err != nil {
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

// measuredSeries is a sweep's rates drawn over the keyrate curves.
type measuredSeries struct {
	label string
	pts   []sweepPoint
}

// errPoints are rates with error bars; a log axis cannot show a bar below
// zero, so a bar stops at a tenth of its rate.
type errPoints struct {
	plotter.XYs
	plotter.YErrors
}

// add draws the positive rates as points with error bars and returns
// their range; a distance without a key is left out (a log axis cannot
// show 0) and listed in the legend.
func (m *measuredSeries) add(p *plot.Plot) (lo, hi float64, err error) {
	lo, hi = math.Inf(1), math.Inf(-1)
	var e errPoints
	var none []string
	for _, pt := range m.pts {
		if pt.Rate <= 0 {
			none = append(none, strconv.FormatFloat(pt.Km, 'g', 4, 64))
			continue
		}
		low := math.Min(pt.RateErr, 0.9*pt.Rate)
		e.XYs = append(e.XYs, plotter.XY{X: pt.Km, Y: pt.Rate})
		e.YErrors = append(e.YErrors, struct{ Low, High float64 }{low, pt.RateErr})
		lo, hi = math.Min(lo, pt.Rate-low), math.Max(hi, pt.Rate+pt.RateErr)
	}
	label := m.label
	if len(none) > 0 {
		label += " (no key at " + strings.Join(none, ", ") + " km)"
	}
	if len(e.XYs) == 0 {
		p.Legend.Add(label)
		return lo, hi, nil
	}
	sc, err := plotter.NewScatter(e.XYs)
	if err != nil {
		return lo, hi, err
	}
	sc.GlyphStyle.Shape = draw.CircleGlyph{}
	sc.GlyphStyle.Radius = vg.Points(3.5)
	bars, err := plotter.NewYErrorBars(e)
	if err != nil {
		return lo, hi, err
	}
	bars.CapWidth = vg.Points(6)
	p.Add(bars, sc)
	p.Legend.Add(label, sc)
	return lo, hi, nil
}
