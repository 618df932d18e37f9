package invites

import (
	"slices"
	"testing"
	"time"

	"qkdchat/node"
)

func TestStateLine(t *testing.T) {
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	later := now.Add(time.Hour)
	cases := []struct {
		r    node.InviteRecord
		want string
	}{
		{node.InviteRecord{State: node.InviteOpen, Expires: later}, "Open until " + later.Local().Format("Mon 2 Jan 15:04")},
		{node.InviteRecord{State: node.InviteOpen, Expires: now}, "Expired unused: issue a new one if it is still needed"},
		{node.InviteRecord{State: node.InviteUsed, PeerName: "Ann", Remote: "127.0.0.1:5"}, "Used by Ann"},
		{node.InviteRecord{State: node.InviteUsed, Remote: "127.0.0.1:5"}, "Used by 127.0.0.1:5"},
		{node.InviteRecord{State: node.InviteUsed}, "Used"},
		{node.InviteRecord{State: node.InviteBurned}, "Burned: a wrong guess burned it: issue a new one"},
		{node.InviteRecord{State: node.InviteBurned, Remote: "10.0.0.9:4"}, "Burned: a wrong guess burned it: issue a new one (the guess came from 10.0.0.9:4)"},
		{node.InviteRecord{State: node.InviteExpired}, "Expired unused: issue a new one if it is still needed"},
		{node.InviteRecord{State: node.InviteRevoked}, "Revoked"},
	}
	for _, c := range cases {
		if got := StateLine(c.r, now); got != c.want {
			t.Errorf("StateLine(%+v) = %q, want %q", c.r, got, c.want)
		}
	}
	if !Revocable(node.InviteRecord{State: node.InviteOpen, Expires: later}, now) ||
		Revocable(node.InviteRecord{State: node.InviteOpen, Expires: now}, now) ||
		Revocable(node.InviteRecord{State: node.InviteUsed, Expires: later}, now) {
		t.Error("only an open invite that has not expired can be revoked")
	}
	if got := Title(node.InviteRecord{Role: node.RoleDoctor, Nameplate: 42, Name: "Dr Bob"}); got != "Doctor invite 42 for Dr Bob" {
		t.Errorf("Title = %q", got)
	}
}

func TestUnapproved(t *testing.T) {
	cs := []node.Contact{
		{Name: "invited", Role: node.RoleDoctor, RoleBasis: node.BasisInvite},
		{Name: "approved", Role: node.RoleDoctor, RoleBasis: node.BasisApproved},
		{Name: "claimed", Role: node.RoleDoctor, RoleBasis: node.BasisClaimed},
		{Name: "old", Role: node.RoleDoctor},
		{Name: "patient", Role: node.RolePatient, RoleBasis: node.BasisClaimed},
	}
	var got []string
	for _, c := range Unapproved(cs) {
		got = append(got, c.Name)
	}
	if !slices.Equal(got, []string{"claimed", "old"}) {
		t.Errorf("Unapproved = %v", got)
	}
}

func TestLine(t *testing.T) {
	cases := []struct {
		l    Listening
		want string
	}{
		{Listening{}, "Not listening: patients and doctors cannot reach you."},
		{Listening{Note: "port 7450 is taken"}, "Not listening: patients and doctors cannot reach you (port 7450 is taken)."},
		{Listening{Listening: true, Addr: "0.0.0.0:7450", LAN: []string{"192.168.1.20:7450", "127.0.0.1:7450"}},
			"Listening on 0.0.0.0:7450 · reach me at 192.168.1.20:7450, 127.0.0.1:7450"},
		{Listening{Listening: true, Addr: "127.0.0.1:7450"}, "Listening on 127.0.0.1:7450"},
	}
	for _, c := range cases {
		if got := Line(c.l); got != c.want {
			t.Errorf("Line(%+v) = %q, want %q", c.l, got, c.want)
		}
	}
}
