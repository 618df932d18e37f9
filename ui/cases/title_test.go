package cases

import (
	"strings"
	"testing"
	"time"

	"qkdchat/app"
)

func TestCaseTitle(t *testing.T) {
	opened := time.Date(2026, 11, 30, 9, 0, 0, 0, time.Local)
	long := "persistent dry cough worse at night with wheezing"
	for _, c := range []struct {
		name string
		c    app.Case
		want string
	}{
		{"full", app.Case{PatientName: "Pat", Opened: opened, PHR: &app.PHR{PatientName: "Alice Patel", Symptoms: "fever, headache"}}, "Alice Patel · 30 Nov · fever"},
		{"name from the case", app.Case{PatientName: "Pat", Opened: opened}, "Pat · 30 Nov"},
		{"first line", app.Case{Opened: opened, PHR: &app.PHR{PatientName: "Bo", Symptoms: "  rash\nitching"}}, "Bo · 30 Nov · rash"},
		{"long symptom cut at a word", app.Case{PHR: &app.PHR{PatientName: "Bo", Symptoms: long}}, "Bo · persistent dry cough worse at…"},
		{"no name", app.Case{Opened: opened}, "Case opened 30 Nov"},
		{"nothing", app.Case{}, "Case"},
	} {
		if got := CaseTitle(c.c); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
		if strings.Contains(CaseTitle(c.c), "case-") {
			t.Errorf("%s: title shows an ID", c.name)
		}
	}
}
