package qkd

import (
	"fmt"
	"math"

	"qkdchat/qkd/keyrate"
)

// checkDetections refuses, before the first pulse, a laser run that its
// link would certainly give more detected signal pulses than a run holds
// (MaxQubits). Without it the run would stream for as long as it takes to
// reach the cap (25 minutes for 1e10 pulses at 100 km with an ideal
// detector) and only then fail. The expectation is the link's gain from
// c's channel without Eve, and the run is refused only when even five
// standard deviations below it exceed the cap; the streamed check in
// retain stays the exact one.
func (c Config) checkDetections() error {
	if !c.pulsed() || c.Qubits == 0 {
		return nil
	}
	pSignal := 1.0
	if c.Source.Decoys {
		pSignal = 1 - c.Source.PWeak - c.Source.PVac
	}
	l := keyrate.Link{LossDBPerKm: 0.2, DetectorEfficiency: c.DetectorEfficiency, DarkCount: c.DarkCount,
		Misalignment: math.Min(0.5, c.Misalignment+c.Noise), ECEfficiency: 1}
	perPulse := pSignal * l.Gain(c.FiberKm, c.Source.Mu)
	want := float64(c.Qubits) * perPulse
	if want-5*math.Sqrt(want) <= MaxQubits {
		return nil
	}
	most := int(0.9 * MaxQubits / perPulse)
	return fmt.Errorf("%w: %d pulses over %g km would give about %.3g detected signal pulses, and one run holds at most %d; send at most %d pulses, or model a longer fibre or a less efficient detector",
		ErrTooManyDetections, c.Qubits, c.FiberKm, want, MaxQubits, most)
}
