package ui

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"qkdchat/app"
	"qkdchat/ledger"
)

// healthRecord is the body of a "phr" message. Its fields follow the
// engine's planned PHR type (issue 6).
type healthRecord struct {
	PatientName string `json:"patient_name"`
	DateOfBirth string `json:"date_of_birth"`
	Symptoms    string `json:"symptoms"`
	Medications string `json:"medications"`
	Allergies   string `json:"allergies"`
	Notes       string `json:"notes"`
}

// referral is the body of a "referral" message: the case's record and who
// the patient is, so the doctor can address the report.
type referral struct {
	Patient     string       `json:"patient"` // fingerprint
	PatientName string       `json:"patient_name"`
	Record      healthRecord `json:"record"`
}

// medicalReport is the body of a "report" message, after the engine's
// planned MedicalReport type.
type medicalReport struct {
	Findings        string `json:"findings"`
	Recommendations string `json:"recommendations"`
	Prescriptions   string `json:"prescriptions"`
}

// caseInfo is what this user knows of one case, gathered from messages.
type caseInfo struct {
	ID       string
	Patient  string // fingerprints
	Hospital string
	Doctor   string
	Record   healthRecord
	Status   string
	Reports  []medicalReport
}

// rolePane is the pane of the user's role: a health-record form for a
// patient, a case list with referrals for a hospital, a report form for a
// doctor.
//
// The telehealth engine (issue 6: cases, outboxes, attachments) is not
// available yet; until it is, these forms send their content as structured
// messages of the matching ledger kind (phr, referral, report) over the
// live sessions, and cases are gathered from those messages.
type rolePane struct {
	s       *Shell
	role    app.Role
	title   string
	content fyne.CanvasObject
	status  *widget.Label
	cases   map[string]*caseInfo

	// patient
	hospital    *widget.Select
	phr         map[string]*widget.Entry
	attachments []string
	attachList  *widget.Label
	submitPHR   *widget.Button

	// hospital and doctor
	caseList   *widget.List
	caseIDs    []string
	caseSel    string
	caseDetail *widget.Label
	doctor     *widget.Select
	refer      *widget.Button

	// doctor
	report       map[string]*widget.Entry
	submitReport *widget.Button
}

var phrFields = []string{"Patient name", "Date of birth", "Symptoms", "Medications", "Allergies", "Notes"}
var reportFields = []string{"Findings", "Recommendations", "Prescriptions"}

func newRolePane(s *Shell) *rolePane {
	p := &rolePane{s: s, role: s.node.Profile().Role, cases: map[string]*caseInfo{}}
	p.status = widget.NewLabel("")
	p.status.Wrapping = fyne.TextWrapWord
	switch p.role {
	case app.RolePatient:
		p.title = "Health record"
		p.content = p.buildPatient()
	case app.RoleHospital:
		p.title = "Cases"
		p.content = p.buildCases("Refer a case to one of your doctors.", true)
	default:
		p.title = "Reports"
		p.content = p.buildCases("Write a report on a case a hospital referred to you. It goes to the hospital and, when connected, to the patient.", false)
	}
	return p
}

func heading(text string) *widget.Label {
	l := widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	l.SizeName = theme.SizeNameSubHeadingText
	return l
}

func (p *rolePane) buildPatient() fyne.CanvasObject {
	p.hospital = widget.NewSelect(nil, nil)
	p.hospital.PlaceHolder = "connect to a hospital first"
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
	p.attachList = widget.NewLabel("No attachments.")
	attach := widget.NewButtonWithIcon("Add attachment…", theme.ContentAddIcon(), func() {
		d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
			if err != nil || r == nil {
				return
			}
			r.Close()
			p.attachments = append(p.attachments, r.URI().Path())
			p.attachList.SetText(strings.Join(p.attachments, "\n") +
				"\n(attachments are sent once the telehealth engine supports them)")
		}, p.s.win)
		d.Show()
	})
	form.Append("Attachments", container.NewVBox(attach, p.attachList))
	p.submitPHR = widget.NewButtonWithIcon("Send health record", theme.MailSendIcon(), p.sendPHR)
	p.submitPHR.Importance = widget.HighImportance
	intro := widget.NewLabel("Your record is encrypted under the BB84 key shared with the hospital and kept in both ledgers.")
	intro.Wrapping = fyne.TextWrapWord
	return container.NewVScroll(container.NewPadded(container.NewVBox(
		heading("Send health record"),
		intro,
		form, container.NewHBox(p.submitPHR), p.status)))
}

func (p *rolePane) buildCases(intro string, hospital bool) fyne.CanvasObject {
	p.caseList = widget.NewList(
		func() int { return len(p.caseIDs) },
		func() fyne.CanvasObject { return widget.NewLabel("") },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i < len(p.caseIDs) {
				c := p.cases[p.caseIDs[i]]
				o.(*widget.Label).SetText(fmt.Sprintf("%s · %s · %s", c.ID, c.Record.PatientName, c.Status))
			}
		})
	p.caseList.OnSelected = func(i widget.ListItemID) {
		if i < len(p.caseIDs) {
			p.caseSel = p.caseIDs[i]
			p.showCase()
		}
	}
	p.caseDetail = widget.NewLabel("Choose a case.")
	p.caseDetail.Wrapping = fyne.TextWrapWord
	var action fyne.CanvasObject
	if hospital {
		p.doctor = widget.NewSelect(nil, nil)
		p.doctor.PlaceHolder = "connect to a doctor first"
		p.refer = widget.NewButtonWithIcon("Refer to doctor", theme.MailForwardIcon(), p.sendReferral)
		p.refer.Importance = widget.HighImportance
		action = container.NewVBox(widget.NewForm(widget.NewFormItem("Doctor", p.doctor)), container.NewHBox(p.refer))
	} else {
		p.report = map[string]*widget.Entry{}
		form := widget.NewForm()
		for _, f := range reportFields {
			e := widget.NewMultiLineEntry()
			e.Wrapping = fyne.TextWrapWord
			e.SetMinRowsVisible(3)
			p.report[f] = e
			form.Append(f, e)
		}
		p.submitReport = widget.NewButtonWithIcon("Send report", theme.MailSendIcon(), p.sendReport)
		p.submitReport.Importance = widget.HighImportance
		action = container.NewVBox(heading("Write report"), form, container.NewHBox(p.submitReport))
	}
	right := container.NewVScroll(container.NewVBox(p.caseDetail, action, p.status))
	split := container.NewHSplit(container.NewBorder(heading(p.title), nil, nil, nil, p.caseList), right)
	split.Offset = 0.38
	introLbl := widget.NewLabel(intro)
	introLbl.Wrapping = fyne.TextWrapWord
	return container.NewPadded(container.NewBorder(introLbl, nil, nil, nil, split))
}

// conversationChanged refreshes the contact choices.
func (p *rolePane) conversationChanged() { p.refreshContacts() }

// apply handles events of the telehealth engine; none exist yet.
func (p *rolePane) apply(app.Event) {}

// onlineByRole lists the live sessions' peers of one role as "Name"
// choices, and maps them back to fingerprints.
func (p *rolePane) onlineByRole(r app.Role) ([]string, map[string]string) {
	var names []string
	fps := map[string]string{}
	for _, ss := range p.s.node.Sessions() {
		c := ss.Peer()
		if c.Role == r {
			names = append(names, c.Name)
			fps[c.Name] = c.Fingerprint
		}
	}
	sort.Strings(names)
	return names, fps
}

func (p *rolePane) refreshContacts() {
	switch {
	case p.hospital != nil:
		names, _ := p.onlineByRole(app.RoleHospital)
		p.hospital.SetOptions(names)
		if p.hospital.Selected == "" && len(names) > 0 {
			p.hospital.SetSelected(names[0])
		}
	case p.doctor != nil:
		names, _ := p.onlineByRole(app.RoleDoctor)
		p.doctor.SetOptions(names)
		if p.doctor.Selected == "" && len(names) > 0 {
			p.doctor.SetSelected(names[0])
		}
	}
}

func newCaseID() string {
	var b [4]byte
	rand.Read(b[:])
	return "C-" + strings.ToUpper(hex.EncodeToString(b[:]))
}

// sendTo sends one structured message in the background and reports the
// outcome in the status line.
func (p *rolePane) sendTo(fp string, kind ledger.Kind, caseID, text string, body any, done func(error)) {
	raw, err := json.Marshal(body)
	if err != nil {
		done(err)
		return
	}
	ss, ok := p.s.node.Session(fp)
	if !ok {
		done(fmt.Errorf("%s is not connected", p.s.nameOf(fp)))
		return
	}
	p.s.spawn(func() {
		ctx, cancel := context.WithTimeout(p.s.ctx, sendTimeout)
		defer cancel()
		_, err := ss.Send(ctx, kind, caseID, text, raw)
		p.s.do(func() { done(err) })
	})
}

func (p *rolePane) sendPHR() {
	p.refreshContacts()
	_, fps := p.onlineByRole(app.RoleHospital)
	fp, ok := fps[p.hospital.Selected]
	if !ok {
		p.setStatus("Connect to a hospital first (Connect tab), then choose it here.", true)
		return
	}
	rec := healthRecord{
		PatientName: strings.TrimSpace(p.phr["Patient name"].Text), DateOfBirth: strings.TrimSpace(p.phr["Date of birth"].Text),
		Symptoms: strings.TrimSpace(p.phr["Symptoms"].Text), Medications: strings.TrimSpace(p.phr["Medications"].Text),
		Allergies: strings.TrimSpace(p.phr["Allergies"].Text), Notes: strings.TrimSpace(p.phr["Notes"].Text),
	}
	if rec.PatientName == "" || rec.Symptoms == "" {
		p.setStatus("Fill in at least the patient name and the symptoms.", true)
		return
	}
	id := newCaseID()
	p.submitPHR.Disable()
	p.setStatus("Sending the health record to "+p.hospital.Selected+"…", false)
	p.sendTo(fp, ledger.KindPHR, id, "Health record of "+rec.PatientName+": "+rec.Symptoms, rec, func(err error) {
		p.submitPHR.Enable()
		if err != nil {
			p.setStatus("Not sent: "+app.UserError(err), true)
			return
		}
		p.setStatus("Sent as case "+id+". The hospital's reply and the doctor's report appear in the conversation of that case.", false)
		for _, e := range p.phr {
			e.SetText("")
		}
	})
}

func (p *rolePane) sendReferral() {
	c, ok := p.cases[p.caseSel]
	if !ok {
		p.setStatus("Choose a case first.", true)
		return
	}
	p.refreshContacts()
	_, fps := p.onlineByRole(app.RoleDoctor)
	fp, ok := fps[p.doctor.Selected]
	if !ok {
		p.setStatus("Connect to a doctor first (Connect tab), then choose one here.", true)
		return
	}
	p.refer.Disable()
	ref := referral{Patient: c.Patient, PatientName: c.Record.PatientName, Record: c.Record}
	p.sendTo(fp, ledger.KindReferral, c.ID, "Referral of case "+c.ID+" ("+c.Record.PatientName+")", ref, func(err error) {
		p.refer.Enable()
		if err != nil {
			p.setStatus("Not referred: "+app.UserError(err), true)
			return
		}
		c.Doctor = fp
		c.Status = "referred to " + p.s.nameOf(fp)
		p.caseList.Refresh()
		p.showCase()
		p.setStatus("Case "+c.ID+" referred to "+p.s.nameOf(fp)+".", false)
	})
}

func (p *rolePane) sendReport() {
	c, ok := p.cases[p.caseSel]
	if !ok {
		p.setStatus("Choose a case first.", true)
		return
	}
	r := medicalReport{Findings: strings.TrimSpace(p.report["Findings"].Text),
		Recommendations: strings.TrimSpace(p.report["Recommendations"].Text), Prescriptions: strings.TrimSpace(p.report["Prescriptions"].Text)}
	if r.Findings == "" {
		p.setStatus("Write at least the findings.", true)
		return
	}
	targets := []string{c.Hospital}
	if c.Patient != "" {
		targets = append(targets, c.Patient)
	}
	p.submitReport.Disable()
	pending := len(targets)
	var sent, failed []string
	for _, fp := range targets {
		fp := fp
		p.sendTo(fp, ledger.KindReport, c.ID, "Report on case "+c.ID+": "+r.Findings, r, func(err error) {
			if err != nil {
				failed = append(failed, p.s.nameOf(fp)+" ("+app.UserError(err)+")")
			} else {
				sent = append(sent, p.s.nameOf(fp))
			}
			pending--
			if pending > 0 {
				return
			}
			p.submitReport.Enable()
			msg := ""
			if len(sent) > 0 {
				msg = "Report sent to " + strings.Join(sent, " and ") + "."
				c.Status = "reported"
				c.Reports = append(c.Reports, r)
				p.caseList.Refresh()
			}
			if len(failed) > 0 {
				msg += " Not sent to " + strings.Join(failed, ", ") + "."
			}
			p.setStatus(strings.TrimSpace(msg), len(failed) > 0)
		})
	}
}

func (p *rolePane) setStatus(msg string, bad bool) {
	if bad {
		p.status.Importance = widget.DangerImportance
	} else {
		p.status.Importance = widget.MediumImportance
	}
	p.status.SetText(msg)
}

// noteMessage gathers cases from structured messages.
func (p *rolePane) noteMessage(m *app.Message, self string) {
	if m.CaseID == "" {
		return
	}
	var c *caseInfo
	get := func() *caseInfo {
		if c == nil {
			c = p.cases[m.CaseID]
			if c == nil {
				c = &caseInfo{ID: m.CaseID, Status: "new"}
				p.cases[m.CaseID] = c
			}
		}
		return c
	}
	switch m.Kind {
	case ledger.KindPHR.String():
		var rec healthRecord
		if json.Unmarshal(m.Body, &rec) != nil {
			return
		}
		c := get()
		c.Record, c.Patient, c.Hospital = rec, m.From, m.To
		if c.Status == "" || c.Status == "new" {
			c.Status = "received"
			if m.Outgoing {
				c.Status = "sent"
			}
		}
	case ledger.KindReferral.String():
		var ref referral
		if json.Unmarshal(m.Body, &ref) != nil {
			return
		}
		c := get()
		c.Record, c.Patient, c.Hospital, c.Doctor = ref.Record, ref.Patient, m.From, m.To
		c.Status = "referred"
		if !m.Outgoing {
			c.Status = "referred to you"
		} else {
			c.Status = "referred to " + p.s.nameOf(m.To)
		}
	case ledger.KindReport.String():
		var r medicalReport
		if json.Unmarshal(m.Body, &r) != nil {
			return
		}
		c := get()
		c.Reports = append(c.Reports, r)
		c.Status = "reported"
	default:
		return
	}
	p.refreshCases()
}

func (p *rolePane) refreshCases() {
	if p.caseList == nil {
		return
	}
	p.caseIDs = p.caseIDs[:0]
	for id, c := range p.cases {
		if p.role == app.RoleDoctor && c.Doctor == "" {
			continue
		}
		p.caseIDs = append(p.caseIDs, id)
	}
	sort.Strings(p.caseIDs)
	p.caseList.Refresh()
	p.showCase()
}

func (p *rolePane) showCase() {
	c, ok := p.cases[p.caseSel]
	if !ok {
		return
	}
	r := c.Record
	var b strings.Builder
	fmt.Fprintf(&b, "Case %s · %s\nPatient: %s, born %s\nSymptoms: %s\nMedications: %s\nAllergies: %s\nNotes: %s",
		c.ID, c.Status, r.PatientName, r.DateOfBirth, r.Symptoms, r.Medications, r.Allergies, r.Notes)
	for i, rep := range c.Reports {
		fmt.Fprintf(&b, "\n\nReport %d\nFindings: %s\nRecommendations: %s\nPrescriptions: %s", i+1, rep.Findings, rep.Recommendations, rep.Prescriptions)
	}
	p.caseDetail.SetText(b.String())
}
