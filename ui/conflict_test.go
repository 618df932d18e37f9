package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"qkdchat/identity"
	"qkdchat/node"
	"qkdchat/nodetest"
)

// TestConflictWarningUntilDismissed: a standing ledger conflict shows as
// a red warning above the tabs until the user taps Dismiss.
func TestConflictWarningUntilDismissed(t *testing.T) {
	a := test.NewTempApp(t)
	n, dir := nodetest.New(t, "Pat", node.RolePatient, node.BB84Settings{})
	peer, err := identity.LoadOrCreate(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Ledger().RecordReportedConflict(peer.Public(), "your checkpoint at size 3 conflicts with the one of size 5 I cosigned (fork)"); err != nil {
		t.Fatal(err)
	}
	th := &Thread{}
	s, _ := newTestShell(t, a, n, dir, th)
	eventually(t, th, "the conflict warning", func() bool { return s.conflict.Content().Visible() })
	th.Run(func() {
		all := texts(s.conflict.Content())
		if !strings.Contains(all, "Ledger conflict") || !strings.Contains(all, "size 3 conflicts") {
			t.Errorf("warning text:\n%s", all)
		}
		red := false
		nodetest.Walk(s.conflict.Content(), func(o fyne.CanvasObject) {
			if l, ok := o.(*widget.Label); ok && l.Importance == widget.DangerImportance {
				red = true
			}
		})
		if !red {
			t.Error("the warning is not shown in the danger colour")
		}
		test.Tap(nodetest.FindButton(s.conflict.Content(), "Dismiss"))
	})
	eventually(t, th, "the warning gone", func() bool { return !s.conflict.Content().Visible() })
	if pcs, err := n.Ledger().PeerConflicts(); err != nil || len(pcs) != 0 {
		t.Fatalf("after Dismiss: %d standing conflicts (%v)", len(pcs), err)
	}
}

// TestConflictBannerPushesTabsDown: when the banner appears, the tabs move
// below it instead of staying under it (the window is laid out again).
func TestConflictBannerPushesTabsDown(t *testing.T) {
	a := test.NewTempApp(t)
	n, dir := nodetest.New(t, "Pat", node.RolePatient, node.BB84Settings{})
	th := &Thread{}
	s, _ := newTestShell(t, a, n, dir, th)
	peer, err := identity.LoadOrCreate(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Ledger().RecordReportedConflict(peer.Public(), "your checkpoint at size 3 conflicts with the one of size 5 I cosigned (fork)"); err != nil {
		t.Fatal(err)
	}
	th.Run(func() { s.conflict.Reload() })
	eventually(t, th, "the conflict warning", func() bool { return s.conflict.Content().Visible() })
	eventually(t, th, "the tabs below the banner", func() bool {
		c := s.content.(*fyne.Container)
		for _, o := range c.Objects {
			if o == s.conflict.Content() || !o.Visible() || o.Position().Y > c.Size().Height/2 {
				continue // the banner itself, or the status line at the bottom
			}
			if o.Position().Y < s.conflict.Content().Size().Height {
				return false
			}
		}
		return s.conflict.Content().Size().Height > 0
	})
}
