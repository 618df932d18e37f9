package exchanges

import (
	"fmt"
	"strings"

	"qkdchat/qkd"
)

// SourceText says in plain words what light source an exchange used and,
// for a laser with decoys, what each intensity measured and what that
// bounds about the single photons (the part of the key Eve cannot split).
// An exchange without a pulse report used ideal single photons.
func SourceText(r *qkd.Report) string {
	if r == nil || r.Report == nil || r.Source != "wcp" {
		return "Source: single photons (an ideal source: one photon per pulse)."
	}
	d := r.Report
	var b strings.Builder
	fmt.Fprintf(&b, "Source: weak laser pulses, %.2g photons per signal pulse on average", d.Mu)
	switch {
	case d.AssumeSinglePhoton:
		b.WriteString("; UNSAFE: every detection assumed to be a single photon, so a photon-number-splitting attack goes unseen.")
	case d.Decoy == "none":
		b.WriteString("; no decoys, so the key is bounded as if Eve held every multi-photon pulse.")
	default:
		fmt.Fprintf(&b, "; decoys %s.", d.Decoy)
	}
	for _, in := range d.Intensities {
		if in.Pulses == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n%s pulses (%.2g photons): %d of %d detected (gain %.3g)", titleCase(in.Class), in.Mean, in.Detected, in.Pulses, in.Gain)
		if in.Class != "vacuum" {
			fmt.Fprintf(&b, ", error rate %.1f%%", 100*in.QBER)
		}
		b.WriteString(".")
	}
	if d.Decoy != "none" {
		if d.Y1Lower > 0 {
			fmt.Fprintf(&b, "\nSingle photons: at least %.1f%% of signal detections (yield Y1 at least %.3g), with an error rate of at most %.1f%% (e1).",
				100*d.SinglePhotonShare, d.Y1Lower, 100*d.E1Upper)
		} else {
			b.WriteString("\nSingle photons: the decoys bound none, so no key is safe: an eavesdropper may hold every bit.")
		}
	}
	return b.String()
}

func titleCase(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
