package ui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"qkdchat/node"
	"qkdchat/nodetest"
)

// TestEveryTabFitsIn800x600: at 800x600 every tab of every role fits the
// window, so that nothing (Settings' Save, Reconnect, Send health record)
// is pushed out of reach: what does not fit scrolls.
func TestEveryTabFitsIn800x600(t *testing.T) {
	a := test.NewTempApp(t)
	small := fyne.NewSize(800, 600)
	th := &Thread{} // one UI goroutine for the three shells, as in an app
	for _, role := range []node.Role{node.RolePatient, node.RoleHospital, node.RoleDoctor} {
		n, dir := nodetest.New(t, "Ann", role, node.BB84Settings{})
		s, w := newTestShell(t, a, n, dir, th)
		th.Run(func() {
			w.Resize(small)
			for _, tab := range []string{TabConnect, TabChat, TabBB84, TabLedger, TabRole, TabSettings} {
				s.ShowTab(tab)
				if m := s.Content().MinSize(); m.Width > small.Width || m.Height > small.Height {
					t.Errorf("%s, %s tab: the window cannot be smaller than %v", role, tab, m)
				}
				if c := w.Canvas().Size(); c.Width > small.Width || c.Height > small.Height {
					t.Errorf("%s, %s tab: the window grew to %v", role, tab, c)
				}
			}
		})
	}
}
