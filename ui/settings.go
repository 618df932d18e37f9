package ui

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"qkdchat/app"
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

// LoadSettings reads the settings, with defaults for missing or bad values.
func LoadSettings(p fyne.Preferences) Settings {
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

// nodeRekeyInterval converts the setting to app.Options.RekeyInterval,
// where a negative value disables timed rekeying.
func (s Settings) nodeRekeyInterval() time.Duration {
	if s.RekeyInterval <= 0 {
		return -1
	}
	return s.RekeyInterval
}

var roleChoices = []string{"Patient", "Hospital", "Doctor"}

func roleLabel(r app.Role) string {
	switch r {
	case app.RolePatient:
		return "Patient"
	case app.RoleHospital:
		return "Hospital"
	case app.RoleDoctor:
		return "Doctor"
	}
	return string(r)
}

// tuner is what the Settings pane asks of the node.
type tuner interface {
	Profile() app.Profile
	BB84() app.BB84Settings
	SetBB84(app.BB84Settings) error
}

// settingsPane edits the profile and the preferences.
type settingsPane struct {
	app          fyne.App
	node         tuner
	dir          string        // where the profile is saved; "" for nowhere
	startRekey   time.Duration // the rekey interval the node runs with
	saved        func(Settings)
	newThreshold func(float64) // a new abort threshold is in force

	name      *widget.Entry
	role      *widget.Select
	port      *widget.Entry
	rekey     *widget.Entry
	threshold *widget.Entry
	notify    *widget.Check
	theme     *widget.RadioGroup
	save      *widget.Button
	status    *widget.Label
	content   fyne.CanvasObject
}

// newSettingsPane makes the pane. saved is called with the settings once
// they are stored in a's preferences, newThreshold once the node runs with
// the new abort threshold.
func newSettingsPane(a fyne.App, n tuner, dir string, startRekey time.Duration, saved func(Settings), newThreshold func(float64)) *settingsPane {
	p := &settingsPane{app: a, node: n, dir: dir, startRekey: startRekey, saved: saved, newThreshold: newThreshold}
	p.name = widget.NewEntry()
	p.role = widget.NewSelect(roleChoices, nil)
	p.port = widget.NewEntry()
	p.rekey = widget.NewEntry()
	p.rekey.SetPlaceHolder("minutes; 0 = never")
	p.threshold = widget.NewEntry()
	p.threshold.SetPlaceHolder("QBER in %, e.g. 11")
	p.notify = widget.NewCheck("Notify me of new messages", nil)
	p.theme = widget.NewRadioGroup([]string{"System", "Light", "Dark"}, nil)
	p.theme.Horizontal = true
	p.status = widget.NewLabel("")
	p.status.Wrapping = fyne.TextWrapWord
	p.save = widget.NewButton("Save settings", p.apply)
	p.save.Importance = widget.HighImportance
	p.load()
	form := widget.NewForm(
		widget.NewFormItem("Name", p.name),
		widget.NewFormItem("Role", p.role),
		widget.NewFormItem("Default port", p.port),
		widget.NewFormItem("Rekey every (min)", p.rekey),
		widget.NewFormItem("Abort threshold (%)", p.threshold),
		widget.NewFormItem("Notifications", p.notify),
		widget.NewFormItem("Theme", p.theme),
	)
	title := widget.NewLabelWithStyle("Settings", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.SizeName = "headingText"
	p.content = container.NewVScroll(container.NewPadded(container.NewVBox(title, form, container.NewHBox(p.save), p.status)))
	return p
}

// load fills the form from the profile and preferences.
func (p *settingsPane) load() {
	prof := p.node.Profile()
	st := LoadSettings(p.app.Preferences())
	p.name.SetText(prof.Name)
	p.role.SetSelected(roleLabel(prof.Role))
	p.port.SetText(strconv.Itoa(st.Port))
	p.rekey.SetText(strconv.Itoa(int(st.RekeyInterval / time.Minute)))
	p.threshold.SetText(strconv.FormatFloat(st.Threshold*100, 'f', -1, 64))
	p.notify.SetChecked(st.Notifications)
	switch st.Theme {
	case ThemeLight:
		p.theme.SetSelected("Light")
	case ThemeDark:
		p.theme.SetSelected("Dark")
	default:
		p.theme.SetSelected("System")
	}
}

// apply validates the form, saves it and applies what can change at once
// (theme, threshold, notifications).
func (p *settingsPane) apply() {
	st, prof, err := p.read()
	if err != nil {
		p.status.SetText("Not saved: " + err.Error())
		return
	}
	st.Save(p.app.Preferences())
	ApplyTheme(p.app, st.Theme)
	p.saved(st)
	b := p.node.BB84()
	b.Threshold = st.Threshold
	if err := p.node.SetBB84(b); err != nil {
		p.status.SetText("Not saved: " + app.UserError(err))
		return
	}
	msg := "Saved."
	if old := p.node.Profile(); old != prof && p.dir != "" {
		if err := app.SaveProfile(p.dir, prof); err != nil {
			p.status.SetText("Settings saved, but not the profile: " + app.UserError(err))
			return
		}
		msg += " New peers will see your new name and role from the next start."
	}
	if st.RekeyInterval != p.startRekey {
		msg += " The rekey interval applies from the next start."
	}
	p.status.SetText(msg)
	p.newThreshold(st.Threshold)
}

func (p *settingsPane) read() (Settings, app.Profile, error) {
	var st Settings
	var err error
	prof := app.Profile{Name: strings.TrimSpace(p.name.Text)}
	if prof.Role, err = app.ParseRole(p.role.Selected); err != nil {
		return st, prof, errors.New("choose a role")
	}
	if err := prof.Validate(); err != nil {
		return st, prof, err
	}
	if st.Port, err = strconv.Atoi(strings.TrimSpace(p.port.Text)); err != nil {
		return st, prof, fmt.Errorf("the port must be a number, not %q", p.port.Text)
	}
	min, err := strconv.Atoi(strings.TrimSpace(p.rekey.Text))
	if err != nil {
		return st, prof, fmt.Errorf("the rekey interval must be a whole number of minutes, not %q", p.rekey.Text)
	}
	st.RekeyInterval = time.Duration(min) * time.Minute
	pct, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(p.threshold.Text), "%"), 64)
	if err != nil {
		return st, prof, fmt.Errorf("the threshold must be a percentage, not %q", p.threshold.Text)
	}
	st.Threshold = pct / 100
	st.Notifications = p.notify.Checked
	st.Theme = strings.ToLower(p.theme.Selected)
	if st.Theme == "" {
		st.Theme = ThemeSystem
	}
	return st, prof, st.Validate()
}
