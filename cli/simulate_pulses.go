package cli

import (
	"flag"
	"fmt"
	"io"

	"qkdchat/qkd"
)

// pulseOptions are the flags of `qkdchat simulate` for the source, the
// decoy states, the attack and the detector (issue 16).
type pulseOptions struct {
	source, decoy, attack    string
	mu, nu, pWeak, pVac      float64
	assumeSingle             bool
	misalignment, afterpulse float64
	deadTime                 int
}

func pulseFlags(fs *flag.FlagSet) *pulseOptions {
	o := &pulseOptions{}
	fs.StringVar(&o.source, "source", "single", "light source: single (ideal single photons) or wcp (weak laser pulses, Poisson photon numbers)")
	fs.Float64Var(&o.mu, "mu", qkd.DefaultMu, "wcp: mean photon number of signal pulses (Ma et al. PRA 72 012326 optimum)")
	fs.StringVar(&o.decoy, "decoy", "none", "wcp: decoy states: none (GLLP bound) or vacuum+weak")
	fs.Float64Var(&o.nu, "nu", qkd.DefaultNu, "vacuum+weak: mean photon number of the weak decoy, below --mu")
	fs.Float64Var(&o.pWeak, "p-weak", qkd.DefaultPDecoy, "vacuum+weak: probability a pulse is a weak decoy")
	fs.Float64Var(&o.pVac, "p-vacuum", qkd.DefaultPDecoy, "vacuum+weak: probability a pulse is a vacuum decoy")
	fs.BoolVar(&o.assumeSingle, "assume-single-photon", false, "UNSAFE, demo only: treat every laser detection as a single photon (a PNS attack then learns the key unseen)")
	fs.StringVar(&o.attack, "attack", "intercept-resend", "eavesdropper's attack: intercept-resend (fraction --eve), pns (photon-number splitting) or beam-splitting; --eve-runs limits it to those runs")
	fs.Float64Var(&o.misalignment, "misalignment", 0, "probability a detected photon lands in the wrong detector, in [0,0.5]")
	fs.Float64Var(&o.afterpulse, "afterpulse", 0, "probability a click is followed by an afterpulse, in [0,1]")
	fs.IntVar(&o.deadTime, "dead-time", 0, "pulses Bob's detector is blind after each click")
	return o
}

// apply checks the flags, sets the channel's attack and detector fields and
// returns the source.
func (o *pulseOptions) apply(ch *qkd.Channel) (qkd.Source, error) {
	var src qkd.Source
	switch o.source {
	case "single":
	case "wcp":
		src.Laser = true
	default:
		return src, Usagef("--source %q: want single or wcp", o.source)
	}
	switch o.decoy {
	case "none":
	case "vacuum+weak":
		src.Decoys = true
	default:
		return src, Usagef("--decoy %q: want none or vacuum+weak", o.decoy)
	}
	if !(o.mu > 0 && o.mu <= 2) {
		return src, Usagef("--mu %v outside (0,2]", o.mu)
	}
	if !(o.nu > 0 && o.nu < o.mu) {
		return src, Usagef("--nu %v must be positive and below --mu %v", o.nu, o.mu)
	}
	if !(o.pWeak > 0 && o.pVac > 0 && o.pWeak+o.pVac < 1) {
		return src, Usagef("--p-weak %v and --p-vacuum %v must be positive with a sum below 1", o.pWeak, o.pVac)
	}
	if !(o.misalignment >= 0 && o.misalignment <= 0.5) {
		return src, Usagef("--misalignment %v outside [0,0.5]", o.misalignment)
	}
	src.Mu, src.Nu, src.PWeak, src.PVac, src.AssumeSingle = o.mu, o.nu, o.pWeak, o.pVac, o.assumeSingle
	if err := src.Validate(); err != nil {
		return src, Usagef("%v", err)
	}
	a, err := qkd.ParseAttack(o.attack)
	if err != nil {
		return src, Usagef("--attack: %v", err)
	}
	ch.Attack, ch.Misalignment, ch.Afterpulse, ch.DeadTime = a, o.misalignment, o.afterpulse, o.deadTime
	return src, nil
}

// describe prints the source line of the table header.
func (o *pulseOptions) describe(w io.Writer, c qkd.Config) {
	if !c.Source.Laser && c.Attack == qkd.AttackInterceptResend {
		return
	}
	fmt.Fprintf(w, "source %s, mu %.3g, decoys %s, attack %v", o.source, c.Source.Mu, o.decoy, c.Attack)
	if c.Source.AssumeSingle {
		fmt.Fprint(w, ", UNSAFE: every detection assumed a single photon")
	}
	fmt.Fprintln(w)
}

// boundLine is the single-photon verdict of a laser run in a line of
// words, or "" for a run without one.
func boundLine(run int, r *qkd.Report) string {
	if r == nil || r.Report == nil || r.Source != "wcp" || r.Verdict == "" {
		return ""
	}
	return fmt.Sprintf("run %d: %s%s", run, r.Verdict, eveSplit(r))
}

func eveSplit(r *qkd.Report) string {
	if r.EveSplitPulses == 0 {
		return ""
	}
	return fmt.Sprintf("; Eve kept photons of %d pulses", r.EveSplitPulses)
}

// writeBoundLines prints the laser runs' bound lines under the table.
func writeBoundLines(w io.Writer, lines []string) {
	first := true
	for _, l := range lines {
		if l == "" {
			continue
		}
		if first {
			fmt.Fprintln(w)
			first = false
		}
		fmt.Fprintln(w, l)
	}
}
