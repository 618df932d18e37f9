package prefs

import (
	"testing"

	"fyne.io/fyne/v2/test"
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
