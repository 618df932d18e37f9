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
// per pulse sent on c's link without Eve: a pulse of mean photon number x
// clicks with probability 1 - (1 - dark) e^(-eta x) (a dark count and a
// photon on one pulse are one click), P on average over the intensities.
// After each click the detector is blind for D = DeadTime slots, and the
// first slot it sees again also clicks on an afterpulse (probability A =
// Afterpulse): it clicks with probability P' = 1 - (1 - P)(1 - A), and if
// it does not, the live slots after it wait 1/P slots on average for the
// next click. Over one such cycle (a renewal argument) the rate is
//
//	(s' + (1 - P') s/P) / (D + 1 + (1 - P')/P)
//
// with s the signal's click probability per slot and s' its probability
// in the first live slot, afterpulse included; without afterpulses it is
// s/(1 + D P). It is the exact expectation of the simulated detector
// (channel.PulseDetector). Afterpulses both add clicks and, with a dead
// time, blind the detector sooner, so they cannot be left out either way.
// Eve's attacks, which the parties do not know, are left out.
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
	if !(all > 0) {
		return 0
	}
	a := c.Afterpulse
	first := pSignal * (1 - (1-click(c.Source.Mu))*(1-a)) // the signal's click in the first live slot
	quiet := (1 - all) * (1 - a)                          // the first live slot does not click
	return (first + quiet*signal/all) / (float64(c.DeadTime) + 1 + quiet/all)
}
