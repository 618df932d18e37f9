package bb84flags

import (
	"flag"
	"fmt"
	"strings"

	"qkdchat/node"
	"qkdchat/qkd"
)

// Flags are the key exchange flags of listen and connect.
type Flags struct {
	keyBits                        int
	noise, eve, fiberKm, threshold float64
	source, decoy, attack          string
	mu                             float64
}

// Register adds the flags to fs.
func Register(fs *flag.FlagSet) *Flags {
	f := &Flags{}
	fs.IntVar(&f.keyBits, "key-bits", 256, "BB84 final key length in bits")
	fs.Float64Var(&f.noise, "noise", 0.01, "simulated channel error rate (0-1), applied when this side sends photons")
	fs.Float64Var(&f.eve, "eve", 0, "fraction of photons an in-channel eavesdropper intercepts (0-1), for demos")
	fs.Float64Var(&f.fiberKm, "fiber-km", 0, "simulated fibre length in km (0.2 dB/km loss)")
	fs.Float64Var(&f.threshold, "threshold", 0.11, "abort the key exchange above this QBER")
	fs.StringVar(&f.source, "source", node.SourceSingle, "light source when this side starts the exchange: single (ideal single photons) or wcp (weak laser pulses, Poisson photon numbers)")
	fs.Float64Var(&f.mu, "mu", qkd.DefaultMu, "wcp: mean photon number of signal pulses, in (0,2]")
	fs.StringVar(&f.decoy, "decoy", node.DecoysNone, "wcp: decoy states: none (GLLP bound: no key beyond about 27 km) or vacuum+weak (intensities "+
		fmt.Sprint(qkd.DefaultNu)+" and 0, each on 1/8 of the pulses)")
	fs.StringVar(&f.attack, "attack", "intercept-resend", "simulated eavesdropper's attack: intercept-resend (fraction --eve), pns (photon-number splitting) or beam-splitting (wcp); the peer never learns it")
	return f
}

// Settings checks the flags and returns the BB84 settings they give. An
// error names the flag in words a user understands.
func (f *Flags) Settings() (node.BB84Settings, error) {
	var b node.BB84Settings
	for _, v := range []struct {
		name string
		val  float64
	}{{"noise", f.noise}, {"eve", f.eve}, {"threshold", f.threshold}} {
		if !(v.val >= 0 && v.val <= 1) {
			return b, fmt.Errorf("--%s must be between 0 and 1, not %g", v.name, v.val)
		}
	}
	if f.keyBits < 8 || f.keyBits > 1<<20 {
		return b, fmt.Errorf("--key-bits must be between 8 and 1048576")
	}
	if !(f.fiberKm >= 0 && f.fiberKm <= node.MaxLiveFiberKm) {
		return b, fmt.Errorf("--fiber-km must be between 0 and %d", node.MaxLiveFiberKm)
	}
	laser, err := node.ParseSource(f.source)
	if err != nil {
		return b, fmt.Errorf("--source: %v", err)
	}
	decoys, err := node.ParseDecoys(f.decoy)
	if err != nil {
		return b, fmt.Errorf("--decoy: %v", err)
	}
	attack, err := qkd.ParseAttack(f.attack)
	if err != nil {
		return b, fmt.Errorf("--attack: %v", err)
	}
	b = node.BB84Settings{KeyBits: f.keyBits, Noise: f.noise, Eve: f.eve, FiberKm: f.fiberKm, Threshold: f.threshold,
		Laser: laser, Decoys: decoys, Attack: attack}
	if laser {
		if !(f.mu > 0 && f.mu <= 2) {
			return b, fmt.Errorf("--mu %g: the mean photon number must be above 0 and at most 2", f.mu)
		}
		b.Mu = f.mu
	}
	if err := b.Validate(); err != nil {
		return b, fmt.Errorf("%v (see --source, --decoy, --attack)", err)
	}
	return b, nil
}

// SourceLine words the light source of a key event's exchange for the
// event's line: "" for single photons, else the source and what the
// single-photon bound showed (the decoys' gains and Y1/e1 bounds).
func SourceLine(e node.Event) string {
	if e.Exchange == nil || e.Exchange.Report == nil || e.Exchange.Report.Report == nil || e.Exchange.Report.Source != node.SourceWCP {
		return ""
	}
	d := e.Exchange.Report.Report
	var b strings.Builder
	fmt.Fprintf(&b, "\n  source: weak laser pulses, mu %.3g, decoys %s", d.Mu, d.Decoy)
	for _, in := range d.Intensities {
		if in.Pulses > 0 {
			fmt.Fprintf(&b, "\n  %s pulses (mu %.3g): %d of %d detected, gain %.3g", in.Class, in.Mean, in.Detected, in.Pulses, in.Gain)
		}
	}
	if d.Verdict != "" {
		fmt.Fprintf(&b, "\n  %s", d.Verdict)
	}
	return b.String()
}
