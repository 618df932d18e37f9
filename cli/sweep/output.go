package sweep

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"text/tabwriter"

	"qkdchat/qkd"
	"qkdchat/qkd/keyrate"
)

// Setting is the keyrate setting a simulated source matches.
func Setting(src qkd.Source) keyrate.Setting {
	switch {
	case !src.Laser:
		return keyrate.SinglePhoton
	case src.Decoys:
		return keyrate.VacuumWeak
	}
	return keyrate.NoDecoy
}

// Model is the analytic model of the simulated link c, asymptotic, with
// the channel's noise counted as misalignment.
func Model(c qkd.Config) keyrate.Model {
	return keyrate.Model{Link: keyrate.Link{LossDBPerKm: 0.2, DetectorEfficiency: c.DetectorEfficiency, DarkCount: c.DarkCount,
		Misalignment: math.Min(0.5, c.Misalignment+c.Noise), ECEfficiency: keyrate.GYS().ECEfficiency}}
}

// Output writes a sweep's distances as a table, or as JSON lines.
type Output struct {
	tw  *tabwriter.Writer
	enc *json.Encoder
}

// NewOutput starts the output of a sweep of set with runs runs per
// distance: the table's header, or nothing for JSON.
func NewOutput(w io.Writer, asJSON bool, set keyrate.Setting, runs int) *Output {
	if asJSON {
		return &Output{enc: json.NewEncoder(w)}
	}
	fmt.Fprintf(w, "BB84 sweep: source %s, %d run(s) per distance; rate in secret bits per pulse\n\n", set, runs)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "km\tpulses\tkeys\tkey bits\trate\t± s.e.\tmodel (asymptotic)\t")
	return &Output{tw: tw}
}

// Row writes one distance.
func (o *Output) Row(p Point) error {
	if o.enc != nil {
		return o.enc.Encode(p)
	}
	_, err := fmt.Fprintf(o.tw, "%.4g\t%d\t%d/%d\t%d\t%.3e\t%.1e\t%.3e\t\n", p.Km, p.Pulses, p.Keys, p.Runs, p.KeyBits, p.Rate, p.RateErr, p.Model)
	return err
}

// Close flushes the table.
func (o *Output) Close() error {
	if o.tw != nil {
		return o.tw.Flush()
	}
	return nil
}
