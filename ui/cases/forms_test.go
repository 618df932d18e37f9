package cases

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"qkdchat/node"
	"qkdchat/nodetest"
)

// fakeWorkflow is a node with fixed contacts and cases; it records the
// health records it is asked to send.
type fakeWorkflow struct {
	profile  node.Profile
	contacts []node.Contact
	cases    []node.Case
	sent     []node.PHR
}

func (f *fakeWorkflow) Profile() node.Profile                       { return f.profile }
func (f *fakeWorkflow) Contacts() ([]node.Contact, error)           { return f.contacts, nil }
func (f *fakeWorkflow) Doctors() []node.Contact                     { return f.contacts }
func (f *fakeWorkflow) Cases() ([]node.Case, error)                 { return f.cases, nil }
func (f *fakeWorkflow) Refer(context.Context, string, string) error { return nil }
func (f *fakeWorkflow) SubmitReport(context.Context, string, node.MedicalReport, []string) error {
	return nil
}
func (f *fakeWorkflow) SubmitPHR(_ context.Context, _ string, phr node.PHR, _ []string) (*node.Case, error) {
	f.sent = append(f.sent, phr)
	return &node.Case{ID: "case-000000000001"}, nil
}

type fixedPeers struct{}

func (fixedPeers) Name(fp string) string { return fp }
func (fixedPeers) Online(string) bool    { return true }

var nov30 = time.Date(2026, 11, 30, 9, 0, 0, 0, time.Local)

func newFakePane(t *testing.T, role node.Role, wf *fakeWorkflow) *Pane {
	t.Helper()
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	p := New(w, role, wf, nodetest.Inline{}, fixedPeers{})
	p.now = func() time.Time { return nov30 }
	w.SetContent(p.Content())
	w.Resize(fyne.NewSize(1000, 700))
	return p
}

// TestHealthRecordFormPlainErrorsClearWhenFixed: the patient's name comes
// from the profile; a missing name and a date that is no date are said
// in plain words (never "PHR"), and each error clears as soon as the
// field is fixed, without pressing Send again; the date goes out as
// YYYY-MM-DD.
func TestHealthRecordFormPlainErrorsClearWhenFixed(t *testing.T) {
	wf := &fakeWorkflow{profile: node.Profile{Name: "Pat Smith", Role: node.RolePatient},
		contacts: []node.Contact{{Name: "Mercy", Role: node.RoleHospital, Fingerprint: "h1"}}}
	p := newFakePane(t, node.RolePatient, wf)
	if got := p.phr[fieldName].Text; got != "Pat Smith" {
		t.Fatalf("patient name pre-filled with %q, want the profile's", got)
	}
	bad := func(what, want string) {
		t.Helper()
		if p.status.Importance != widget.DangerImportance || !strings.Contains(p.status.Text, want) || strings.Contains(p.status.Text, "PHR") {
			t.Errorf("%s: status %q (%v), want an error with %q", what, p.status.Text, p.status.Importance, want)
		}
	}
	cleared := func(what string) {
		t.Helper()
		if p.status.Text != "" {
			t.Errorf("%s: the error stays: %q", what, p.status.Text)
		}
	}

	p.phr[fieldName].SetText("")
	test.Tap(p.submitPHR)
	bad("no name", "Enter the patient's name.")
	test.Type(p.phr[fieldName], "Pat Smith")
	cleared("name typed")

	test.Type(p.birth, "31/31/1980")
	test.Tap(p.submitPHR)
	bad("bad date", "is not a date: pick it from the calendar or type it like 1980-04-01")
	p.birth.SetText("")
	test.Type(p.birth, "2099-01-01")
	test.Tap(p.submitPHR)
	bad("future date", "cannot be in the future")
	p.birth.SetText("")
	test.Type(p.birth, "1980-04-01")
	cleared("date fixed")
	if len(wf.sent) != 0 {
		t.Fatalf("a form with errors was sent: %+v", wf.sent)
	}

	test.Type(p.phr["Symptoms"], "cough")
	test.Tap(p.submitPHR)
	if len(wf.sent) != 1 || wf.sent[0].DateOfBirth != "1980-04-01" || wf.sent[0].PatientName != "Pat Smith" {
		t.Fatalf("sent %+v", wf.sent)
	}
	if p.phr[fieldName].Text != "Pat Smith" || p.phr["Symptoms"].Text != "" {
		t.Errorf("after sending: name %q, symptoms %q", p.phr[fieldName].Text, p.phr["Symptoms"].Text)
	}
}

// TestPatientFormPrefilledFromLastRecord: the date of birth, medications
// and allergies come from the patient's newest record.
func TestPatientFormPrefilledFromLastRecord(t *testing.T) {
	wf := &fakeWorkflow{profile: node.Profile{Name: "Pat", Role: node.RolePatient}, cases: []node.Case{
		{ID: "case-000000000001", PHR: &node.PHR{PatientName: "Pat", DateOfBirth: "1970-01-01", Allergies: "dust"}, Opened: nov30.Add(-48 * time.Hour)},
		{ID: "case-000000000002", PHR: &node.PHR{PatientName: "Pat", DateOfBirth: "1980-04-01", Allergies: "penicillin", Medications: "none"}, Opened: nov30.Add(-time.Hour)},
	}}
	p := newFakePane(t, node.RolePatient, wf)
	if p.birth.Text != "1980-04-01" || p.phr["Allergies"].Text != "penicillin" || p.phr["Medications"].Text != "none" || p.phr["Symptoms"].Text != "" {
		t.Errorf("prefilled birth %q allergies %q medications %q symptoms %q", p.birth.Text, p.phr["Allergies"].Text,
			p.phr["Medications"].Text, p.phr["Symptoms"].Text)
	}
}

// TestDoneStepsAreShownNotOffered: a referred case shows whom it went to
// and when, without the Refer button; a submitted one offers it; a
// doctor's reported case shows the report as sent, without the form.
func TestDoneStepsAreShownNotOffered(t *testing.T) {
	referred := node.Case{ID: "case-000000000001", PatientName: "Pat", HospitalName: "Mercy", DoctorName: "Dr Who",
		Status: node.CaseReferred, Updated: nov30}
	submitted := node.Case{ID: "case-000000000002", PatientName: "Ann", HospitalName: "Mercy", Status: node.CaseSubmitted, Updated: nov30}
	wf := &fakeWorkflow{profile: node.Profile{Name: "Mercy", Role: node.RoleHospital}, cases: []node.Case{referred, submitted},
		contacts: []node.Contact{{Name: "Dr Who", Role: node.RoleDoctor, Fingerprint: "d1"}}}
	h := newFakePane(t, node.RoleHospital, wf)
	h.caseList.Select(0)
	if h.referForm.Visible() || !h.done.Visible() || h.done.Text != "Referred to Dr Who on 30 Nov." {
		t.Errorf("referred case: refer offered %v, done %v %q", h.referForm.Visible(), h.done.Visible(), h.done.Text)
	}
	h.caseList.Select(1)
	if !h.referForm.Visible() || h.done.Visible() {
		t.Errorf("submitted case: refer offered %v, done %v %q", h.referForm.Visible(), h.done.Visible(), h.done.Text)
	}

	reported := referred
	reported.ID, reported.Status, reported.Report = "case-000000000003", node.CaseReported, &node.MedicalReport{Findings: "flu"}
	d := newFakePane(t, node.RoleDoctor, &fakeWorkflow{profile: node.Profile{Name: "Dr Who", Role: node.RoleDoctor},
		cases: []node.Case{reported, referred}})
	d.caseList.Select(0)
	if d.reportForm.Visible() || d.done.Text != "Report sent on 30 Nov to Mercy and Pat." {
		t.Errorf("reported case: form offered %v, done %q", d.reportForm.Visible(), d.done.Text)
	}
	d.caseList.Select(1)
	if !d.reportForm.Visible() || d.done.Visible() {
		t.Errorf("referred case at the doctor: form offered %v, done %v", d.reportForm.Visible(), d.done.Visible())
	}
}

func TestDoneStep(t *testing.T) {
	base := node.Case{PatientName: "Pat", HospitalName: "Mercy", DoctorName: "Dr Who", Updated: nov30}
	with := func(status string, report bool, updated time.Time) node.Case {
		c := base
		c.Status, c.Updated = status, updated
		if report {
			c.Report = &node.MedicalReport{Findings: "x"}
		}
		if status == node.CaseSubmitted {
			c.DoctorName = ""
		}
		return c
	}
	lastYear := nov30.AddDate(-1, 0, 0)
	cases := []struct {
		role node.Role
		c    node.Case
		want string
	}{
		{node.RoleHospital, with(node.CaseSubmitted, false, nov30), ""},
		{node.RoleHospital, with(node.CaseReferred, false, nov30), "Referred to Dr Who on 30 Nov."},
		{node.RoleHospital, with(node.CaseReferred, false, lastYear), "Referred to Dr Who on 30 Nov 2025."},
		{node.RoleHospital, with(node.CaseReferred, false, time.Time{}), "Referred to Dr Who."},
		{node.RoleHospital, with(node.CaseReported, true, nov30), "Referred to Dr Who; the report came in on 30 Nov."},
		{node.RoleDoctor, with(node.CaseReferred, false, nov30), ""},
		{node.RoleDoctor, with(node.CaseReported, true, nov30), "Report sent on 30 Nov to Mercy and Pat."},
		{node.RolePatient, with(node.CaseReported, true, nov30), ""},
	}
	for _, c := range cases {
		if got := doneStep(c.role, c.c, nov30); got != c.want {
			t.Errorf("doneStep(%s, %s) = %q, want %q", c.role, c.c.Status, got, c.want)
		}
	}
}

func TestRecordProblem(t *testing.T) {
	cases := []struct {
		name, birth, layout string
		field               string
	}{
		{"Pat", "", "", ""},
		{"  ", "", "", fieldName},
		{"Pat", "1980-04-01", "", ""},
		{"Pat", "01/04/1980", "02/01/2006", ""},
		{"Pat", "01/04/1980", "", fieldBirth},
		{"Pat", "1980-13-01", "", fieldBirth},
		{"Pat", "2026-11-30", "", ""},
		{"Pat", "2026-12-01", "", fieldBirth},
	}
	for _, c := range cases {
		field, msg := recordProblem(c.name, c.birth, c.layout, nov30)
		if field != c.field || (field == "") != (msg == "") {
			t.Errorf("recordProblem(%q, %q, %q) = %q, %q; want field %q", c.name, c.birth, c.layout, field, msg, c.field)
		}
	}
}

func TestPlainWords(t *testing.T) {
	for in, want := range map[string]string{
		"a hospital cannot submit a PHR: only a patient submits a PHR": "a hospital cannot submit a health record: only a patient submits a health record",
		"PHR: the patient's name is required":                          "health record: the patient's name is required",
		"two PHRs":                                                     "two health records",
		"PHRASE ok":                                                    "PHRASE ok",
	} {
		if got := PlainWords(in); got != want {
			t.Errorf("PlainWords(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestDatePickedFromCalendarIsSentAsISO: a date picked in the calendar
// (written in the locale's layout) goes out as YYYY-MM-DD.
func TestDatePickedFromCalendarIsSentAsISO(t *testing.T) {
	wf := &fakeWorkflow{profile: node.Profile{Name: "Pat", Role: node.RolePatient},
		contacts: []node.Contact{{Name: "Mercy", Role: node.RoleHospital, Fingerprint: "h1"}}}
	p := newFakePane(t, node.RolePatient, wf)
	d := time.Date(1980, 4, 1, 0, 0, 0, 0, time.UTC)
	p.birth.SetDate(&d)
	if p.birth.Text == "" {
		t.Fatal("the picked date shows no text")
	}
	test.Tap(p.submitPHR)
	if len(wf.sent) != 1 || wf.sent[0].DateOfBirth != "1980-04-01" {
		t.Fatalf("picked %q, sent %+v (status %q)", p.birth.Text, wf.sent, p.status.Text)
	}
}
