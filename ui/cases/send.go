package cases

import (
	"context"
	"strings"
	"time"

	"fyne.io/fyne/v2/widget"

	"qkdchat/node"
)

// caseForms is the role's form of the pane: the patient's health record,
// the hospital's referral or the doctor's report, how it is built, checked
// and sent.
type caseForms struct{ *Pane }

func (p caseForms) sendPHR() {
	if !p.checkForm() {
		return
	}
	p.RefreshContacts()
	fp, ok := p.hospitalFPs[p.hospital.Selected]
	if !ok {
		p.setStatus("Pair with a hospital first (Connect tab), then choose it here.", true)
		return
	}
	phr := node.PHR{
		PatientName: strings.TrimSpace(p.phr["Patient name"].Text),
		Symptoms:    strings.TrimSpace(p.phr["Symptoms"].Text), Medications: strings.TrimSpace(p.phr["Medications"].Text),
		Allergies: strings.TrimSpace(p.phr["Allergies"].Text), Notes: strings.TrimSpace(p.phr["Notes"].Text),
	}
	if strings.TrimSpace(p.birth.Text) != "" {
		t, _ := parseDate(p.birth.Text, p.birth.layout) // checkForm parsed it
		phr.DateOfBirth = t.Format(time.DateOnly)
	}
	if err := phr.Validate(); err != nil {
		p.setStatus(userError(err), true)
		return
	}
	files := p.phrFiles.Paths()
	p.submitPHR.Disable()
	p.setStatus("Sending the health record to "+p.hospital.Selected+"…", false)
	p.jobs.Go(func() {
		ctx, cancel := context.WithTimeout(p.jobs.Context(), sendTimeout)
		defer cancel()
		c, err := p.node.SubmitPHR(ctx, fp, phr, files)
		p.jobs.Do(func() {
			p.submitPHR.Enable()
			if err != nil {
				p.setStatus("Not sent: "+userError(err), true)
				return
			}
			p.setStatus("Sent: "+CaseTitle(*c)+". The doctor's report will appear under Your cases and in the case's conversation.", false)
			for f, e := range p.phr {
				if f != fieldName {
					e.SetText("")
				}
			}
			p.phrFiles.Clear()
			p.caseSel = c.ID
			p.ReloadCases()
		})
	})
}

func (p caseForms) sendReferral() {
	c, ok := p.selectedCase()
	if !ok {
		p.setStatus("Choose a case first.", true)
		return
	}
	p.RefreshContacts()
	fp, ok := p.doctorFPs[p.doctor.Selected]
	if !ok {
		p.setStatus("Pair with a doctor first (Connect tab), then choose one here.", true)
		return
	}
	p.refer.Disable()
	name := p.peers.Name(fp)
	p.jobs.Go(func() {
		ctx, cancel := context.WithTimeout(p.jobs.Context(), sendTimeout)
		defer cancel()
		err := p.node.Refer(ctx, c.ID, fp)
		p.jobs.Do(func() {
			p.refer.Enable()
			if err != nil {
				p.setStatus("Not referred: "+userError(err), true)
				return
			}
			p.setStatus(CaseTitle(c)+" referred to "+name+".", false)
			p.ReloadCases()
		})
	})
}

func (p caseForms) sendReport() {
	c, ok := p.selectedCase()
	if !ok {
		p.setStatus("Choose a case first.", true)
		return
	}
	if !p.checkForm() {
		return
	}
	r := node.MedicalReport{Findings: strings.TrimSpace(p.report["Findings"].Text),
		Recommendations: strings.TrimSpace(p.report["Recommendations"].Text), Prescriptions: strings.TrimSpace(p.report["Prescriptions"].Text)}
	if err := r.Validate(); err != nil {
		p.setStatus(userError(err), true)
		return
	}
	files := p.reportFiles.Paths()
	p.submitReport.Disable()
	p.setStatus("Sending the report…", false)
	p.jobs.Go(func() {
		ctx, cancel := context.WithTimeout(p.jobs.Context(), sendTimeout)
		defer cancel()
		err := p.node.SubmitReport(ctx, c.ID, r, files)
		p.jobs.Do(func() {
			p.submitReport.Enable()
			if err != nil {
				p.setStatus("Not sent: "+userError(err), true)
				return
			}
			p.setStatus("Report on "+CaseTitle(c)+" sent to "+c.HospitalName+" and "+c.PatientName+".", false)
			for _, e := range p.report {
				e.SetText("")
			}
			p.reportFiles.Clear()
			p.ReloadCases()
		})
	})
}

// formProblem checks the role's form: the field at fault and what to
// do, or "", "" when it can be sent.
func (p caseForms) formProblem() (field, msg string) {
	switch {
	case p.birth != nil:
		return recordProblem(p.phr[fieldName].Text, p.birth.Text, p.birth.layout, p.now())
	case p.report != nil:
		return reportProblem(p.report[fieldFindings].Text)
	}
	return "", ""
}

// checkForm shows the form's problem, if any, and reports whether it can
// be sent.
func (p caseForms) checkForm() bool {
	_, msg := p.formProblem()
	p.problem = msg
	if msg != "" {
		p.setStatus(msg, true)
		return false
	}
	return true
}

// recheck runs after every edit of the form: a problem shown clears as
// soon as it is fixed, and a different one replaces it.
func (p caseForms) recheck() {
	if p.problem == "" {
		return
	}
	_, msg := p.formProblem()
	p.problem = msg
	if msg == "" {
		p.setStatus("", false)
		return
	}
	p.setStatus(msg, true)
}

func (p *Pane) setStatus(msg string, bad bool) {
	msg = PlainWords(msg)
	if bad {
		p.status.Importance = widget.DangerImportance
	} else {
		p.status.Importance = widget.MediumImportance
	}
	p.status.SetText(msg)
}
