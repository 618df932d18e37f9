package exchanges

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"qkdchat/node"
	"qkdchat/nodetest"
	"qkdchat/qkd"
)

// laserReport is the report of a real seeded laser run at 10 km.
func laserReport(t *testing.T, src qkd.Source, ch qkd.Channel) *qkd.Report {
	t.Helper()
	seed := uint64(5)
	src.Laser = true
	ch.FiberKm, ch.DarkCount = 10, 1e-5
	rep, _ := qkd.Simulate(context.Background(), qkd.Config{Channel: ch, Protocol: qkd.Protocol{Qubits: 1_000_000, Source: src}, Seed: &seed})
	if rep == nil || rep.Report == nil {
		t.Fatal("no pulse report")
	}
	return rep
}

// TestSourceTextSaysTheSourceAndBounds: the panel names the source; for a
// laser with decoys it gives each intensity's gain and the single-photon
// bounds in words, with the report's numbers; the UNSAFE mode says so.
func TestSourceTextSaysTheSourceAndBounds(t *testing.T) {
	if got := SourceText(&qkd.Report{}); !strings.Contains(got, "single photons") {
		t.Fatalf("single-photon run: %q", got)
	}
	r := laserReport(t, qkd.Source{Decoys: true}, qkd.Channel{})
	got := SourceText(r)
	for _, want := range []string{"weak laser", "decoys vacuum+weak", "Signal pulses", "Weak pulses", "Vacuum pulses",
		"Single photons: at least"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in %q", want, got)
		}
	}
	sig := r.Intensities[0]
	if !strings.Contains(got, fmt.Sprintf("%d of %d detected (gain %.3g)", sig.Detected, sig.Pulses, sig.Gain)) || sig.Gain <= 0 {
		t.Errorf("signal gain %v not shown: %q", sig.Gain, got)
	}
	if r.Y1Lower <= 0 || !strings.Contains(got, fmt.Sprintf("yield Y1 at least %.3g", r.Y1Lower)) {
		t.Errorf("Y1 %v: %q", r.Y1Lower, got)
	}
	unsafe := SourceText(laserReport(t, qkd.Source{AssumeSingle: true}, qkd.Channel{}))
	if !strings.Contains(unsafe, "UNSAFE") || strings.Contains(unsafe, "Single photons: at least") {
		t.Errorf("assume-single run: %q", unsafe)
	}
}

// TestPanelShowsTheSource: an exchange of the app (single photons) has no
// source line; a laser exchange with decoys shows its source, gains and
// bounds under the summary.
func TestPanelShowsTheSource(t *testing.T) {
	test.NewTempApp(t)
	laser := laserReport(t, qkd.Source{Decoys: true}, qkd.Channel{})
	xs := []*node.KeyExchange{{Epoch: 1, OK: true, Report: &qkd.Report{QubitsSent: 8000, KeyBits: 256}, KeyBits: 256},
		{Epoch: 2, OK: !laser.Aborted, Report: laser, KeyBits: laser.KeyBits}}
	p := New(noSessions{}, nodetest.Inline{Ctx: context.Background()}, func(string) string { return "Bob" }, func(string) {})
	test.NewTempWindow(t, p.Content())
	p.SetThreshold(0.11)
	p.Show("b0b0", xs, true)
	if got := p.Shown().Source; got != SourceText(laser) || !strings.Contains(got, "Single photons: at least") {
		t.Errorf("laser exchange: source %q", got)
	}
	p.SelectExchange(0)
	if got := p.Shown().Source; got != "" {
		t.Errorf("single-photon exchange: source %q", got)
	}
}
