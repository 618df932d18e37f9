package bb84flags

import (
	"flag"
	"io"
	"strings"
	"testing"

	"qkdchat/node"
	"qkdchat/qkd"
)

func parse(t *testing.T, args ...string) (node.BB84Settings, error) {
	t.Helper()
	fs := flag.NewFlagSet("connect", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f := Register(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return f.Settings()
}

func TestSettingsFromFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want node.BB84Settings
	}{
		{nil, node.BB84Settings{KeyBits: 256, Noise: 0.01, Threshold: 0.11}},
		{[]string{"--source", "wcp", "--fiber-km", "25", "--decoy", "vacuum+weak"},
			node.BB84Settings{KeyBits: 256, Noise: 0.01, Threshold: 0.11, FiberKm: 25, Laser: true, Mu: qkd.DefaultMu, Decoys: true}},
		{[]string{"--source", "wcp", "--mu", "0.6", "--attack", "pns", "--decoy", "vacuum+weak"},
			node.BB84Settings{KeyBits: 256, Noise: 0.01, Threshold: 0.11, Laser: true, Mu: 0.6, Decoys: true, Attack: qkd.AttackPNS}},
		{[]string{"--source", "wcp", "--attack", "beam-splitting", "--key-bits", "128"},
			node.BB84Settings{KeyBits: 128, Noise: 0.01, Threshold: 0.11, Laser: true, Mu: qkd.DefaultMu, Attack: qkd.AttackBeamSplit}},
		// --mu has a default, which a single-photon source ignores.
		{[]string{"--mu", "0.7"}, node.BB84Settings{KeyBits: 256, Noise: 0.01, Threshold: 0.11}},
	} {
		got, err := parse(t, tc.args...)
		if err != nil || got != tc.want {
			t.Errorf("%v: %+v, %v; want %+v", tc.args, got, err, tc.want)
		}
	}
}

func TestBadFlagsSayWhich(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--noise", "2"}, "--noise must be between 0 and 1, not 2"},
		{[]string{"--threshold", "NaN"}, "--threshold must be between 0 and 1"},
		{[]string{"--key-bits", "4"}, "--key-bits must be between 8 and 1048576"},
		{[]string{"--fiber-km", "600"}, "--fiber-km must be between 0 and 500"},
		{[]string{"--source", "laser"}, `--source: light source "laser": want single`},
		{[]string{"--source", "wcp", "--decoy", "weak"}, `--decoy: decoys "weak": want none or vacuum+weak`},
		{[]string{"--attack", "pnss"}, `--attack: attack "pnss": want intercept-resend, pns or beam-splitting`},
		{[]string{"--source", "wcp", "--mu", "3"}, "--mu 3: the mean photon number must be above 0 and at most 2"},
		{[]string{"--source", "wcp", "--mu", "0"}, "--mu 0: the mean photon number must be above 0"},
		{[]string{"--decoy", "vacuum+weak"}, "decoy states need a laser source (wcp)"},
		{[]string{"--attack", "pns"}, "the pns attack needs a laser source (wcp)"},
		{[]string{"--source", "wcp", "--attack", "pns", "--eve", "0.5"}, "the eavesdropper fraction applies to intercept-resend only"},
		{[]string{"--source", "wcp", "--decoy", "vacuum+weak", "--mu", "0.05"}, "must be above the weak decoy's 0.1"},
	} {
		_, err := parse(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want %q", tc.args, err, tc.want)
		}
	}
}

// A laser exchange's line says the source, each intensity's gain and the
// single-photon verdict; a single-photon exchange's says nothing more.
func TestSourceLine(t *testing.T) {
	seed := uint64(3)
	c := qkd.Config{Protocol: qkd.Protocol{Qubits: 700_000, KeyBits: 256, Source: qkd.Source{Laser: true, Decoys: true}},
		Channel: qkd.Channel{FiberKm: 25}, Seed: &seed}
	rep, err := qkd.Simulate(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	line := SourceLine(node.Event{Type: node.EventKeyEstablished, Exchange: &node.KeyExchange{OK: true, Report: rep}})
	for _, want := range []string{"source: weak laser pulses, mu 0.48, decoys vacuum+weak", "signal pulses (mu 0.48):", "weak pulses (mu 0.1):",
		"vacuum pulses (mu 0):", "gain ", "the decoy pulses bound the single photons", "Y1 >= "} {
		if !strings.Contains(line, want) {
			t.Errorf("line lacks %q:\n%s", want, line)
		}
	}
	c.Source, c.Qubits, c.FiberKm = qkd.Source{}, 0, 0
	rep, err = qkd.Simulate(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	if got := SourceLine(node.Event{Exchange: &node.KeyExchange{Report: rep}}); got != "" {
		t.Errorf("single photons: %q", got)
	}
	if got := SourceLine(node.Event{}); got != "" {
		t.Errorf("no exchange: %q", got)
	}
}
