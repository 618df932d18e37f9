package telehealth

import (
	"errors"
	"strings"
	"testing"
)

func TestParseRole(t *testing.T) {
	for in, want := range map[string]Role{"patient": RolePatient, " Hospital ": RoleHospital, "DOCTOR": RoleDoctor, "nurse": "", "": ""} {
		r, err := ParseRole(in)
		if r != want || (err == nil) != (want != "") {
			t.Errorf("ParseRole(%q) = %q, %v; want %q", in, r, err, want)
		}
	}
}

func TestRoleError(t *testing.T) {
	var err error = &RoleError{Role: RoleDoctor, Action: ActionRefer, Reason: "no"}
	if err.Error() != "a doctor cannot refer a case: no" || !errors.Is(err, ErrRoleViolation) {
		t.Fatalf("%v", err)
	}
	if err := (&RoleError{Action: ActionRefer, Reason: "no"}); err.Error() != "cannot refer a case: no" {
		t.Fatalf("%v", err)
	}
	if errors.Is(errors.New("other"), ErrRoleViolation) {
		t.Fatal("any error is a role violation")
	}
}

// TestVisibleTo: a patient sees its own cases, a hospital those submitted
// to it, a doctor those referred to it.
func TestVisibleTo(t *testing.T) {
	c := referred()
	for _, tc := range []struct {
		a    Actor
		want bool
	}{{pat, true}, {hosp, true}, {doc, true}, {pat2, false}, {hosp2, false}, {doc2, false},
		{Actor{Role: RoleDoctor, Fingerprint: pat.Fingerprint}, false}, {Actor{Role: "nurse", Fingerprint: pat.Fingerprint}, false}} {
		if got := c.VisibleTo(tc.a.Role, tc.a.Fingerprint); got != tc.want {
			t.Errorf("%s %s: visible %v", tc.a.Role, tc.a.Name, got)
		}
	}
	if s := submitted(); s.VisibleTo(RoleDoctor, "") {
		t.Error("an unreferred case is visible to a doctor without a fingerprint")
	}
}

func TestCaseID(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		id := NewCaseID()
		if !ValidCaseID(id) || seen[id] {
			t.Fatalf("NewCaseID gave %q", id)
		}
		seen[id] = true
	}
	for _, id := range []string{"", "case-", "case-0123456789a", "case-0123456789abc", "case-0123456789aB", "Case-0123456789ab", "case-0123456789ag"} {
		if ValidCaseID(id) {
			t.Errorf("ValidCaseID(%q)", id)
		}
	}
}

func TestValidate(t *testing.T) {
	long := strings.Repeat("x", MaxFieldLen+1)
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"PHR: fine", PHR{PatientName: "Pat", DateOfBirth: "2000-01-31", Notes: strings.Repeat("x", MaxFieldLen)}.Validate(), ""},
		{"PHR: no name", PHR{}.Validate(), "name is required"},
		{"PHR: bad date", PHR{PatientName: "Pat", DateOfBirth: "2000-02-30"}.Validate(), "not YYYY-MM-DD"},
		{"PHR: long date clipped", PHR{PatientName: "Pat", DateOfBirth: strings.Repeat("9", 50)}.Validate(), strings.Repeat("9", 40) + `..."`},
		{"PHR: notes too long", PHR{PatientName: "Pat", Notes: long}.Validate(), "notes is 65537 bytes"},
		{"PHR: bad UTF-8", PHR{PatientName: "Pat", Allergies: "\xff"}.Validate(), "allergies is not valid UTF-8"},
		{"report: fine", rep.Validate(), ""},
		{"report: no findings", MedicalReport{}.Validate(), "findings are required"},
		{"report: too long", MedicalReport{Findings: "f", Prescriptions: long}.Validate(), "prescriptions is 65537 bytes"},
		{"report: bad UTF-8", MedicalReport{Findings: "\xc3"}.Validate(), "findings is not valid UTF-8"},
	} {
		if tc.want == "" && tc.err != nil || tc.want != "" && (tc.err == nil || !strings.Contains(tc.err.Error(), tc.want)) {
			t.Errorf("%s: %v, want %q", tc.name, tc.err, tc.want)
		}
	}
}

func TestVerifyKeys(t *testing.T) {
	sr := signedBy(docKey)
	if err := sr.Verify(doc.Key[:31]); err == nil || !strings.Contains(err.Error(), "no valid doctor key") {
		t.Fatalf("short expected key: %v", err)
	}
	short := *sr
	short.DoctorKey = short.DoctorKey[:31]
	if err := short.Verify(doc.Key); err == nil {
		t.Fatal("a report with a short key verified")
	}
	badFP := *sr
	badFP.Doctor = doc2.Fingerprint
	if err := badFP.Verify(doc.Key); err == nil || !strings.Contains(err.Error(), "not by the doctor assigned") {
		t.Fatalf("fingerprint of another doctor: %v", err)
	}
	empty := *sr
	empty.Report.Findings = ""
	if err := empty.Verify(doc.Key); err == nil || !strings.Contains(err.Error(), "findings are required") {
		t.Fatalf("report without findings: %v", err)
	}
}
