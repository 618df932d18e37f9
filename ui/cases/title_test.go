package cases

import (
	"strings"
	"testing"
	"time"

	"qkdchat/node"
	"qkdchat/telehealth"
)

func TestCaseTitle(t *testing.T) {
	opened := time.Date(2026, 11, 30, 9, 0, 0, 0, time.Local)
	long := "persistent dry cough worse at night with wheezing"
	for _, c := range []struct {
		name string
		c    node.Case
		want string
	}{
		{"full", node.Case{PatientName: "Pat", Opened: opened, PHR: &node.PHR{PatientName: "Alice Patel", Symptoms: "fever, headache"}}, "Alice Patel · 30 Nov · fever"},
		{"name from the case", node.Case{PatientName: "Pat", Opened: opened}, "Pat · 30 Nov"},
		{"first line", node.Case{Opened: opened, PHR: &node.PHR{PatientName: "Bo", Symptoms: "  rash\nitching"}}, "Bo · 30 Nov · rash"},
		{"long symptom cut at a word", node.Case{PHR: &node.PHR{PatientName: "Bo", Symptoms: long}}, "Bo · persistent dry cough worse at…"},
		{"no name", node.Case{Opened: opened}, "Case opened 30 Nov"},
		{"nothing", node.Case{}, "Case"},
	} {
		if got := CaseTitle(c.c); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
		if strings.Contains(CaseTitle(c.c), "case-") {
			t.Errorf("%s: title shows an ID", c.name)
		}
	}
}

// The case view names a case by its content; its ID, keys and digests
// are in the details view only.
func TestCaseIDsOnlyInDetails(t *testing.T) {
	c := node.Case{ID: "case-0123456789ab", Patient: "pk", Hospital: "hk", PatientName: "Pat", Status: node.CaseReported,
		PHR: &node.PHR{PatientName: "Pat Smith", Symptoms: "cough"}, Report: &node.MedicalReport{Findings: "bronchitis"},
		ReportDigest: "d1g35t", Attachments: []telehealth.Attachment{{Name: "x.png", Size: 10, SHA256: "ab12", Part: "phr"}}}
	view := caseText(c)
	for _, hidden := range []string{c.ID, "d1g35t", "ab12", "pk"} {
		if strings.Contains(view, hidden) {
			t.Errorf("the case view shows %q:\n%s", hidden, view)
		}
		if !strings.Contains(DetailsText(c), hidden) {
			t.Errorf("the details view lacks %q", hidden)
		}
	}
	if !strings.Contains(view, "Findings: bronchitis") || strings.Index(view, "Findings") > strings.Index(view, "Health record") {
		t.Errorf("the report should lead the case view:\n%s", view)
	}
}
