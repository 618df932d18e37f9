package session

import (
	"errors"
	"math"
	"strings"
	"testing"

	"qkdchat/qkd"
)

// TestBB84SettingsValidateAtLimits: settings that no exchange can run
// (a fibre length that is not a number, infinite or beyond what qkd
// models, a key longer than a run holds) are refused when they are set,
// in words, rather than accepted and failing every exchange after; the
// limits themselves are accepted.
func TestBB84SettingsValidateAtLimits(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    BB84Settings
		want string // a part of the error; "" for valid settings
	}{
		{"fibre at the limit", BB84Settings{Laser: true, Decoys: true, FiberKm: MaxLiveFiberKm}, ""},
		{"fibre beyond the limit", BB84Settings{Laser: true, FiberKm: MaxLiveFiberKm + 1}, "fibre length"},
		{"fibre not a number", BB84Settings{Laser: true, FiberKm: math.NaN()}, "fibre length"},
		{"fibre infinite", BB84Settings{FiberKm: math.Inf(1)}, "fibre length"},
		{"mu at 2", BB84Settings{Laser: true, Mu: 2}, ""},
		{"mu just above 2", BB84Settings{Laser: true, Mu: math.Nextafter(2, 3)}, "not between 0 and 2"},
		{"mu not a number", BB84Settings{Laser: true, Mu: math.NaN()}, "not between 0 and 2"},
		{"mu infinite", BB84Settings{Laser: true, Mu: math.Inf(1)}, "not between 0 and 2"},
		{"key at the limit", BB84Settings{KeyBits: qkd.MaxQubits}, ""},
		{"key longer than a run", BB84Settings{KeyBits: qkd.MaxQubits + 1}, "key bits"},
	} {
		checkValidate(t, tc.name, tc.b, tc.want)
	}
}

// TestLowMuLaserWithoutDecoysPlans: a weak laser without decoys (mu at or
// below the weak decoy's 0.1, the regime the GLLP bound favours at a
// distance) is a valid setting, so its exchange is planned: a number of
// pulses, or a PlanError saying no key is possible, never a complaint
// about a weak decoy the user did not ask for.
func TestLowMuLaserWithoutDecoysPlans(t *testing.T) {
	for _, mu := range []float64{qkd.DefaultNu, 0.05, 0.01} {
		b := BB84Settings{Laser: true, Mu: mu, FiberKm: 5}
		b.WithDefaults()
		if err := b.Validate(); err != nil {
			t.Fatalf("mu %g without decoys: %v", mu, err)
		}
		c, err := b.qkdConfig(0.02)
		var pe *PlanError
		if err != nil && !errors.As(err, &pe) || err == nil && c.Qubits <= 0 {
			t.Errorf("mu %g without decoys: %d pulses, %v; want a plan or a PlanError", mu, c.Qubits, err)
		}
		if err != nil && strings.Contains(err.Error(), "decoy intensity") {
			t.Errorf("mu %g without decoys: %v", mu, err)
		}
	}
}
