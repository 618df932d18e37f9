package cases

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"qkdchat/node"
)

// dateField is a date entry with a calendar button that also takes dates
// typed as YYYY-MM-DD, and tells the pane of every edit so that an error
// about it clears as soon as it is fixed.
type dateField struct {
	widget.DateEntry
	layout string // the calendar's own format, in the system locale
	onEdit func()
}

// isoExample is the example of a typed date the pane shows.
const isoExample = "1980-04-01"

func newDateField() *dateField {
	d := &dateField{layout: localeDateLayout()}
	d.ExtendBaseWidget(d)
	d.Wrapping = fyne.TextWrap(fyne.TextTruncateClip)
	d.SetPlaceHolder("YYYY-MM-DD, or pick it from the calendar")
	return d
}

// localeDateLayout is the time layout the calendar writes dates in: the
// reference date written by a DateEntry is its own layout.
func localeDateLayout() string {
	probe := widget.NewDateEntry()
	ref := time.Date(2006, 1, 2, 15, 4, 5, 0, time.UTC)
	probe.SetDate(&ref)
	return probe.Text
}

// CreateRenderer keeps the DateEntry's renderer and calendar, accepts
// dates typed as YYYY-MM-DD too and reports every edit.
func (d *dateField) CreateRenderer() fyne.WidgetRenderer {
	r := d.DateEntry.CreateRenderer()
	d.Validator = func(s string) error {
		if strings.TrimSpace(s) == "" {
			return nil
		}
		_, err := parseDate(s, d.layout)
		return err
	}
	inner := d.Entry.OnChanged
	d.Entry.OnChanged = func(s string) {
		if inner != nil {
			inner(s)
		}
		if d.onEdit != nil {
			d.onEdit()
		}
	}
	return r
}

// errNotADate is a date field's text that is no date.
var errNotADate = errors.New("not a date")

// parseDate reads a typed date: YYYY-MM-DD, or the calendar's layout.
func parseDate(s, layout string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if layout != "" {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errNotADate
}

// Fields of the health record form that a problem can concern.
const (
	fieldName     = "Patient name"
	fieldBirth    = "Date of birth"
	fieldFindings = "Findings"
)

// recordProblem checks a health record form: it returns the field at
// fault and what to do, in plain words, or "", "" when the record can be
// sent. The date of birth is optional; when given it is parsed as
// YYYY-MM-DD or in the calendar's layout and must not be in the future
// (after today).
func recordProblem(name, birth, layout string, now time.Time) (field, msg string) {
	if strings.TrimSpace(name) == "" {
		return fieldName, "Enter the patient's name."
	}
	if strings.TrimSpace(birth) == "" {
		return "", ""
	}
	t, err := parseDate(birth, layout)
	if err != nil {
		return fieldBirth, fmt.Sprintf("The date of birth %q is not a date: pick it from the calendar or type it like %s.",
			truncate(strings.TrimSpace(birth), 20), isoExample)
	}
	y, m, d := now.Date()
	if t.After(time.Date(y, m, d, 0, 0, 0, 0, time.UTC)) {
		return fieldBirth, "The date of birth cannot be in the future."
	}
	return "", ""
}

// reportProblem checks a report form like recordProblem.
func reportProblem(findings string) (field, msg string) {
	if strings.TrimSpace(findings) == "" {
		return fieldFindings, "Write the findings: a report cannot go without them."
	}
	return "", ""
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

var phrWord = regexp.MustCompile(`\bPHRs?\b`)

// PlainWords rewords the engine's abbreviations for the user: a PHR is a
// health record.
func PlainWords(s string) string {
	return phrWord.ReplaceAllStringFunc(s, func(w string) string {
		if w == "PHRs" {
			return "health records"
		}
		return "health record"
	})
}

// userError is node.UserError in the pane's words.
func userError(err error) string { return PlainWords(node.UserError(err)) }

// doneStep says what the user's role has already done with a case, in
// words ("Referred to Dr Who on 30 Nov."), or "" when its step is still
// to do: a hospital refers a submitted case, a doctor reports on a
// referred one. A patient's step, sending the record, is always done for
// a case that exists.
func doneStep(role node.Role, c node.Case, now time.Time) string {
	when := onDay(c.Updated, now)
	if when != "" {
		when = " " + when
	}
	switch role {
	case node.RoleHospital:
		if c.Status == node.CaseSubmitted || c.DoctorName == "" {
			return ""
		}
		if c.Report != nil || c.Status == node.CaseReported {
			return "Referred to " + c.DoctorName + "; the report came in" + when + "."
		}
		return "Referred to " + c.DoctorName + when + "."
	case node.RoleDoctor:
		if c.Report == nil && c.Status != node.CaseReported {
			return ""
		}
		return "Report sent" + when + " to " + c.HospitalName + " and " + c.PatientName + "."
	}
	return ""
}

// onDay is "on 30 Nov", with the year when it is not now's; "" for a
// zero time.
func onDay(t, now time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(now.Location())
	if t.Year() != now.Year() {
		return "on " + t.Format("2 Jan 2006")
	}
	return "on " + t.Format("2 Jan")
}
