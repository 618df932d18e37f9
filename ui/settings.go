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

	"qkdchat/node"
	"qkdchat/ui/prefs"
)

var roleChoices = []string{"Patient", "Hospital", "Doctor"}

func roleLabel(r node.Role) string {
	switch r {
	case node.RolePatient:
		return "Patient"
	case node.RoleHospital:
		return "Hospital"
	case node.RoleDoctor:
		return "Doctor"
	}
	return string(r)
}

// tuner is what the Settings pane asks of the node.
type tuner interface {
	Profile() node.Profile
	BB84() node.BB84Settings
	SetBB84(node.BB84Settings) error
}

// settingsPane edits the profile and the preferences.
type settingsPane struct {
	app          fyne.App
	node         tuner
	dir          string        // where the profile is saved; "" for nowhere
	startRekey   time.Duration // the rekey interval the node runs with
	saved        func(prefs.Settings)
	newThreshold func(float64) // a new abort threshold is in force

	name      *widget.Entry
	role      *widget.Select
	port      *widget.Entry
	rekey     *widget.Entry
	threshold *widget.Entry  // nil for a patient, who cannot change it
	source    *widget.Select // the light source of the exchanges this node starts
	decoys    *widget.Check
	mu        *widget.Entry
	fiberKm   *widget.Entry
	notify    *widget.Check
	theme     *widget.RadioGroup
	advanced  *widget.Accordion // the key exchange settings, closed at first
	save      *widget.Button
	status    *widget.Label
	content   fyne.CanvasObject
}

// newSettingsPane makes the pane. saved is called with the settings once
// they are stored in a's preferences, newThreshold once the node runs with
// the new abort threshold.
func newSettingsPane(a fyne.App, n tuner, dir string, startRekey time.Duration, saved func(prefs.Settings), newThreshold func(float64)) *settingsPane {
	p := &settingsPane{app: a, node: n, dir: dir, startRekey: startRekey, saved: saved, newThreshold: newThreshold}
	p.name = widget.NewEntry()
	p.role = widget.NewSelect(roleChoices, nil)
	p.port = widget.NewEntry()
	p.rekey = widget.NewEntry()
	p.rekey.SetPlaceHolder("minutes; 0 = never")
	patient := n.Profile().Role == node.RolePatient
	if !patient {
		p.threshold = widget.NewEntry()
		p.threshold.SetPlaceHolder("QBER in %, e.g. 11")
	}
	p.source = widget.NewSelect(sourceChoices, func(string) { p.enableLaser() })
	p.decoys = widget.NewCheck("Vacuum and weak decoy pulses", nil)
	p.mu = widget.NewEntry()
	p.mu.SetPlaceHolder("mean photons per pulse, e.g. 0.48")
	p.fiberKm = widget.NewEntry()
	p.fiberKm.SetPlaceHolder("km, e.g. 25")
	p.notify = widget.NewCheck("Notify me of new messages", nil)
	p.theme = widget.NewRadioGroup([]string{"System", "Light", "Dark"}, nil)
	p.theme.Horizontal = true
	p.status = widget.NewLabel("")
	p.status.Wrapping = fyne.TextWrapWord
	p.save = widget.NewButton("Save settings", p.apply)
	p.save.Importance = widget.HighImportance
	p.load()
	// The theme and notifications apply as soon as they are chosen; the
	// typed values wait for Save, which checks them.
	p.theme.OnChanged = func(string) { p.applyChoice() }
	p.notify.OnChanged = func(bool) { p.applyChoice() }
	form := widget.NewForm(
		widget.NewFormItem("Name", p.name),
		widget.NewFormItem("Role", p.role),
		widget.NewFormItem("Default port", p.port),
		widget.NewFormItem("Notifications", p.notify),
		widget.NewFormItem("Theme", p.theme),
	)
	adv := widget.NewForm(widget.NewFormItem("Rekey every (min)", p.rekey), widget.NewFormItem("Light source", p.source),
		widget.NewFormItem("Decoys", p.decoys), widget.NewFormItem("Photons per pulse (mu)", p.mu), widget.NewFormItem("Fibre length (km)", p.fiberKm))
	about := "How often a new BB84 key replaces the one in use, and the light source of the exchanges you start: ideal single photons, or weak laser pulses as real links use. " +
		"A laser pulse sometimes holds two photons, of which an eavesdropper may keep one; decoy pulses of other intensities bound how many she could have, " +
		"and without them no key is possible beyond about 27 km."
	if p.threshold != nil {
		adv.Append("Abort threshold (%)", p.threshold)
		about += " The abort threshold is the error rate above which an exchange makes no key because someone may be listening (11% is the textbook value)."
	} else {
		about += " The abort threshold, above which an exchange makes no key because someone may be listening, is " +
			strconv.FormatFloat(prefs.Load(a.Preferences()).Threshold*100, 'f', -1, 64) + "%; patients cannot change it."
	}
	aboutLbl := widget.NewLabel(about)
	aboutLbl.Wrapping = fyne.TextWrapWord
	p.advanced = widget.NewAccordion(widget.NewAccordionItem("Advanced: key exchange", container.NewVBox(aboutLbl, adv)))
	title := widget.NewLabelWithStyle("Settings", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.SizeName = "headingText"
	p.content = container.NewVScroll(container.NewPadded(container.NewVBox(title, form, p.advanced, container.NewHBox(p.save), p.status)))
	return p
}

// applyChoice stores and applies the theme and notification choices at
// once, keeping the other saved settings.
func (p *settingsPane) applyChoice() {
	st := prefs.Load(p.app.Preferences())
	st.Notifications = p.notify.Checked
	st.Theme = themeChoice(p.theme.Selected)
	st.Save(p.app.Preferences())
	prefs.ApplyTheme(p.app, st.Theme)
	p.saved(st)
}

// themeChoice turns the radio's label into a prefs theme.
func themeChoice(label string) string {
	if t := strings.ToLower(label); t == prefs.ThemeLight || t == prefs.ThemeDark {
		return t
	}
	return prefs.ThemeSystem
}

// load fills the form from the profile and preferences.
func (p *settingsPane) load() {
	prof := p.node.Profile()
	st := prefs.Load(p.app.Preferences())
	p.name.SetText(prof.Name)
	p.role.SetSelected(roleLabel(prof.Role))
	p.port.SetText(strconv.Itoa(st.Port))
	p.rekey.SetText(strconv.Itoa(int(st.RekeyInterval / time.Minute)))
	if p.threshold != nil {
		p.threshold.SetText(strconv.FormatFloat(st.Threshold*100, 'f', -1, 64))
	}
	p.source.SetSelectedIndex(0)
	if st.Source == node.SourceWCP {
		p.source.SetSelectedIndex(1)
	}
	p.decoys.SetChecked(st.Decoys == node.DecoysVacuumWeak)
	p.mu.SetText(strconv.FormatFloat(st.Mu, 'f', -1, 64))
	p.fiberKm.SetText(strconv.FormatFloat(st.FiberKm, 'f', -1, 64))
	p.enableLaser()
	p.notify.SetChecked(st.Notifications)
	switch st.Theme {
	case prefs.ThemeLight:
		p.theme.SetSelected("Light")
	case prefs.ThemeDark:
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
	prefs.ApplyTheme(p.app, st.Theme)
	p.saved(st)
	b := p.node.BB84()
	b.Threshold = st.Threshold
	b = st.Link(b)
	if err := p.node.SetBB84(b); err != nil {
		p.status.SetText("Not saved: " + node.UserError(err))
		return
	}
	msg := "Saved."
	if old := p.node.Profile(); old != prof && p.dir != "" {
		if err := node.SaveProfile(p.dir, prof); err != nil {
			p.status.SetText("Settings saved, but not the profile: " + node.UserError(err))
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

func (p *settingsPane) read() (prefs.Settings, node.Profile, error) {
	var st prefs.Settings
	var err error
	prof := node.Profile{Name: strings.TrimSpace(p.name.Text)}
	if prof.Role, err = node.ParseRole(p.role.Selected); err != nil {
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
	st.Threshold = prefs.Load(p.app.Preferences()).Threshold
	if p.threshold != nil {
		pct, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(p.threshold.Text), "%"), 64)
		if err != nil {
			return st, prof, fmt.Errorf("the threshold must be a percentage, not %q", p.threshold.Text)
		}
		st.Threshold = pct / 100
	}
	if err := p.readLink(&st); err != nil {
		return st, prof, err
	}
	st.Notifications = p.notify.Checked
	st.Theme = themeChoice(p.theme.Selected)
	return st, prof, st.Validate()
}

// sourceChoices are the light sources of the form, single photons first.
var sourceChoices = []string{"Single photons (ideal)", "Laser pulses (weak coherent)"}

// enableLaser lets the decoys and the photons per pulse be chosen only
// for a laser.
func (p *settingsPane) enableLaser() {
	for _, w := range []fyne.Disableable{p.decoys, p.mu} {
		if p.source.SelectedIndex() == 1 {
			w.Enable()
		} else {
			w.Disable()
		}
	}
}

// readLink reads the light source, decoys and fibre length into st.
func (p *settingsPane) readLink(st *prefs.Settings) error {
	st.Source, st.Decoys = node.SourceSingle, node.DecoysNone
	laser := p.source.SelectedIndex() == 1
	if laser {
		st.Source = node.SourceWCP
		if p.decoys.Checked {
			st.Decoys = node.DecoysVacuumWeak
		}
	}
	var err error
	if st.Mu, err = strconv.ParseFloat(strings.TrimSpace(p.mu.Text), 64); err != nil {
		if laser {
			return fmt.Errorf("the photons per pulse must be a number such as 0.48, not %q", p.mu.Text)
		}
		st.Mu = prefs.DefaultMu
	}
	if st.FiberKm, err = strconv.ParseFloat(strings.TrimSpace(p.fiberKm.Text), 64); err != nil {
		return fmt.Errorf("the fibre length must be a number of km, not %q", p.fiberKm.Text)
	}
	return nil
}
