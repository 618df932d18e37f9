package prefs

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"qkdchat/node"
)

func TestLoadSettingsRepairsBadValues(t *testing.T) {
	a := test.NewTempApp(t)
	p := a.Preferences()
	p.SetInt(PrefPort, -4)
	p.SetFloat(PrefThreshold, 3)
	p.SetString(PrefTheme, "neon")
	st := Load(p)
	if st.Port != DefaultPort || st.Threshold != 0.11 || st.Theme != ThemeSystem {
		t.Errorf("%+v", st)
	}
}

// The light source, decoys and fibre length are kept and given to the
// node's settings; a bad or ill-fitting choice is refused in words and,
// when read back, reset to single photons.
func TestLinkSettings(t *testing.T) {
	a := test.NewTempApp(t)
	p := a.Preferences()
	st := Load(p)
	if st.Source != node.SourceSingle || st.Decoys != node.DecoysNone || st.Mu != DefaultMu || st.FiberKm != 0 {
		t.Fatalf("defaults %+v", st)
	}
	st.Source, st.Decoys, st.Mu, st.FiberKm = node.SourceWCP, node.DecoysVacuumWeak, 0.5, 25
	if err := st.Validate(); err != nil {
		t.Fatal(err)
	}
	st.Save(p)
	back := Load(p)
	if back != st {
		t.Fatalf("kept %+v, saved %+v", back, st)
	}
	b := back.Link(node.BB84Settings{Noise: 0.01, Threshold: 0.11})
	if !b.Laser || !b.Decoys || b.Mu != 0.5 || b.FiberKm != 25 || b.Noise != 0.01 || b.Threshold != 0.11 {
		t.Fatalf("node settings %+v", b)
	}
	if b := (Settings{Source: node.SourceSingle, Mu: DefaultMu, Decoys: node.DecoysNone}).Link(node.BB84Settings{}); b.Laser || b.Mu != 0 || b.Decoys {
		t.Fatalf("single photons: %+v", b)
	}

	for _, tc := range []struct {
		change func(*Settings)
		want   string
	}{
		{func(s *Settings) { s.Source = "laser" }, `light source "laser"`},
		{func(s *Settings) { s.Decoys = "weak" }, `decoys "weak"`},
		{func(s *Settings) { s.Mu = 3 }, "mean photon number must be above 0 and at most 2, not 3"},
		{func(s *Settings) { s.FiberKm = -1 }, "fibre length must be between 0 and 500 km"},
		{func(s *Settings) { s.Source = node.SourceSingle }, "decoy states need a laser source"},
		{func(s *Settings) { s.Mu = 0.05 }, "above the weak decoy's"},
	} {
		bad := st
		tc.change(&bad)
		err := bad.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", bad, err, tc.want)
		}
		bad.Save(p)
		if got := Load(p); got.Source != node.SourceSingle || got.Decoys != node.DecoysNone || got.Validate() != nil {
			t.Errorf("read back %+v", got)
		}
	}
}
