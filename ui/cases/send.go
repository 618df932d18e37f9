package cases

import (
	"context"
	"strings"

	"fyne.io/fyne/v2/widget"

	"qkdchat/node"
)

func (p *Pane) sendPHR() {
	p.RefreshContacts()
	fp, ok := p.hospitalFPs[p.hospital.Selected]
	if !ok {
		p.setStatus("Pair with a hospital first (Connect tab), then choose it here.", true)
		return
	}
	phr := node.PHR{
		PatientName: strings.TrimSpace(p.phr["Patient name"].Text), DateOfBirth: strings.TrimSpace(p.phr["Date of birth"].Text),
		Symptoms: strings.TrimSpace(p.phr["Symptoms"].Text), Medications: strings.TrimSpace(p.phr["Medications"].Text),
		Allergies: strings.TrimSpace(p.phr["Allergies"].Text), Notes: strings.TrimSpace(p.phr["Notes"].Text),
	}
	if err := phr.Validate(); err != nil {
		p.setStatus(node.UserError(err), true)
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
				p.setStatus("Not sent: "+node.UserError(err), true)
				return
			}
			p.setStatus("Sent: "+CaseTitle(*c)+". The doctor's report will appear under Your cases and in the case's conversation.", false)
			for _, e := range p.phr {
				e.SetText("")
			}
			p.phrFiles.Clear()
			p.caseSel = c.ID
			p.ReloadCases()
		})
	})
}

func (p *Pane) sendReferral() {
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
				p.setStatus("Not referred: "+node.UserError(err), true)
				return
			}
			p.setStatus(CaseTitle(c)+" referred to "+name+".", false)
			p.ReloadCases()
		})
	})
}

func (p *Pane) sendReport() {
	c, ok := p.selectedCase()
	if !ok {
		p.setStatus("Choose a case first.", true)
		return
	}
	r := node.MedicalReport{Findings: strings.TrimSpace(p.report["Findings"].Text),
		Recommendations: strings.TrimSpace(p.report["Recommendations"].Text), Prescriptions: strings.TrimSpace(p.report["Prescriptions"].Text)}
	if err := r.Validate(); err != nil {
		p.setStatus(node.UserError(err), true)
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
				p.setStatus("Not sent: "+node.UserError(err), true)
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

func (p *Pane) setStatus(msg string, bad bool) {
	if bad {
		p.status.Importance = widget.DangerImportance
	} else {
		p.status.Importance = widget.MediumImportance
	}
	p.status.SetText(msg)
}
