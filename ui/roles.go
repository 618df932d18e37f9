package ui

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"qkdchat/app"
	"qkdchat/ui/widgets"
)

// rolePane is the pane of the user's role, over the engine's telehealth
// workflow: a patient sends a health record to a hospital, a hospital
// refers a case to one of its doctors, a doctor writes a report that goes
// to both the hospital and the patient. Every role sees its cases.
type rolePane struct {
	s       *Shell
	role    app.Role
	title   string
	content fyne.CanvasObject
	status  *widget.Label

	cases      []app.Case
	caseList   *widget.List
	caseSel    string
	caseDetail *widget.Label
	transfers  *fyne.Container
	rows       map[string]*widgets.ProgressRow

	// patient
	hospital    *widget.Select
	hospitalFPs map[string]string
	phr         map[string]*widget.Entry
	phrFiles    *attachPicker
	submitPHR   *widget.Button

	// hospital
	doctor    *widget.Select
	doctorFPs map[string]string
	refer     *widget.Button

	// doctor
	report       map[string]*widget.Entry
	reportFiles  *attachPicker
	submitReport *widget.Button
}

var phrFields = []string{"Patient name", "Date of birth", "Symptoms", "Medications", "Allergies", "Notes"}
var reportFields = []string{"Findings", "Recommendations", "Prescriptions"}

func newRolePane(s *Shell) *rolePane {
	p := &rolePane{s: s, role: s.node.Profile().Role, rows: map[string]*widgets.ProgressRow{}}
	p.status = widget.NewLabel("")
	p.status.Wrapping = fyne.TextWrapWord
	p.transfers = container.NewVBox()
	p.caseDetail = widget.NewLabel("Choose a case.")
	p.caseDetail.Wrapping = fyne.TextWrapWord
	p.caseList = labelList(func() int { return len(p.cases) }, func(i int) string {
		c := p.cases[i]
		return fmt.Sprintf("%s · %s · %s", c.ID, c.PatientName, c.Status)
	})
	p.caseList.OnSelected = func(i widget.ListItemID) {
		if i < len(p.cases) {
			p.caseSel = p.cases[i].ID
			p.showCase()
		}
	}
	switch p.role {
	case app.RolePatient:
		p.title = "Health record"
		p.content = p.buildPatient()
	case app.RoleHospital:
		p.title = "Cases"
		p.content = p.buildHospital()
	default:
		p.title = "Reports"
		p.content = p.buildDoctor()
	}
	p.reloadCases()
	return p
}

func heading(text string) *widget.Label {
	l := widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	l.SizeName = theme.SizeNameSubHeadingText
	return l
}

func wrapped(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	return l
}

// attachPicker is an "Add attachment…" button with the chosen files.
type attachPicker struct {
	paths []string
	list  *widget.Label
	box   fyne.CanvasObject
}

func newAttachPicker(w fyne.Window) *attachPicker {
	a := &attachPicker{list: widget.NewLabel("No attachments.")}
	a.list.Wrapping = fyne.TextWrapWord
	add := widget.NewButtonWithIcon("Add attachment…", theme.ContentAddIcon(), func() {
		d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
			if err != nil || r == nil {
				return
			}
			r.Close()
			a.add(r.URI().Path())
		}, w)
		d.Show()
	})
	clear := widget.NewButtonWithIcon("Clear", theme.ContentClearIcon(), a.clear)
	a.box = container.NewVBox(container.NewHBox(add, clear), a.list)
	return a
}

func (a *attachPicker) add(path string) {
	a.paths = append(a.paths, path)
	a.list.SetText(strings.Join(a.paths, "\n"))
}

func (a *attachPicker) clear() {
	a.paths = nil
	a.list.SetText("No attachments.")
}

func (p *rolePane) buildPatient() fyne.CanvasObject {
	p.hospital = widget.NewSelect(nil, nil)
	p.hospital.PlaceHolder = "pair with a hospital first"
	p.phr = map[string]*widget.Entry{}
	form := widget.NewForm(widget.NewFormItem("Hospital", p.hospital))
	for _, f := range phrFields {
		e := widget.NewEntry()
		if f == "Symptoms" || f == "Notes" || f == "Medications" {
			e = widget.NewMultiLineEntry()
			e.Wrapping = fyne.TextWrapWord
			e.SetMinRowsVisible(2)
		}
		if f == "Date of birth" {
			e.SetPlaceHolder("YYYY-MM-DD")
		}
		p.phr[f] = e
		form.Append(f, e)
	}
	p.phrFiles = newAttachPicker(p.s.win)
	form.Append("Attachments", p.phrFiles.box)
	p.submitPHR = widget.NewButtonWithIcon("Send health record", theme.MailSendIcon(), p.sendPHR)
	p.submitPHR.Importance = widget.HighImportance
	left := container.NewVScroll(container.NewPadded(container.NewVBox(
		heading("Send health record"),
		wrapped("Your record is encrypted under the BB84 key shared with the hospital and kept in both ledgers. "+
			"If the hospital is offline it waits in your outbox."),
		form, container.NewHBox(p.submitPHR), p.status, p.transfers)))
	right := container.NewBorder(heading("Your cases"), nil, nil, nil,
		container.NewVSplit(p.caseList, container.NewVScroll(p.caseDetail)))
	split := container.NewHSplit(left, right)
	split.Offset = 0.58
	return split
}

func (p *rolePane) buildHospital() fyne.CanvasObject {
	p.doctor = widget.NewSelect(nil, nil)
	p.doctor.PlaceHolder = "pair with a doctor first"
	p.refer = widget.NewButtonWithIcon("Refer to doctor", theme.MailForwardIcon(), p.sendReferral)
	p.refer.Importance = widget.HighImportance
	action := container.NewVBox(widget.NewForm(widget.NewFormItem("Doctor", p.doctor)), container.NewHBox(p.refer))
	right := container.NewVScroll(container.NewPadded(container.NewVBox(p.caseDetail, action, p.status, p.transfers)))
	split := container.NewHSplit(container.NewBorder(heading("Cases"), nil, nil, nil, p.caseList), right)
	split.Offset = 0.38
	return container.NewPadded(container.NewBorder(wrapped("Health records patients sent you. Choose a case and refer it to one of your doctors."), nil, nil, nil, split))
}

func (p *rolePane) buildDoctor() fyne.CanvasObject {
	p.report = map[string]*widget.Entry{}
	form := widget.NewForm()
	for _, f := range reportFields {
		e := widget.NewMultiLineEntry()
		e.Wrapping = fyne.TextWrapWord
		e.SetMinRowsVisible(3)
		p.report[f] = e
		form.Append(f, e)
	}
	p.reportFiles = newAttachPicker(p.s.win)
	form.Append("Attachments", p.reportFiles.box)
	p.submitReport = widget.NewButtonWithIcon("Send report", theme.MailSendIcon(), p.sendReport)
	p.submitReport.Importance = widget.HighImportance
	right := container.NewVScroll(container.NewPadded(container.NewVBox(p.caseDetail, heading("Write report"), form,
		container.NewHBox(p.submitReport), p.status, p.transfers)))
	split := container.NewHSplit(container.NewBorder(heading("Referred cases"), nil, nil, nil, p.caseList), right)
	split.Offset = 0.35
	return container.NewPadded(container.NewBorder(wrapped("Cases hospitals referred to you. Your signed report goes to the hospital and to the patient."), nil, nil, nil, split))
}

// conversationChanged refreshes the contact choices.
func (p *rolePane) conversationChanged() { p.refreshContacts() }

// refreshContacts fills the hospital or doctor choice from the pinned
// contacts: messages to them are queued until they are online.
func (p *rolePane) refreshContacts() {
	fill := func(sel *widget.Select, cs []app.Contact) map[string]string {
		fps := map[string]string{}
		var names []string
		for _, c := range cs {
			label := c.Name
			if !p.s.online[c.Fingerprint] {
				label += " (offline)"
			}
			fps[label] = c.Fingerprint
			names = append(names, label)
		}
		sort.Strings(names)
		sel.SetOptions(names)
		if _, ok := fps[sel.Selected]; !ok {
			sel.ClearSelected()
			if len(names) > 0 {
				sel.SetSelected(names[0])
			}
		}
		return fps
	}
	switch {
	case p.hospital != nil:
		cs, _ := p.s.node.Contacts()
		var hs []app.Contact
		for _, c := range cs {
			if c.Role == app.RoleHospital {
				hs = append(hs, c)
			}
		}
		p.hospitalFPs = fill(p.hospital, hs)
	case p.doctor != nil:
		p.doctorFPs = fill(p.doctor, p.s.node.Clinic().Doctors())
	}
}

// reloadCases reads the cases in the background.
func (p *rolePane) reloadCases() {
	p.s.spawn(func() {
		cs, err := p.s.node.Clinic().Cases()
		p.s.do(func() {
			if err != nil {
				p.setStatus("Cannot read cases: "+app.UserError(err), true)
				return
			}
			p.cases = cs
			p.caseList.Refresh()
			p.showCase()
		})
	})
}

// showTransfer shows an attachment's progress.
func (p *rolePane) showTransfer(e app.Event) {
	key := e.MessageID + "/" + e.Name
	r, ok := p.rows[key]
	if !ok {
		r = widgets.NewProgressRow(e.Name)
		p.rows[key] = r
		p.transfers.Add(r)
	}
	frac, status := 0.0, fmt.Sprintf("%d of %d kB", e.Done/1024, e.Total/1024)
	if e.Total > 0 {
		frac = float64(e.Done) / float64(e.Total)
	}
	if e.Done >= e.Total {
		status = "done"
	}
	r.SetProgress(frac, status)
}

func (p *rolePane) sendPHR() {
	p.refreshContacts()
	fp, ok := p.hospitalFPs[p.hospital.Selected]
	if !ok {
		p.setStatus("Pair with a hospital first (Connect tab), then choose it here.", true)
		return
	}
	phr := app.PHR{
		PatientName: strings.TrimSpace(p.phr["Patient name"].Text), DateOfBirth: strings.TrimSpace(p.phr["Date of birth"].Text),
		Symptoms: strings.TrimSpace(p.phr["Symptoms"].Text), Medications: strings.TrimSpace(p.phr["Medications"].Text),
		Allergies: strings.TrimSpace(p.phr["Allergies"].Text), Notes: strings.TrimSpace(p.phr["Notes"].Text),
	}
	if err := phr.Validate(); err != nil {
		p.setStatus(app.UserError(err), true)
		return
	}
	files := append([]string(nil), p.phrFiles.paths...)
	p.submitPHR.Disable()
	p.setStatus("Sending the health record to "+p.hospital.Selected+"…", false)
	p.s.spawn(func() {
		ctx, cancel := context.WithTimeout(p.s.ctx, sendTimeout)
		defer cancel()
		c, err := p.s.node.Clinic().SubmitPHR(ctx, fp, phr, files)
		p.s.do(func() {
			p.submitPHR.Enable()
			if err != nil {
				p.setStatus("Not sent: "+app.UserError(err), true)
				return
			}
			p.setStatus("Sent as case "+c.ID+". The doctor's report will appear under Your cases and in the case's conversation.", false)
			for _, e := range p.phr {
				e.SetText("")
			}
			p.phrFiles.clear()
			p.caseSel = c.ID
			p.reloadCases()
		})
	})
}

func (p *rolePane) sendReferral() {
	c, ok := p.selectedCase()
	if !ok {
		p.setStatus("Choose a case first.", true)
		return
	}
	p.refreshContacts()
	fp, ok := p.doctorFPs[p.doctor.Selected]
	if !ok {
		p.setStatus("Pair with a doctor first (Connect tab), then choose one here.", true)
		return
	}
	p.refer.Disable()
	name := p.s.nameOf(fp)
	p.s.spawn(func() {
		ctx, cancel := context.WithTimeout(p.s.ctx, sendTimeout)
		defer cancel()
		err := p.s.node.Clinic().Refer(ctx, c.ID, fp)
		p.s.do(func() {
			p.refer.Enable()
			if err != nil {
				p.setStatus("Not referred: "+app.UserError(err), true)
				return
			}
			p.setStatus("Case "+c.ID+" referred to "+name+".", false)
			p.reloadCases()
		})
	})
}

func (p *rolePane) sendReport() {
	c, ok := p.selectedCase()
	if !ok {
		p.setStatus("Choose a case first.", true)
		return
	}
	r := app.MedicalReport{Findings: strings.TrimSpace(p.report["Findings"].Text),
		Recommendations: strings.TrimSpace(p.report["Recommendations"].Text), Prescriptions: strings.TrimSpace(p.report["Prescriptions"].Text)}
	if err := r.Validate(); err != nil {
		p.setStatus(app.UserError(err), true)
		return
	}
	files := append([]string(nil), p.reportFiles.paths...)
	p.submitReport.Disable()
	p.setStatus("Sending the report…", false)
	p.s.spawn(func() {
		ctx, cancel := context.WithTimeout(p.s.ctx, sendTimeout)
		defer cancel()
		err := p.s.node.Clinic().SubmitReport(ctx, c.ID, r, files)
		p.s.do(func() {
			p.submitReport.Enable()
			if err != nil {
				p.setStatus("Not sent: "+app.UserError(err), true)
				return
			}
			p.setStatus("Report on case "+c.ID+" sent to "+c.HospitalName+" and "+c.PatientName+".", false)
			for _, e := range p.report {
				e.SetText("")
			}
			p.reportFiles.clear()
			p.reloadCases()
		})
	})
}

func (p *rolePane) setStatus(msg string, bad bool) {
	if bad {
		p.status.Importance = widget.DangerImportance
	} else {
		p.status.Importance = widget.MediumImportance
	}
	p.status.SetText(msg)
}

func (p *rolePane) selectedCase() (app.Case, bool) {
	for _, c := range p.cases {
		if c.ID == p.caseSel {
			return c, true
		}
	}
	return app.Case{}, false
}

// caseText describes a case for the detail view.
func caseText(c app.Case) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Case %s · %s\n", c.ID, c.Status)
	doctor := c.DoctorName
	if doctor == "" {
		doctor = "not referred yet"
	}
	fmt.Fprintf(&b, "Patient: %s · Hospital: %s · Doctor: %s\n", c.PatientName, c.HospitalName, doctor)
	if !c.Opened.IsZero() {
		fmt.Fprintf(&b, "Opened %s, updated %s\n", c.Opened.Local().Format(time.DateTime), c.Updated.Local().Format(time.DateTime))
	}
	if r := c.PHR; r != nil {
		fmt.Fprintf(&b, "\nHealth record\nName: %s\nBorn: %s\nSymptoms: %s\nMedications: %s\nAllergies: %s\nNotes: %s\n",
			r.PatientName, r.DateOfBirth, r.Symptoms, r.Medications, r.Allergies, r.Notes)
	}
	for _, a := range c.Attachments {
		fmt.Fprintf(&b, "Attachment (%s): %s, %d bytes, SHA-256 %s…\n", a.Part, a.Name, a.Size, a.SHA256[:min(12, len(a.SHA256))])
	}
	if r := c.Report; r != nil {
		sig := "doctor's signature NOT verified"
		if c.ReportVerified {
			sig = "signed by the doctor, signature verified"
		}
		fmt.Fprintf(&b, "\nReport (%s)\nFindings: %s\nRecommendations: %s\nPrescriptions: %s\n", sig, r.Findings, r.Recommendations, r.Prescriptions)
	}
	return strings.TrimRight(b.String(), "\n")
}

func (p *rolePane) showCase() {
	c, ok := p.selectedCase()
	if !ok {
		if len(p.cases) == 0 {
			p.caseDetail.SetText("No cases yet.")
		} else {
			p.caseDetail.SetText("Choose a case.")
		}
		return
	}
	p.caseDetail.SetText(caseText(c))
}
