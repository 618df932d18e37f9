package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"qkdchat/node"
	"qkdchat/nodetest"
	"qkdchat/ui/exchanges"
	"qkdchat/ui/prefs"
)

// fixedTuner is a node's profile and BB84 settings, without a node.
type fixedTuner struct {
	prof node.Profile
	bb84 node.BB84Settings
}

func (f *fixedTuner) Profile() node.Profile             { return f.prof }
func (f *fixedTuner) BB84() node.BB84Settings           { return f.bb84 }
func (f *fixedTuner) SetBB84(b node.BB84Settings) error { f.bb84 = b; return nil }

// formLabels returns the labels of the form items below o.
func formLabels(o fyne.CanvasObject) []string {
	var out []string
	nodetest.Walk(o, func(o fyne.CanvasObject) {
		if f, ok := o.(*widget.Form); ok {
			for _, it := range f.Items {
				out = append(out, it.Text)
			}
		}
	})
	return out
}

// TestSettingsThemeAppliesAtOnce: choosing a theme or notifications takes
// effect and is kept without Save settings.
func TestSettingsThemeAppliesAtOnce(t *testing.T) {
	a := test.NewTempApp(t)
	var got prefs.Settings
	p := newSettingsPane(a, &fixedTuner{prof: node.Profile{Name: "Ann", Role: node.RoleDoctor}}, "", 10*time.Minute,
		func(st prefs.Settings) { got = st }, func(float64) {})
	test.NewTempWindow(t, p.content)
	p.theme.SetSelected("Dark")
	if a.Settings().Theme().Color("background", 0) != prefs.ThemeFor(prefs.ThemeDark).Color("background", 0) {
		t.Error("the dark theme waits for Save settings")
	}
	p.notify.SetChecked(false)
	st := prefs.Load(a.Preferences())
	if st.Theme != prefs.ThemeDark || st.Notifications || got.Theme != prefs.ThemeDark || got.Notifications {
		t.Errorf("kept %+v, shell told %+v", st, got)
	}
	p.theme.SetSelected("Light")
	if a.Settings().Theme().Color("background", 0) != prefs.ThemeFor(prefs.ThemeLight).Color("background", 0) {
		t.Error("back to light waits for Save settings")
	}
}

// TestPatientSettingsHaveNoThreshold: the key exchange settings sit in a
// closed Advanced section; a patient's has no abort threshold entry, and
// saving a patient's settings keeps the threshold as it was.
func TestPatientSettingsHaveNoThreshold(t *testing.T) {
	a := test.NewTempApp(t)
	a.Preferences().SetFloat(prefs.PrefThreshold, 0.1)
	tu := &fixedTuner{prof: node.Profile{Name: "Pat", Role: node.RolePatient}, bb84: node.BB84Settings{Threshold: 0.1}}
	p := newSettingsPane(a, tu, "", 10*time.Minute, func(prefs.Settings) {}, func(float64) {})
	test.NewTempWindow(t, p.content)
	if p.threshold != nil {
		t.Fatal("a patient has an abort threshold entry")
	}
	for _, l := range append(formLabels(p.content), formLabels(p.advanced.Items[0].Detail)...) {
		if strings.Contains(l, "threshold") {
			t.Errorf("a patient's settings show %q", l)
		}
	}
	if len(p.advanced.Items) != 1 || p.advanced.Items[0].Open {
		t.Errorf("the Advanced section is open at first")
	}
	p.port.SetText("8000")
	test.Tap(p.save)
	if !strings.HasPrefix(p.status.Text, "Saved.") || tu.bb84.Threshold != 0.1 || prefs.Load(a.Preferences()).Threshold != 0.1 {
		t.Errorf("save: %q, node threshold %v", p.status.Text, tu.bb84.Threshold)
	}

	d := newSettingsPane(a, &fixedTuner{prof: node.Profile{Name: "Ann", Role: node.RoleDoctor}}, "", 10*time.Minute,
		func(prefs.Settings) {}, func(float64) {})
	found := false
	for _, l := range formLabels(d.advanced.Items[0].Detail) {
		found = found || l == "Abort threshold (%)"
	}
	if d.threshold == nil || !found || d.advanced.Items[0].Open {
		t.Errorf("a doctor's Advanced section: threshold %v, labels %q", d.threshold != nil, formLabels(d.advanced.Items[0].Detail))
	}
}

// TestLaserSettingsReachTheLiveBB84Panel: choosing laser pulses with
// decoys and a fibre length in Settings keeps them and gives them to the
// node; the next live exchange runs on the laser, and the BB84 panel says
// the source, each intensity's gain and the single-photon bounds.
func TestLaserSettingsReachTheLiveBB84Panel(t *testing.T) {
	a := test.NewTempApp(t)
	alice, _ := nodetest.New(t, "Alice", node.RolePatient, node.BB84Settings{Noise: 0.01, Threshold: 0.11})
	hosp, _ := nodetest.New(t, "St Mary", node.RoleHospital, node.BB84Settings{})
	p := newSettingsPane(a, alice, "", 10*time.Minute, func(prefs.Settings) {}, func(float64) {})
	test.NewTempWindow(t, p.content)
	if p.source.Selected != sourceChoices[0] || !p.decoys.Disabled() || !p.mu.Disabled() {
		t.Fatalf("at first: source %q, decoys disabled %v, mu disabled %v", p.source.Selected, p.decoys.Disabled(), p.mu.Disabled())
	}
	p.source.SetSelected(sourceChoices[1])
	if p.decoys.Disabled() || p.mu.Disabled() {
		t.Fatal("a laser's decoys and photons per pulse cannot be chosen")
	}
	p.mu.SetText("lots")
	test.Tap(p.save)
	if !strings.Contains(p.status.Text, "Not saved: the photons per pulse must be a number") || alice.BB84().Laser {
		t.Fatalf("a bad mu: %q, node %+v", p.status.Text, alice.BB84())
	}
	p.mu.SetText("0.5")
	p.decoys.SetChecked(true)
	p.fiberKm.SetText("25")
	test.Tap(p.save)
	st := prefs.Load(a.Preferences())
	if !strings.HasPrefix(p.status.Text, "Saved.") || st.Source != node.SourceWCP || st.Decoys != node.DecoysVacuumWeak || st.Mu != 0.5 || st.FiberKm != 25 {
		t.Fatalf("save: %q, kept %+v", p.status.Text, st)
	}
	if b := alice.BB84(); !b.Laser || !b.Decoys || b.Mu != 0.5 || b.FiberKm != 25 || b.Noise != 0.01 {
		t.Fatalf("node settings %+v", b)
	}

	nodetest.Pair(t, alice, hosp)
	s, ok := alice.Session(hosp.Fingerprint())
	if !ok {
		t.Fatal("no session with the hospital")
	}
	panel := exchanges.New(alice, nodetest.Inline{}, func(string) string { return "St Mary" }, func(string) {})
	test.NewTempWindow(t, panel.Content())
	panel.Show(hosp.Fingerprint(), s.Exchanges(), true)
	src := panel.Shown().Source
	for _, want := range []string{"Source: weak laser pulses, 0.5 photons per signal pulse on average; decoys vacuum+weak.",
		"Signal pulses (0.5 photons):", "Weak pulses (0.1 photons):", "Vacuum pulses (0 photons):", "(gain ",
		"Single photons: at least", "(yield Y1 at least", "(e1)."} {
		if !strings.Contains(src, want) {
			t.Errorf("the panel's source line lacks %q:\n%s", want, src)
		}
	}
}
