package prefs

import (
	"errors"
	"fmt"

	"time"

	"fyne.io/fyne/v2"
)

// Keys of the app's Fyne preferences.
const (
	PrefPort          = "port"
	PrefRekeyMinutes  = "rekey_minutes"
	PrefThreshold     = "threshold"
	PrefNotifications = "notifications"
	PrefTheme         = "theme"
)

// DefaultPort is the listening port proposed on first start.
const DefaultPort = 7450

// Settings are the user's choices kept in the Fyne preferences. The name
// and role live in the profile in the data directory, because peers see
// them.
type Settings struct {
	Port          int           // default listening port
	RekeyInterval time.Duration // rekey a session this often; 0 never
	Threshold     float64       // abort a BB84 exchange above this QBER
	Notifications bool          // desktop notification for a message in another conversation
	Theme         string        // ThemeSystem, ThemeLight or ThemeDark
}

// Load reads the settings, with defaults for missing or bad values.
func Load(p fyne.Preferences) Settings {
	s := Settings{
		Port:          p.IntWithFallback(PrefPort, DefaultPort),
		RekeyInterval: time.Duration(p.IntWithFallback(PrefRekeyMinutes, 10)) * time.Minute,
		Threshold:     p.FloatWithFallback(PrefThreshold, 0.11),
		Notifications: p.BoolWithFallback(PrefNotifications, true),
		Theme:         p.StringWithFallback(PrefTheme, ThemeSystem),
	}
	def := Settings{Port: DefaultPort, RekeyInterval: 10 * time.Minute, Threshold: 0.11, Notifications: s.Notifications, Theme: ThemeSystem}
	if s.Validate() != nil {
		// Keep what is valid; reset the rest.
		if s.Port < 1 || s.Port > 65535 {
			s.Port = def.Port
		}
		if s.RekeyInterval < 0 {
			s.RekeyInterval = def.RekeyInterval
		}
		if !(s.Threshold > 0 && s.Threshold < 0.5) {
			s.Threshold = def.Threshold
		}
		if s.Theme != ThemeLight && s.Theme != ThemeDark {
			s.Theme = ThemeSystem
		}
	}
	return s
}

// Validate reports a value outside its range.
func (s Settings) Validate() error {
	switch {
	case s.Port < 1 || s.Port > 65535:
		return fmt.Errorf("port must be between 1 and 65535, not %d", s.Port)
	case s.RekeyInterval < 0:
		return errors.New("the rekey interval cannot be negative")
	case !(s.Threshold > 0 && s.Threshold < 0.5):
		return fmt.Errorf("the abort threshold must be between 0%% and 50%%, not %g%%", s.Threshold*100)
	case s.Theme != ThemeSystem && s.Theme != ThemeLight && s.Theme != ThemeDark:
		return fmt.Errorf("unknown theme %q", s.Theme)
	}
	return nil
}

// Save writes the settings to the preferences.
func (s Settings) Save(p fyne.Preferences) {
	p.SetInt(PrefPort, s.Port)
	p.SetInt(PrefRekeyMinutes, int(s.RekeyInterval/time.Minute))
	p.SetFloat(PrefThreshold, s.Threshold)
	p.SetBool(PrefNotifications, s.Notifications)
	p.SetString(PrefTheme, s.Theme)
}

// NodeRekeyInterval converts the setting to node.Options.RekeyInterval,
// where a negative value disables timed rekeying.
func (s Settings) NodeRekeyInterval() time.Duration {
	if s.RekeyInterval <= 0 {
		return -1
	}
	return s.RekeyInterval
}
