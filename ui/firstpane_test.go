package ui

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"qkdchat/node"
	"qkdchat/nodetest"
	"qkdchat/ui/invites"
)

// TestRoleFirstPanes: a hospital's shell opens on Invite, with its
// listening status in a line outside the tabs (so visible on every tab);
// a patient's and a doctor's open on Join, and a patient's Connect tab
// no longer offers to wait for someone to connect.
func TestRoleFirstPanes(t *testing.T) {
	a := test.NewTempApp(t)
	th := &Thread{}
	h, hdir := nodetest.New(t, "St Mary", node.RoleHospital, node.BB84Settings{})
	hs, _ := newTestShell(t, a, h, hdir, th)
	th.Run(func() {
		if got := hs.SelectedTab(); got != TabInvite {
			t.Errorf("a hospital's shell opens on %q, want %q", got, TabInvite)
		}
		if hs.listening == nil || !strings.HasPrefix(invites.Line(hs.listening.Shown()), "Not listening") {
			t.Errorf("the hospital's status line is missing or wrong")
		}
		if hs.tabs.Items[0] != hs.tabItems[TabInvite] {
			t.Error("Invite is not the hospital's first tab")
		}
		if _, ok := hs.tabItems[TabJoin]; ok {
			t.Error("a hospital has a Join tab")
		}
	})
	addr, _, err := h.Listen(context.Background(), "127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, th, "the hospital's status line to say where it listens", func() bool {
		return strings.HasPrefix(invites.Line(hs.listening.Shown()), "Listening on "+addr.String())
	})
	th.Run(func() {
		hs.ShowTab(TabLedger)
		if !hs.listening.Content().Visible() || !strings.Contains(texts(hs.Content()), "Listening on "+addr.String()) {
			t.Error("the status line is not shown on the Ledger tab")
		}
	})

	for _, role := range []node.Role{node.RolePatient, node.RoleDoctor} {
		n, dir := nodetest.New(t, "Ann", role, node.BB84Settings{})
		s, _ := newTestShell(t, a, n, dir, th)
		th.Run(func() {
			if got := s.SelectedTab(); got != TabJoin {
				t.Errorf("a %s's shell opens on %q, want %q", role, got, TabJoin)
			}
			if s.tabs.Items[0] != s.tabItems[TabJoin] || s.listening != nil {
				t.Errorf("a %s: Join is not the first tab, or it has a listening line", role)
			}
			waits := strings.Contains(texts(s.connect.content), "Wait for someone to connect")
			if role == node.RolePatient && waits {
				t.Error("a patient still sees Wait for someone to connect")
			}
		})
	}
}
