package qkd

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"qkdchat/qkd/channel"
	"qkdchat/qkd/keyrate"
)

// The attacks on a laser link (issue 16). Each test runs the whole
// protocol through Simulate. Full size is 1e7 pulses; under -race and
// -short 2e6. The full-size run:
//
//	go test -count=1 -run 'TestPNS|TestBeamSplitting|TestLaserIntercept|TestSingleRunsStayVersion3' ./qkd
func laserPulses() int {
	if raceEnabled || testing.Short() {
		return 2_000_000
	}
	return MaxQubits
}

// laserRun is a wcp run of n pulses at km with a 1e-5 dark count and a 3%
// misalignment, asking for whatever key the bound allows.
func laserRun(t *testing.T, seed uint64, km float64, src Source, ch Channel) (*Report, error) {
	t.Helper()
	ch.FiberKm, ch.DarkCount, ch.Misalignment = km, 1e-5, 0.03
	src.Laser = true
	c := Config{Channel: ch, Protocol: Protocol{Qubits: laserPulses(), Source: src}, Seed: &seed}
	rep, err := Simulate(context.Background(), c)
	if rep == nil {
		t.Fatalf("simulate: %v", err)
	}
	return rep, err
}

func notEnoughKey(t *testing.T, err error) *AbortError {
	t.Helper()
	var ae *AbortError
	if !errors.As(err, &ae) || !errors.Is(err, ErrNotEnoughKey) {
		t.Fatalf("want a not-enough-key abort, got %v", err)
	}
	return ae
}

// TestPNSCaughtByDecoys: at 50 km a photon-number-splitting Eve blocks
// every single photon and hides in the multi-photon pulses. The signal's
// gain and QBER look normal, but the weak decoy's gain collapses, the
// single-photon yield bound falls to zero, and the run aborts saying why.
// Without Eve the same link bounds Y1 near its true value.
func TestPNSCaughtByDecoys(t *testing.T) {
	const km = 50
	truth := keyrate.Link{LossDBPerKm: 0.2, DetectorEfficiency: 1, DarkCount: 1e-5}.Transmittance(km) + 1e-5
	clean, _ := laserRun(t, 1, km, Source{Decoys: true}, Channel{})
	if clean.Y1Lower < 0.6*truth {
		t.Fatalf("without Eve: Y1 >= %.3g, want near the true %.3g", clean.Y1Lower, truth)
	}
	rep, err := laserRun(t, 1, km, Source{Decoys: true}, Channel{Attack: channel.AttackPNS})
	ae := notEnoughKey(t, err)
	if !strings.Contains(ae.Error(), "photon-number-splitting") || !strings.Contains(rep.AbortReason, "too few detections came from single photons") {
		t.Errorf("abort reason %q does not name the attack", rep.AbortReason)
	}
	if rep.Y1Lower > 0.05*truth || rep.SinglePhotonShare > 0.01 {
		t.Errorf("under PNS: Y1 >= %.3g, share %.3g; want the bound collapsed", rep.Y1Lower, rep.SinglePhotonShare)
	}
	if rep.EveSplitPulses == 0 || rep.QBEREstimate > clean.QBEREstimate+0.01 {
		t.Errorf("Eve split %d pulses, QBER %.4f against %.4f without her", rep.EveSplitPulses, rep.QBEREstimate, clean.QBEREstimate)
	}
	sig, weak := rep.Intensities[0], rep.Intensities[1]
	if weak.Gain > 0.5*clean.Intensities[1].Gain || math.Abs(sig.Gain-clean.Intensities[0].Gain) > 0.05*clean.Intensities[0].Gain {
		t.Errorf("gains under PNS: signal %.4g (clean %.4g), weak %.4g (clean %.4g)", sig.Gain, clean.Intensities[0].Gain, weak.Gain, clean.Intensities[1].Gain)
	}
	t.Logf("clean: Y1 >= %.4g, e1 <= %.3g; PNS: Y1 >= %.4g, abort %q", clean.Y1Lower, clean.E1Upper, rep.Y1Lower, rep.AbortReason)
}

// TestPNSWithoutDecoysGLLPRefuses: without decoy states the GLLP bound
// must assume every multi-photon pulse was split. At 50 km the multi-photon
// pulses outnumber the detections, so it refuses a key, with or without
// Eve, while a single-photon source on the same link makes one.
func TestPNSWithoutDecoysGLLPRefuses(t *testing.T) {
	for _, ch := range []Channel{{}, {Attack: channel.AttackPNS}} {
		rep, err := laserRun(t, 2, 50, Source{}, ch)
		notEnoughKey(t, err)
		if !strings.Contains(rep.AbortReason, "without decoy states") || rep.KeyBits != 0 {
			t.Errorf("%v: abort reason %q, key %d bits", ch.Attack, rep.AbortReason, rep.KeyBits)
		}
	}
	seed := uint64(2)
	single := Config{Channel: Channel{FiberKm: 50, DarkCount: 1e-5, Misalignment: 0.03}, Protocol: Protocol{Qubits: laserPulses()}, Seed: &seed}
	rep, err := Simulate(context.Background(), single)
	if err != nil || rep.KeyBits == 0 {
		t.Fatalf("single-photon source at 50 km: %v", err)
	}
}

// TestPNSAssumeSingleUnsafe: the UNSAFE mode that treats laser detections
// as single photons makes a key under PNS, with a QBER no higher than
// without Eve, and Eve knows almost all of it.
func TestPNSAssumeSingleUnsafe(t *testing.T) {
	clean, err := laserRun(t, 3, 50, Source{AssumeSingle: true}, Channel{})
	if err != nil {
		t.Fatalf("without Eve: %v", err)
	}
	rep, err := laserRun(t, 3, 50, Source{AssumeSingle: true}, Channel{Attack: channel.AttackPNS})
	if err != nil || rep.KeyBits == 0 {
		t.Fatalf("under PNS: %v", err)
	}
	sd := math.Sqrt(clean.QBERTrue * (1 - clean.QBERTrue) / float64(rep.Sifted))
	if rep.QBERTrue > clean.QBERTrue+4*math.Sqrt2*sd {
		t.Errorf("QBER %.4f under PNS, %.4f without Eve", rep.QBERTrue, clean.QBERTrue)
	}
	if float64(rep.EveFinalInfoBits) < 0.95*float64(rep.KeyBits) || clean.EveFinalInfoBits != 0 {
		t.Errorf("Eve knows %d of %d final key bits (%d without her)", rep.EveFinalInfoBits, rep.KeyBits, clean.EveFinalInfoBits)
	}
	t.Logf("UNSAFE: key %d bits, Eve knows %d; QBER %.4f (without Eve %.4f)", rep.KeyBits, rep.EveFinalInfoBits, rep.QBERTrue, clean.QBERTrue)
}

// TestBeamSplittingWithDecoys: Eve keeps the photons the fibre would lose.
// Bob sees exactly the fibre's statistics, the decoy bound holds, and
// privacy amplification leaves Eve nothing of the final key although she
// holds photons of many reconciled bits.
func TestBeamSplittingWithDecoys(t *testing.T) {
	rep, err := laserRun(t, 4, 10, Source{Decoys: true}, Channel{Attack: channel.AttackBeamSplit})
	if err != nil || rep.KeyBits == 0 {
		t.Fatalf("beam-splitting at 10 km: %v", err)
	}
	if rep.EveInfoBits == 0 || rep.EveFinalInfoBits != 0 {
		t.Errorf("Eve holds %d reconciled bits and %d of the final key", rep.EveInfoBits, rep.EveFinalInfoBits)
	}
}

// TestLaserInterceptResend: intercept-resend on every pulse of a laser
// link gives a QBER near 25% and the run aborts.
func TestLaserInterceptResend(t *testing.T) {
	rep, err := laserRun(t, 5, 10, Source{Decoys: true}, Channel{Eve: 1})
	if !errors.Is(err, ErrAbortedQBER) || math.Abs(rep.QBERTrue-0.25-0.5*0.03) > 0.02 {
		t.Fatalf("QBER %.4f, err %v", rep.QBERTrue, err)
	}
}

// TestSingleRunsStayVersion3: a single-photon run with none of the new
// features speaks protocolVersion (5); anything on the pulse model
// announces pulseVersion (6).
func TestSingleRunsStayVersion3(t *testing.T) {
	cases := []struct {
		c    Config
		want uint8
	}{
		{Config{}, protocolVersion},
		{Config{Channel: Channel{Eve: 0.5, FiberKm: 20, DarkCount: 1e-3}}, protocolVersion},
		{Config{Protocol: Protocol{Source: Source{Laser: true}}}, pulseVersion},
		{Config{Channel: Channel{Misalignment: 0.01}}, pulseVersion},
		{Config{Channel: Channel{Attack: channel.AttackPNS}}, pulseVersion},
		{Config{Channel: Channel{DeadTime: 3}}, pulseVersion},
	}
	for i, tc := range cases {
		if got := tc.c.Protocol.params(100, tc.c.pulsed()).Version; got != tc.want {
			t.Errorf("case %d: version %d, want %d", i, got, tc.want)
		}
	}
}
