package ui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"qkdchat/nearby"
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

// TestOnLANHospitalListensAtStartAndPatientJoinsNearby: with OnLAN (the
// app proper), a hospital's shell listens from start-up on the address
// it remembers and says so in its status line; a patient's Join pane
// lists the hospital the LAN announces ("Nearby: St Mary") and joins it
// with just the code. The LAN is the node's Browse hook, on 127.0.0.1.
func TestOnLANHospitalListensAtStartAndPatientJoinsNearby(t *testing.T) {
	a := test.NewTempApp(t)
	th := &Thread{}
	ho := nodetest.Options(node.BB84Settings{})
	ho.Announce = func(nearby.Announcement) (io.Closer, error) {
		return nil, errors.New("a loopback listener announced itself")
	}
	h, hdir := nodetest.Open(t, node.Profile{Name: "St Mary", Role: node.RoleHospital}, ho)
	// A run before this one listened on 127.0.0.1:PORT; its listener is gone.
	ctx, cancel := context.WithCancel(context.Background())
	st, err := h.Reach().Listen(ctx, "127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	nodetest.Eventually(t, "the first listener to close", func() bool {
		l, err := net.Listen("tcp", st.Addr)
		if err == nil {
			l.Close()
		}
		return err == nil
	})

	w := test.NewTempWindow(t, nil)
	var hs *Shell
	th.Run(func() {
		hs = NewShell(a, w, h, ShellOptions{Dir: hdir, Thread: th, OnLAN: true})
		w.SetContent(hs.Content())
	})
	t.Cleanup(func() { hs.Close(); hs.Wait() })
	eventually(t, th, "the hospital listening at start-up on "+st.Addr, func() bool {
		return strings.HasPrefix(invites.Line(hs.listening.Shown()), "Listening on "+st.Addr)
	})
	var code string
	th.Run(func() { code = hs.connect.code })

	po := nodetest.Options(node.BB84Settings{})
	po.Browse = func(context.Context, nearby.BrowseOptions) ([]node.Hospital, error) {
		return []node.Hospital{{Name: "St Mary", Fingerprint: strings.ReplaceAll(h.Fingerprint(), " ", ""), Addrs: []string{st.Addr}}}, nil
	}
	p, pdir := nodetest.Open(t, node.Profile{Name: "Ann", Role: node.RolePatient}, po)
	pw := test.NewTempWindow(t, nil)
	var ps *Shell
	th.Run(func() {
		ps = NewShell(a, pw, p, ShellOptions{Dir: pdir, Thread: th, OnLAN: true})
		pw.SetContent(ps.Content())
	})
	t.Cleanup(func() { ps.Close(); ps.Wait() })
	eventually(t, th, "Nearby: St Mary", func() bool { return strings.Contains(texts(ps.join.Content()), "Nearby: St Mary") })
	th.Run(func() {
		var e *widget.Entry
		nodetest.Walk(ps.join.Content(), func(o fyne.CanvasObject) {
			if x, ok := o.(*widget.Entry); ok && strings.HasPrefix(x.PlaceHolder, "code, e.g.") {
				e = x
			}
		})
		e.SetText(code)
		e.OnSubmitted(code)
	})
	var text string
	eventually(t, th, "the patient's join", func() bool {
		var failed bool
		text, failed = ps.join.Result()
		return failed || strings.HasPrefix(text, "Joined")
	})
	if !strings.HasPrefix(text, "Joined St Mary as a patient") {
		t.Fatalf("the patient's join: %q (code %q)", text, code)
	}
	nodetest.Eventually(t, "Ann at the hospital", func() bool { cs, _ := h.Contacts(); return len(cs) == 1 && cs[0].Name == "Ann" })

	// An invite made elsewhere (the CLI's /invite) shows in the Invite
	// tab: the shell reloads it on the node's invite events.
	rec, err := h.Invites().Create(node.RoleDoctor, "Dr Who", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, th, "the new invite in the Invite tab", func() bool {
		return strings.Contains(texts(hs.invite.Content()), fmt.Sprintf("Doctor invite %d for Dr Who", rec.Nameplate))
	})
}
