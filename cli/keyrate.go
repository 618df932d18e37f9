package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"qkdchat/cli/rateplot"
	"qkdchat/qkd/keyrate"
)

// maxKeyratePoints bounds the distances one `keyrate` run evaluates.
const maxKeyratePoints = 10001

// keyrateOpts is a parsed `qkdchat keyrate` command line.
type keyrateOpts struct {
	model          keyrate.Model
	from, to, step float64
	asJSON         bool
	plotPath       string
	points         int
}

// parseKeyrate parses and validates the flags of `qkdchat keyrate`; every
// error it returns is a UsageError naming the flag.
func parseKeyrate(env *Env, args []string) (*keyrateOpts, error) {
	fs := NewFlagSet(env, "keyrate", "")
	from := fs.Float64("km-from", 0, "first fibre length, km, >= 0")
	to := fs.Float64("km-to", 200, fmt.Sprintf("last fibre length, km, in [km-from, %d]", keyrate.MaxKm))
	step := fs.Float64("km-step", 10, "distance between rows, km, > 0")
	gys := keyrate.GYS()
	loss := fs.Float64("loss-db-km", 0.2, "fibre attenuation, dB/km, >= 0")
	detEff := fs.Float64("detector-efficiency", gys.DetectorEfficiency, "Bob's detection efficiency (detectors and optics), in (0,1]")
	dark := fs.Float64("dark-count", gys.DarkCount, "dark-count probability per pulse, the detector pair together, in [0,1)")
	misalign := fs.Float64("misalignment", gys.Misalignment, "probability a photon reaches the wrong detector, in [0,0.5]")
	ecf := fs.Float64("ec-f", gys.ECEfficiency, "error-correction efficiency f (leak over the Shannon limit), >= 1")
	pulses := fs.Float64("pulses", 0, "pulses Alice sends, >= 1, for the finite-size rate; 0: asymptotic")
	stdDevs := fs.Float64("std-devs", 10, "standard deviations of the Gaussian fluctuation with --pulses (single-photon and infinite-decoy curves; the laser curves use the composable bound), >= 0")
	nu := fs.Float64("nu", 0, "weak-decoy intensity of the vacuum+weak setting, in (0,2); 0: optimised at each distance")
	asJSON := fs.Bool("json", false, "print one JSON object")
	plotPath := fs.String("plot", "", "also write a log-scale plot of rate against distance to this .png file")
	if err := Parse(fs, args); err != nil {
		return nil, err
	}
	if len(fs.Args()) > 0 {
		return nil, Usagef("unexpected argument %q", fs.Args()[0])
	}
	o := &keyrateOpts{from: *from, to: *to, step: *step, asJSON: *asJSON, plotPath: *plotPath,
		model: keyrate.Model{
			Link: keyrate.Link{LossDBPerKm: *loss, DetectorEfficiency: *detEff, DarkCount: *dark,
				Misalignment: *misalign, ECEfficiency: *ecf},
			Finite: keyrate.Finite{Pulses: *pulses, StdDevs: *stdDevs},
			Nu:     *nu,
		}}
	switch {
	case !(o.from >= 0 && o.from <= keyrate.MaxKm):
		return nil, Usagef("--km-from %v outside [0, %d]", o.from, keyrate.MaxKm)
	case !(o.to >= 0 && o.to <= keyrate.MaxKm):
		return nil, Usagef("--km-to %v outside [0, %d]", o.to, keyrate.MaxKm)
	case o.to < o.from:
		return nil, Usagef("--km-to %v is before --km-from %v", o.to, o.from)
	case !(o.step > 0 && o.step <= keyrate.MaxKm):
		return nil, Usagef("--km-step %v outside (0, %d]", o.step, keyrate.MaxKm)
	case !(finiteFloat(*loss) && *loss >= 0):
		return nil, Usagef("--loss-db-km %v is not a non-negative number", *loss)
	case !(*detEff > 0 && *detEff <= 1):
		return nil, Usagef("--detector-efficiency %v outside (0,1]", *detEff)
	case !(*dark >= 0 && *dark < 1):
		return nil, Usagef("--dark-count %v outside [0,1)", *dark)
	case !(*misalign >= 0 && *misalign <= 0.5):
		return nil, Usagef("--misalignment %v outside [0,0.5]", *misalign)
	case !(finiteFloat(*ecf) && *ecf >= 1):
		return nil, Usagef("--ec-f %v is not a number >= 1", *ecf)
	case !(*pulses == 0 || (finiteFloat(*pulses) && *pulses >= 1)):
		return nil, Usagef("--pulses %v is neither 0 (asymptotic) nor a count >= 1", *pulses)
	case !(finiteFloat(*stdDevs) && *stdDevs >= 0):
		return nil, Usagef("--std-devs %v is not a non-negative number", *stdDevs)
	case !(*nu == 0 || (*nu > 0 && *nu < keyrate.MaxMu)):
		return nil, Usagef("--nu %v is neither 0 (optimised) nor in (0,%v)", *nu, keyrate.MaxMu)
	case o.plotPath != "" && !strings.EqualFold(filepath.Ext(o.plotPath), ".png"):
		return nil, Usagef("--plot %q: the file name must end in .png", o.plotPath)
	}
	// A guard: the checks above are the model's own, with the flags' names.
	if err := o.model.Validate(); err != nil {
		return nil, Usagef("%v", err)
	}
	span := (o.to - o.from) / o.step
	if span >= maxKeyratePoints {
		return nil, Usagef("--km-from %v --km-to %v --km-step %v make more than %d rows", o.from, o.to, o.step, maxKeyratePoints)
	}
	// Tolerate rounding: 0 to 0.3 by 0.1 has four rows.
	o.points = int(math.Floor(span+1e-9)) + 1
	return o, nil
}

func finiteFloat(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// keyrateRow is the JSON of one distance.
type keyrateRow struct {
	Km   float64            `json:"km"`
	Rate map[string]float64 `json:"rate"` // secret bits per pulse sent, by setting
	Mu   map[string]float64 `json:"mu"`   // optimal signal intensity, by laser setting; 0 when no key
	// Nu is the weak-decoy intensity of vacuum_weak, SignalFraction its
	// share of signal pulses (1 asymptotically); 0 when no key.
	Nu             float64 `json:"nu"`
	SignalFraction float64 `json:"signal_fraction"`
}

// keyrateReport is the JSON of a `keyrate` run.
type keyrateReport struct {
	Parameters keyrateParams `json:"parameters"`
	Points     []keyrateRow  `json:"points"`
	// MaxDistanceKm is the longest fibre with a positive rate, by
	// setting; null when the rate is still positive at keyrate.MaxKm.
	MaxDistanceKm map[string]*float64 `json:"max_distance_km"`
}

type keyrateParams struct {
	LossDBKm           float64 `json:"loss_db_km"`
	DetectorEfficiency float64 `json:"detector_efficiency"`
	DarkCount          float64 `json:"dark_count"`
	Misalignment       float64 `json:"misalignment"`
	ECF                float64 `json:"ec_f"`
	Pulses             float64 `json:"pulses"` // 0: asymptotic
	StdDevs            float64 `json:"std_devs"`
	Nu                 float64 `json:"nu"` // 0: optimised
}

// runKeyrate is `qkdchat keyrate`: the analytic BB84 key rate per pulse
// against fibre length, as a table, JSON, and optionally a plot.
func runKeyrate(ctx context.Context, env *Env, args []string) error {
	o, err := parseKeyrate(env, args)
	if err != nil {
		return err
	}
	m := o.model
	rep := keyrateReport{
		Parameters: keyrateParams{LossDBKm: m.LossDBPerKm, DetectorEfficiency: m.DetectorEfficiency, DarkCount: m.DarkCount,
			Misalignment: m.Misalignment, ECF: m.ECEfficiency, Pulses: m.Pulses, StdDevs: m.StdDevs, Nu: m.Nu},
		MaxDistanceKm: map[string]*float64{},
	}
	if err := fillKeyrate(ctx, &rep, m, o.from, o.to, o.step, o.points); err != nil {
		return err
	}
	if o.asJSON {
		if err := json.NewEncoder(env.Stdout).Encode(rep); err != nil {
			return fmt.Errorf("keyrate: write: %w", err)
		}
	} else if err := writeKeyrateTable(env.Stdout, &rep); err != nil {
		return fmt.Errorf("keyrate: write: %w", err)
	}
	if o.plotPath != "" {
		if err := plotKeyrate(&rep, o.plotPath); err != nil {
			return err
		}
		if !o.asJSON {
			fmt.Fprintf(env.Stdout, "\nplot written to %s\n", o.plotPath)
		}
	}
	return nil
}

// fillKeyrate computes the model's best rate per setting at points
// distances from from by step (the last capped at to) and each setting's
// maximum distance.
func fillKeyrate(ctx context.Context, rep *keyrateReport, m keyrate.Model, from, to, step float64, points int) error {
	for i := range points {
		if err := ctx.Err(); err != nil {
			return err
		}
		km := math.Min(from+float64(i)*step, to)
		row := keyrateRow{Km: km, Rate: map[string]float64{}, Mu: map[string]float64{}}
		for _, s := range keyrate.Settings() {
			p := m.Best(s, km)
			row.Rate[s.Key()] = p.Rate
			if s != keyrate.SinglePhoton {
				row.Mu[s.Key()] = p.Mu
			}
			if s == keyrate.VacuumWeak {
				row.Nu, row.SignalFraction = p.Nu, p.SignalFraction
			}
		}
		rep.Points = append(rep.Points, row)
	}
	for _, s := range keyrate.Settings() {
		if err := ctx.Err(); err != nil {
			return err
		}
		d, beyond := m.MaxDistance(s)
		rep.MaxDistanceKm[s.Key()] = &d
		if beyond {
			rep.MaxDistanceKm[s.Key()] = nil // JSON null: no limit within MaxKm
		}
	}
	return nil
}

func writeKeyrateTable(w io.Writer, rep *keyrateReport) error {
	p := rep.Parameters
	size := "asymptotic"
	if p.Pulses > 0 {
		size = fmt.Sprintf("%.3g pulses, %.3g standard deviations", p.Pulses, p.StdDevs)
	}
	fmt.Fprintf(w, "BB84 secret key rate per pulse: loss %.3g dB/km, detector efficiency %.3g, dark count %.3g, misalignment %.3g, f %.3g, %s\n\n",
		p.LossDBKm, p.DetectorEfficiency, p.DarkCount, p.Misalignment, p.ECF, size)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "km\tsingle photon\tno decoy (GLLP)\tmu\tvacuum+weak\tmu\tnu\tinfinite decoys\tmu\t")
	num := func(x float64, f string) string {
		if x == 0 {
			return "-"
		}
		return fmt.Sprintf(f, x)
	}
	for _, r := range rep.Points {
		fmt.Fprintf(tw, "%.4g\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.Km,
			num(r.Rate["single_photon"], "%.3e"),
			num(r.Rate["no_decoy"], "%.3e"), num(r.Mu["no_decoy"], "%.3g"),
			num(r.Rate["vacuum_weak"], "%.3e"), num(r.Mu["vacuum_weak"], "%.3g"), num(r.Nu, "%.3g"),
			num(r.Rate["infinite_decoy"], "%.3e"), num(r.Mu["infinite_decoy"], "%.3g"))
	}
	dist := func(k string) string {
		if d := rep.MaxDistanceKm[k]; d != nil {
			return fmt.Sprintf("%.1f km", *d)
		}
		return fmt.Sprintf("> %d km", keyrate.MaxKm)
	}
	fmt.Fprintf(tw, "max distance\t%s\t%s\t\t%s\t\t\t%s\t\t\n",
		dist("single_photon"), dist("no_decoy"), dist("vacuum_weak"), dist("infinite_decoy"))
	return tw.Flush()
}

// plotKeyrate writes rate against distance, log scale, one line per
// setting (its positive rates only), to path as a PNG.
func plotKeyrate(rep *keyrateReport, path string) error {
	return plotKeyrateWith(rep, nil, path)
}

// plotKeyrateWith is plotKeyrate with measured points drawn over the
// curves (none when meas is nil).
func plotKeyrateWith(rep *keyrateReport, meas *rateplot.Measured, path string) error {
	var curves []rateplot.Curve
	for _, s := range keyrate.Settings() {
		c := rateplot.Curve{Label: s.String()}
		for _, r := range rep.Points {
			c.Km, c.Rates = append(c.Km, r.Km), append(c.Rates, r.Rate[s.Key()])
		}
		curves = append(curves, c)
	}
	first, last := rep.Points[0].Km, rep.Points[len(rep.Points)-1].Km
	err := rateplot.Write(path, curves, meas, first, last)
	switch {
	case errors.Is(err, rateplot.ErrNothing):
		return fmt.Errorf("keyrate: plot %s: no setting gives a key between %v and %v km, nothing to plot", path, first, last)
	case err != nil:
		return fmt.Errorf("keyrate: write plot %s: %w", path, err)
	}
	return nil
}
