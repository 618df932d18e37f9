package cases

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"fyne.io/fyne/v2/widget"

	"qkdchat/node"
	"qkdchat/ui/files"
	"qkdchat/ui/widgets"
)

// RefreshContacts fills the hospital or doctor choice from the pinned
// contacts: messages to them are queued until they are online.
func (p *Pane) RefreshContacts() {
	fill := func(sel *widget.Select, cs []node.Contact) map[string]string {
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
		var hs []node.Contact
		for _, c := range cs {
			if c.Role == node.RoleHospital {
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
			p.forms.prefill()
			p.caseList.Refresh()
			p.list.keepSelection()
			p.showCase()
		})
	})
}

// ShowTransfer shows an attachment's progress (an node.EventTransfer) in
// human units. An incoming file is not named until its message arrives,
// so it shows as a file from the peer.
func (p *Pane) ShowTransfer(e node.Event) {
	key := e.MessageID + "/" + e.Name
	r, ok := p.rows[key]
	if !ok {
		name := e.Name
		if e.MessageID == "" {
			name = "File from " + e.PeerName
		}
		r = widgets.NewProgressRow(name)
		p.rows[key] = r
		p.transfers.Add(r)
	}
	r.SetProgress(files.TransferRow(e.Done, e.Total))
}

func (p *Pane) selectedCase() (node.Case, bool) {
	for _, c := range p.cases {
		if c.ID == p.caseSel {
			return c, true
		}
	}
	return node.Case{}, false
}

// caseText describes a case for the case view (under its title): its state, the
// report first when there is one, then the health record. Attachments
// are listed apart, with Open and Save…; identifiers and digests only in
// the details view.
func caseText(c node.Case) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", statusText(c))
	doctor := c.DoctorName
	if doctor == "" {
		doctor = "not referred yet"
	}
	fmt.Fprintf(&b, "Patient: %s · Hospital: %s · Doctor: %s\n", c.PatientName, c.HospitalName, doctor)
	if r := c.Report; r != nil {
		sig := "doctor's signature NOT verified"
		if c.ReportVerified {
			sig = "signed by the doctor, signature verified"
		}
		if c.ReportRelayed {
			sig += ", relayed by " + c.HospitalName
		}
		fmt.Fprintf(&b, "\nReport (%s)\nFindings: %s\n", sig, r.Findings)
		if r.Recommendations != "" {
			fmt.Fprintf(&b, "Recommendations: %s\n", r.Recommendations)
		}
		if r.Prescriptions != "" {
			fmt.Fprintf(&b, "Prescriptions: %s\n", r.Prescriptions)
		}
	}
	if r := c.PHR; r != nil {
		fmt.Fprintf(&b, "\nHealth record\nName: %s\n", r.PatientName)
		for _, f := range []struct{ k, v string }{{"Born", r.DateOfBirth}, {"Symptoms", r.Symptoms}, {"Medications", r.Medications},
			{"Allergies", r.Allergies}, {"Notes", r.Notes}} {
			if f.v != "" {
				fmt.Fprintf(&b, "%s: %s\n", f.k, f.v)
			}
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

func (p *Pane) showCase() {
	c, ok := p.selectedCase()
	p.showFiles(c, ok)
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
func (p *Pane) showStep(c node.Case, selected bool) {
	form := p.referForm
	if p.role == node.RoleDoctor {
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
func (p caseForms) prefill() {
	if p.birth == nil || p.prefilled {
		return
	}
	var last *node.PHR
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
