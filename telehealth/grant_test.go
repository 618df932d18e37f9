package telehealth

import (
	"errors"
	"strings"
	"testing"
)

// TestPairedRole: the role a contact holds after a pairing. An invite's
// grant wins over whatever the peer's hello claims; a role granted once
// (by invite or by approval) survives later claims; a plain listener code
// gives the claimed role, marked as claimed.
func TestPairedRole(t *testing.T) {
	for _, tc := range []struct {
		name      string
		claimed   Role
		grant     Role
		prior     *Grant
		want      Role
		wantBasis RoleBasis
	}{
		{"listener code: the claim, marked claimed", RoleDoctor, "", nil, RoleDoctor, BasisClaimed},
		{"doctor invite, claims doctor", RoleDoctor, RoleDoctor, nil, RoleDoctor, BasisInvite},
		{"doctor invite, claims patient", RolePatient, RoleDoctor, nil, RoleDoctor, BasisInvite},
		{"patient invite, claims doctor", RoleDoctor, RolePatient, nil, RolePatient, BasisInvite},
		{"patient invite, claims hospital", RoleHospital, RolePatient, nil, RolePatient, BasisInvite},
		{"reconnect after invite, now claims doctor", RoleDoctor, "", &Grant{RolePatient, BasisInvite}, RolePatient, BasisInvite},
		{"reconnect after approval, claims patient", RolePatient, "", &Grant{RoleDoctor, BasisApproved}, RoleDoctor, BasisApproved},
		{"reconnect of a claimed contact, new claim", RoleHospital, "", &Grant{RoleDoctor, BasisClaimed}, RoleHospital, BasisClaimed},
		{"legacy contact (no basis), reconnect", RoleDoctor, "", &Grant{RoleDoctor, ""}, RoleDoctor, BasisClaimed},
		{"a new invite re-grants a known contact", RolePatient, RoleDoctor, &Grant{RolePatient, BasisInvite}, RoleDoctor, BasisInvite},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := PairedRole(tc.claimed, tc.grant, tc.prior)
			if g.Role != tc.want || g.Basis != tc.wantBasis {
				t.Errorf("PairedRole(%q, %q, %+v) = %+v, want %s/%s", tc.claimed, tc.grant, tc.prior, g, tc.want, tc.wantBasis)
			}
		})
	}
}

// TestCheckRosterDoctor: a hospital refers only to doctors it invited as
// doctors or approved; a claimed role is not enough.
func TestCheckRosterDoctor(t *testing.T) {
	for _, tc := range []struct {
		name  string
		role  Role
		basis RoleBasis
		ok    bool
	}{
		{"doctor by invite", RoleDoctor, BasisInvite, true},
		{"doctor approved", RoleDoctor, BasisApproved, true},
		{"doctor claimed with the listener code", RoleDoctor, BasisClaimed, false},
		{"doctor from before invites (no basis)", RoleDoctor, "", false},
		{"patient by invite", RolePatient, BasisInvite, false},
		{"patient approved", RolePatient, BasisApproved, false},
		{"hospital claimed", RoleHospital, BasisClaimed, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := actor(tc.role, "Dr X", docKey)
			a.Basis = tc.basis
			err := CheckRosterDoctor(a)
			if (err == nil) != tc.ok {
				t.Fatalf("CheckRosterDoctor(%s/%s) = %v, want ok=%v", tc.role, tc.basis, err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrRoleViolation) {
				t.Errorf("refusal %v is not a role violation", err)
			}
		})
	}
	claimed := doc
	claimed.Basis = BasisClaimed
	err := CheckRefer(hosp, submitted(), claimed)
	if !errors.Is(err, ErrRoleViolation) || !strings.Contains(err.Error(), "joined without a doctor invite") {
		t.Errorf("refer to a doctor who only claimed the role: %v", err)
	}
}

// TestCheckJoinRole: a joiner whose profile role differs from the
// invite's is refused before dialling, in words naming both.
func TestCheckJoinRole(t *testing.T) {
	for _, tc := range []struct {
		profile, invite Role
		want            string
	}{
		{RolePatient, RolePatient, ""},
		{RoleDoctor, RoleDoctor, ""},
		{RolePatient, RoleDoctor, "this invite is for a doctor; this profile is a patient"},
		{RoleDoctor, RolePatient, "this invite is for a patient; this profile is a doctor"},
		{RoleHospital, RolePatient, "this invite is for a patient; this profile is a hospital"},
		{RolePatient, RoleHospital, "an invite grants the role patient or doctor, not hospital"},
	} {
		err := CheckJoinRole(tc.profile, tc.invite)
		if tc.want == "" {
			if err != nil {
				t.Errorf("CheckJoinRole(%s, %s) = %v", tc.profile, tc.invite, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("CheckJoinRole(%s, %s) = %v, want %q", tc.profile, tc.invite, err, tc.want)
		}
		if err != nil && !errors.Is(err, ErrRoleViolation) {
			t.Errorf("CheckJoinRole(%s, %s): %v is not a role violation", tc.profile, tc.invite, err)
		}
	}
}
