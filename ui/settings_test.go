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
