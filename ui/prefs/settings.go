package prefs

import (
	"errors"
	"fmt"
	"time"

	"fyne.io/fyne/v2"

	"qkdchat/node"
	"qkdchat/qkd"
)

// Keys of the app's Fyne preferences.
const (
	PrefPort          = "port"
	PrefRekeyMinutes  = "rekey_minutes"
	PrefThreshold     = "threshold"
	PrefNotifications = "notifications"
	PrefTheme         = "theme"
	// The link's light source (issue 16): node.SourceSingle or
	// node.SourceWCP, a laser's mean photon number, node.DecoysNone or
	// node.DecoysVacuumWeak, and the fibre length the link is planned for.
	PrefSource  = "bb84_source"
	PrefMu      = "bb84_mu"
	PrefDecoys  = "bb84_decoys"
	PrefFiberKm = "bb84_fiber_km"
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
	// The key exchanges this node starts: the light source, a laser's
	// mean photon number and decoys, and the fibre length.
	Source  string  // node.SourceSingle or node.SourceWCP
	Mu      float64 // mean photons per laser pulse
	Decoys  string  // node.DecoysNone or node.DecoysVacuumWeak
	FiberKm float64 // fibre length in km
}

// DefaultMu is the mean photon number proposed for a laser source: qkd's,
// as the CLI's --mu.
const DefaultMu = qkd.DefaultMu

// MaxFiberKm is the longest fibre the settings accept: a live link's.
const MaxFiberKm = node.MaxLiveFiberKm

// Load reads the settings, with defaults for missing or bad values.
func Load(p fyne.Preferences) Settings {
	s := Settings{
		Port:          p.IntWithFallback(PrefPort, DefaultPort),
		RekeyInterval: time.Duration(p.IntWithFallback(PrefRekeyMinutes, 10)) * time.Minute,
		Threshold:     p.FloatWithFallback(PrefThreshold, 0.11),
		Notifications: p.BoolWithFallback(PrefNotifications, true),
		Theme:         p.StringWithFallback(PrefTheme, ThemeSystem),
		Source:        p.StringWithFallback(PrefSource, node.SourceSingle),
		Mu:            p.FloatWithFallback(PrefMu, DefaultMu),
		Decoys:        p.StringWithFallback(PrefDecoys, node.DecoysNone),
		FiberKm:       p.FloatWithFallback(PrefFiberKm, 0),
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
		if s.linkError() != nil {
			s.Source, s.Mu, s.Decoys, s.FiberKm = node.SourceSingle, DefaultMu, node.DecoysNone, 0
		}
	}
	return s
}

// linkError reports a light source, decoy or fibre setting out of range
// or not fitting the others.
func (s Settings) linkError() error {
	if !(s.FiberKm >= 0 && s.FiberKm <= MaxFiberKm) {
		return fmt.Errorf("the fibre length must be between 0 and %d km, not %g", MaxFiberKm, s.FiberKm)
	}
	if _, err := node.ParseSource(s.Source); err != nil {
		return err
	}
	if _, err := node.ParseDecoys(s.Decoys); err != nil {
		return err
	}
	if !(s.Mu > 0 && s.Mu <= 2) {
		return fmt.Errorf("the mean photon number must be above 0 and at most 2, not %g", s.Mu)
	}
	return s.Link(node.BB84Settings{}).Validate()
}

// Link returns b with the light source, decoys and fibre length of s.
func (s Settings) Link(b node.BB84Settings) node.BB84Settings {
	b.Laser, _ = node.ParseSource(s.Source)
	b.Decoys, _ = node.ParseDecoys(s.Decoys)
	b.Mu, b.FiberKm = 0, s.FiberKm
	if b.Laser {
		b.Mu = s.Mu
	}
	return b
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
	return s.linkError()
}

// Save writes the settings to the preferences.
func (s Settings) Save(p fyne.Preferences) {
	p.SetInt(PrefPort, s.Port)
	p.SetInt(PrefRekeyMinutes, int(s.RekeyInterval/time.Minute))
	p.SetFloat(PrefThreshold, s.Threshold)
	p.SetBool(PrefNotifications, s.Notifications)
	p.SetString(PrefTheme, s.Theme)
	p.SetString(PrefSource, s.Source)
	p.SetFloat(PrefMu, s.Mu)
	p.SetString(PrefDecoys, s.Decoys)
	p.SetFloat(PrefFiberKm, s.FiberKm)
}

// NodeRekeyInterval converts the setting to node.Options.RekeyInterval,
// where a negative value disables timed rekeying.
func (s Settings) NodeRekeyInterval() time.Duration {
	if s.RekeyInterval <= 0 {
		return -1
	}
	return s.RekeyInterval
}
