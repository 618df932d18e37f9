package qkd

import (
	"fmt"
	"math"

	"qkdchat/qkd/channel"
)

// checkDetections refuses, before the first pulse, a laser run that its
// link would certainly give more detected signal pulses than a run holds
// (MaxQubits). Without it the run would stream for as long as it takes to
// reach the cap (25 minutes for 1e10 pulses at 100 km with an ideal
// detector) and only then fail. The run is refused only when even five
// standard deviations below the expectation exceed the cap; the streamed
// check in retain stays the exact one.
func (c Config) checkDetections() error {
	if !c.pulsed() || c.Qubits == 0 {
		return nil
	}
	perPulse := c.signalDetectionRate()
	want := float64(c.Qubits) * perPulse
	if want-5*math.Sqrt(want) <= MaxQubits {
		return nil
	}
	most := int(0.9 * MaxQubits / perPulse)
	return fmt.Errorf("%w: %d pulses over %g km would give about %.3g detected signal pulses, and one run holds at most %d; send at most %d pulses, or model a longer fibre or a less efficient detector",
		ErrTooManyDetections, c.Qubits, c.FiberKm, want, MaxQubits, most)
}

// signalDetectionRate is the expected number of detected signal pulses
// per pulse sent on c's link without Eve, never above the detector's true
// rate: a pulse of mean photon number x clicks with probability
// 1 - (1 - dark) e^(-eta x) (a dark count and a photon on one pulse are
// one click), and a detector blind for DeadTime slots after each click of
// any intensity is live on 1/(1 + DeadTime P) of the slots, P the click
// probability of a live slot. Afterpulses, which only add clicks, are
// left out, as are Eve's attacks, which the parties do not know.
func (c Config) signalDetectionRate() float64 {
	eta := channel.Transmittance(c.FiberKm) * c.DetectorEfficiency
	click := func(x float64) float64 { return 1 - (1-c.DarkCount)*math.Exp(-eta*x) }
	pSignal, all := 1.0, 0.0
	if c.Source.Decoys {
		pSignal = 1 - c.Source.PWeak - c.Source.PVac
		all = c.Source.PWeak*click(c.Source.Nu) + c.Source.PVac*click(0)
	}
	signal := pSignal * click(c.Source.Mu)
	all += signal
	return signal / (1 + float64(c.DeadTime)*all)
}
