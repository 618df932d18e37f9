package qkd

import (
	"errors"
	"testing"

	"qkdchat/qkd/channel"
)

// measuredSignalRate runs n pulses of c's source through c's fibre and
// Bob's detector (dead time, dark counts, afterpulses and all) and returns
// the detected signal pulses per pulse sent: what the streamed cap counts.
// Eve's attack, if any, acts as in streamAlice.
func measuredSignalRate(c Config, n int, seed uint64) float64 {
	r := NewRand(&seed, "detections")
	laser, T := c.Source.Model(), channel.Transmittance(c.FiberKm)
	pns := channel.PlanPNS(c.Source.Mu, T, c.DetectorEfficiency)
	det := &channel.PulseDetector{Efficiency: c.DetectorEfficiency, Dark: c.DarkCount, Misalign: c.Misalignment,
		Afterpulse: c.Afterpulse, DeadTime: c.DeadTime, PX: 1 - c.ZBias}
	signal := 0
	const frame = 1 << 16
	for off := 0; off < n; off += frame {
		cnt := min(frame, n-off)
		f := laser.Emit(r, cnt, 1-c.ZBias)
		w := len(f.Basis)
		known := make([]uint64, w)
		switch c.Attack {
		case channel.AttackPNS:
			pns.Apply(f, r, known)
			channel.Transmit(f, r, c.Noise, 1)
		case channel.AttackBeamSplit:
			channel.BeamSplit(f, r, T, known)
			channel.Transmit(f, r, c.Noise, 1)
		default:
			if c.Eve > 0 {
				channel.InterceptPulses(f, r, c.Eve, c.EveBasis, known)
			}
			channel.Transmit(f, r, c.Noise, T)
		}
		detected, basis, result := make([]uint64, w), make([]uint64, w), make([]uint64, w)
		det.Measure(f, r, 0, detected, basis, result)
		for i := 0; i < cnt; i++ {
			if f.Class[i] == channel.Signal && detected[i/64]>>(i%64)&1 == 1 {
				signal++
			}
		}
	}
	return float64(signal) / float64(n)
}

// TestCheckDetectionsNoFalseRefusal: the early refusal of a laser run that
// would overfill the detection cap must never refuse a run that fits. For
// detectors that click less than an ideal one would (dead time, which
// blinds the detector after each click; dark counts, which overlap real
// clicks rather than add to them) a run sized to give 90% of the cap, by
// the detector's measured rate, goes ahead; the same links at 120% of the
// cap are still refused at once. Afterpulses add clicks, but with a dead
// time each one also blinds the detector sooner, so the check must count
// the dead time they start (the last two afterpulse cases refused 90% of
// the cap when it left afterpulses out); Eve's attacks keep the
// signal's detection rate the fibre gives (that is how they hide), which
// the last cases check with a dead detector.
func TestCheckDetectionsNoFalseRefusal(t *testing.T) {
	laser := Source{Laser: true, Decoys: true}
	n := 400_000
	if testing.Short() || raceEnabled {
		n = 150_000
	}
	for i, c := range []struct {
		name string
		ch   Channel
		zb   float64
	}{
		{"ideal detector, 0 km", Channel{}, 0},
		{"dead time 1 slot, 0 km", Channel{DeadTime: 1}, 0},
		{"dead time 20 slots, 10 km", Channel{DeadTime: 20, FiberKm: 10}, 0},
		{"dark counts 0.2, 0 km", Channel{DarkCount: 0.2}, 0},
		{"dead time 3, dark 0.05, Z bias 0.9", Channel{DeadTime: 3, DarkCount: 0.05, FiberKm: 5}, 0.9},
		{"afterpulses 0.3, dead time 2", Channel{Afterpulse: 0.3, DeadTime: 2}, 0},
		{"afterpulses 0.9, dead time 20", Channel{Afterpulse: 0.9, DeadTime: 20}, 0},
		{"afterpulses 0.99, dead time 200, dark 0.01", Channel{Afterpulse: 0.99, DeadTime: 200, DarkCount: 0.01}, 0},
		{"pns, 5 km, dead time 2", Channel{Attack: channel.AttackPNS, FiberKm: 5, DeadTime: 2}, 0},
		{"beam-splitting, 25 km, dead time 2", Channel{Attack: channel.AttackBeamSplit, FiberKm: 25, DeadTime: 2}, 0},
		{"intercept-resend half, dead time 1", Channel{Eve: 0.5, DeadTime: 1}, 0},
	} {
		cfg := Config{Protocol: Protocol{Source: laser, ZBias: c.zb}, Channel: c.ch}.withDefaults()
		rate := measuredSignalRate(cfg, n, uint64(i+1))
		for _, tc := range []struct {
			share float64
			fits  bool
		}{{0.9, true}, {1.2, false}} {
			cfg.Qubits = int(tc.share * MaxQubits / rate)
			err := cfg.checkDetections()
			switch {
			case tc.fits && err != nil:
				t.Errorf("%s: %d pulses give about %.3g detected signal pulses (%.4f a pulse), %.0f%% of the cap, and were refused: %v",
					c.name, cfg.Qubits, tc.share*MaxQubits, rate, 100*tc.share, err)
			case !tc.fits && !errors.Is(err, ErrTooManyDetections):
				t.Errorf("%s: %d pulses give about %.3g detected signal pulses, above the cap, and were not refused (%v)",
					c.name, cfg.Qubits, tc.share*MaxQubits, err)
			}
		}
	}
}
