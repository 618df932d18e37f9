package session

import (
	"errors"
	"strings"
	"testing"

	"qkdchat/qkd"
)

func TestBB84SettingsValidateSource(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    BB84Settings
		want string // a part of the error; "" for valid settings
	}{
		{"single photons", BB84Settings{}, ""},
		{"laser", BB84Settings{Laser: true}, ""},
		{"laser with mu and decoys", BB84Settings{Laser: true, Mu: 0.6, Decoys: true}, ""},
		{"pns on a laser", BB84Settings{Laser: true, Decoys: true, Attack: qkd.AttackPNS}, ""},
		{"beam-splitting on a laser", BB84Settings{Laser: true, Attack: qkd.AttackBeamSplit}, ""},
		{"intercept-resend fraction on a laser", BB84Settings{Laser: true, Eve: 0.3}, ""},
		{"mu above 2", BB84Settings{Laser: true, Mu: 2.5}, "mu 2.5 is not between 0 and 2"},
		{"negative mu", BB84Settings{Laser: true, Mu: -0.1}, "mu -0.1 is not between 0 and 2"},
		{"mu on single photons", BB84Settings{Mu: 0.5}, "applies to a laser source (wcp) only"},
		{"decoys on single photons", BB84Settings{Decoys: true}, "decoy states need a laser source"},
		{"pns on single photons", BB84Settings{Attack: qkd.AttackPNS}, "the pns attack needs a laser source"},
		{"beam-splitting on single photons", BB84Settings{Attack: qkd.AttackBeamSplit}, "the beam-splitting attack needs a laser source"},
		{"unknown attack", BB84Settings{Laser: true, Attack: qkd.Attack(9)}, "unknown attack"},
		{"fraction with pns", BB84Settings{Laser: true, Eve: 0.5, Attack: qkd.AttackPNS}, "applies to intercept-resend only"},
		{"mu below the weak decoy", BB84Settings{Laser: true, Decoys: true, Mu: 0.05}, "above the weak decoy's 0.1"},
	} {
		checkValidate(t, tc.name, tc.b, tc.want)
	}
}

// A laser exchange is sized by the decoy planner from the link's
// calibration, as simulate sizes it, and the attack never enters the plan.
func TestLaserPlanFromCalibrationNotEve(t *testing.T) {
	b := BB84Settings{FiberKm: 25, Laser: true, Decoys: true}
	b.WithDefaults()
	plain, err := PlanExchange(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	n, err := qkd.RequiredPulses(qkd.Config{Protocol: qkd.Protocol{KeyBits: 256, Source: qkd.Source{Laser: true, Decoys: true}},
		Channel: qkd.Channel{FiberKm: 25}})
	if err != nil || plain.Qubits != n+n/10 {
		t.Fatalf("planned %d pulses, want RequiredPulses %d and a tenth (%v)", plain.Qubits, n, err)
	}
	for _, a := range []qkd.Attack{qkd.AttackPNS, qkd.AttackBeamSplit} {
		b.Attack = a
		if p, err := PlanExchange(b, nil); err != nil || p != plain {
			t.Errorf("%v: plan %+v, %v; without Eve %+v", a, p, err, plain)
		}
	}
	b.Attack, b.Eve = qkd.AttackInterceptResend, 1
	if p, err := PlanExchange(b, nil); err != nil || p != plain {
		t.Errorf("intercept-resend: plan %+v, %v; without Eve %+v", p, err, plain)
	}
}

func TestLaserPlanWithoutKeySaysWhy(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    BB84Settings
		want string
	}{
		{"no decoys at 40 km", BB84Settings{FiberKm: 40, Laser: true}, "without decoy states"},
		{"decoys at 200 km", BB84Settings{FiberKm: 200, Laser: true, Decoys: true}, "with decoys"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.b
			b.WithDefaults()
			_, err := PlanExchange(b, nil)
			var pe *PlanError
			if !errors.As(err, &pe) || !pe.Laser || pe.Decoys != b.Decoys || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("PlanExchange: %v", err)
			}
		})
	}
	// A weak laser without decoys on a short link has a key, only more
	// pulses than one exchange may send: the error says that, not that
	// the GLLP bound leaves no key at this distance.
	weak := BB84Settings{FiberKm: 5, Laser: true, Mu: 0.001}
	weak.WithDefaults()
	_, err := PlanExchange(weak, nil)
	var pe *PlanError
	if !errors.As(err, &pe) || pe.Planned <= maxExchangePulses || !strings.Contains(err.Error(), "more than 16777216 pulses") ||
		strings.Contains(err.Error(), "leaves no secret key") {
		t.Fatalf("mu 0.001 at 5 km without decoys: %v", err)
	}
	// Without decoys a short link still makes a key.
	b := BB84Settings{FiberKm: 10, Laser: true}
	b.WithDefaults()
	if p, err := PlanExchange(b, nil); err != nil || p.Qubits == 0 {
		t.Fatalf("10 km without decoys: %+v, %v", p, err)
	}
}

// checkValidate runs Validate on b with its defaults filled in, as a
// subtest named name, and fails unless the error contains want ("" for
// settings that must be valid).
func checkValidate(t *testing.T, name string, b BB84Settings, want string) {
	t.Helper()
	t.Run(name, func(t *testing.T) {
		b.WithDefaults()
		err := b.Validate()
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Fatalf("Validate() = %v, want %q", err, want)
		}
	})
}
