package rateplot

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Curve is one setting's rate against distance; rates of 0 (no key) are
// left out, as a log axis cannot show them.
type Curve struct {
	Label     string
	Km, Rates []float64
}

// Point is a measured rate with its standard error.
type Point struct{ Km, Rate, Err float64 }

// Measured are points drawn over the curves.
type Measured struct {
	Label  string
	Points []Point
}

// ErrNothing is returned when no curve nor point has a positive rate.
var ErrNothing = errors.New("nothing to plot")

// Write draws the curves (the later ones first, so that the first ones
// stay visible where they coincide) and meas (nil for none) from xMin to
// xMax km, log scale, to path as a PNG.
func Write(path string, curves []Curve, meas *Measured, xMin, xMax float64) error {
	p := plot.New()
	p.Title.Text = "BB84 secret key rate per pulse"
	p.X.Label.Text = "fibre length (km)"
	p.Y.Label.Text = "key rate (bits per pulse)"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = decadeTicks{}
	p.Legend.Top = true
	p.Legend.XOffs, p.Legend.YOffs = -vg.Points(8), -vg.Points(24)
	lo, hi := math.Inf(1), math.Inf(-1)
	var lines []*plotter.Line
	for i, c := range curves {
		var xys plotter.XYs
		for j, v := range c.Rates {
			if v > 0 {
				xys = append(xys, plotter.XY{X: c.Km[j], Y: v})
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
		if len(xys) == 0 {
			continue
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			return fmt.Errorf("%s: %w", c.Label, err)
		}
		l.Color = plotutil.Color(i)
		l.Dashes = plotutil.Dashes(i)
		l.Width = vg.Points(1.5)
		lines = append(lines, l)
		p.Legend.Add(c.Label, l)
	}
	for i := len(lines) - 1; i >= 0; i-- {
		p.Add(lines[i])
	}
	if meas != nil {
		mlo, mhi, err := meas.add(p)
		if err != nil {
			return err
		}
		lo, hi = math.Min(lo, mlo), math.Max(hi, mhi)
	}
	if math.IsInf(lo, 0) {
		return ErrNothing
	}
	// Whole decades around the data; a log axis cannot reach 0.
	p.Y.Min = math.Pow(10, math.Floor(math.Log10(lo)))
	p.Y.Max = math.Pow(10, math.Ceil(math.Log10(hi)))
	if p.Y.Max <= p.Y.Min {
		p.Y.Max = 10 * p.Y.Min
	}
	p.X.Min, p.X.Max = xMin, xMax
	return p.Save(7*vg.Inch, 4.5*vg.Inch, path)
}

// decadeTicks marks a log axis like plot.LogTicks but labels each decade
// as 1e-05 rather than with the rounding error of its float.
type decadeTicks struct{}

func (decadeTicks) Ticks(min, max float64) []plot.Tick {
	ticks := plot.LogTicks{Prec: -1}.Ticks(min, max)
	for i, t := range ticks {
		if t.Label != "" {
			ticks[i].Label = fmt.Sprintf("%.0e", t.Value)
		}
	}
	return ticks
}

// errPoints are rates with error bars.
type errPoints struct {
	plotter.XYs
	plotter.YErrors
}

// add draws the positive rates as points with error bars and returns
// their range; a distance without a key is left out (a log axis cannot
// show 0) and named in the legend. A bar stops at a tenth of its rate
// below, as a log axis cannot show a bar reaching 0.
func (m *Measured) add(p *plot.Plot) (lo, hi float64, err error) {
	lo, hi = math.Inf(1), math.Inf(-1)
	var e errPoints
	var none []string
	for _, pt := range m.Points {
		if pt.Rate <= 0 {
			none = append(none, strconv.FormatFloat(pt.Km, 'g', 4, 64))
			continue
		}
		low := math.Min(pt.Err, 0.9*pt.Rate)
		e.XYs = append(e.XYs, plotter.XY{X: pt.Km, Y: pt.Rate})
		e.YErrors = append(e.YErrors, struct{ Low, High float64 }{low, pt.Err})
		lo, hi = math.Min(lo, pt.Rate-low), math.Max(hi, pt.Rate+pt.Err)
	}
	label := m.Label
	if len(none) > 0 {
		label += " (no key at " + strings.Join(none, ", ") + " km)"
	}
	if len(e.XYs) == 0 {
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
