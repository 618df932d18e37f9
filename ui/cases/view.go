package cases

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"fyne.io/fyne/v2/widget"

	"qkdchat/app"
	"qkdchat/ui/widgets"
)

// RefreshContacts fills the hospital or doctor choice from the pinned
// contacts: messages to them are queued until they are online.
func (p *Pane) RefreshContacts() {
	fill := func(sel *widget.Select, cs []app.Contact) map[string]string {
		fps := map[string]string{}
		var names []string
		for _, c := range cs {
			label := c.Name
			if !p.peers.Online(c.Fingerprint) {
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
		cs, _ := p.node.Contacts()
		var hs []app.Contact
		for _, c := range cs {
			if c.Role == app.RoleHospital {
				hs = append(hs, c)
			}
		}
		p.hospitalFPs = fill(p.hospital, hs)
	case p.doctor != nil:
		p.doctorFPs = fill(p.doctor, p.node.Doctors())
	}
}

// ReloadCases reads the cases in the background.
func (p *Pane) ReloadCases() {
	p.jobs.Go(func() {
		cs, err := p.node.Cases()
		p.jobs.Do(func() {
			if err != nil {
				p.setStatus("Cannot read cases: "+userError(err), true)
				return
			}
			p.cases = cs
			p.prefill()
			p.caseList.Refresh()
			p.showCase()
		})
	})
}

// ShowTransfer shows an attachment's progress (an app.EventTransfer).
func (p *Pane) ShowTransfer(e app.Event) {
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

func (p *Pane) selectedCase() (app.Case, bool) {
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

func (p *Pane) showCase() {
	c, ok := p.selectedCase()
	p.showStep(c, ok)
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

// showStep shows the step of the user's role for the selected case: its
// form while it is to do, what was done instead once it is.
func (p *Pane) showStep(c app.Case, selected bool) {
	form := p.referForm
	if p.role == app.RoleDoctor {
		form = p.reportForm
	}
	if form == nil {
		return
	}
	done := ""
	if selected {
		done = doneStep(p.role, c, p.now())
	}
	if done == "" {
		p.done.Hide()
		form.Show()
		return
	}
	p.done.SetText(done)
	p.done.Show()
	form.Hide()
}

// prefill fills the empty fields of the health record form that rarely
// change (date of birth, medications, allergies) from the patient's
// newest record, once.
func (p *Pane) prefill() {
	if p.birth == nil || p.prefilled {
		return
	}
	var last *app.PHR
	var when time.Time
	for _, c := range p.cases {
		if c.PHR != nil && (last == nil || c.Opened.After(when)) {
			last, when = c.PHR, c.Opened
		}
	}
	if last == nil {
		return
	}
	p.prefilled = true
	if strings.TrimSpace(p.birth.Text) == "" && last.DateOfBirth != "" {
		p.birth.SetText(last.DateOfBirth)
	}
	for f, v := range map[string]string{"Medications": last.Medications, "Allergies": last.Allergies} {
		if e := p.phr[f]; e.Text == "" && v != "" {
			e.SetText(v)
		}
	}
}
