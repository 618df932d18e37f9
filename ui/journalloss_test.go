package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"qkdchat/node"
	"qkdchat/nodetest"
)

// TestJournalLossCanBeAcceptedInTheApp: a ledger journal wiped after a
// crash makes the node refuse to start until the loss is acknowledged. A
// clinician who only uses the app must see what was lost, in words, and
// be able to accept it there, after which the app opens; the loss stays
// on record (verify still lists it, acknowledged).
func TestJournalLossCanBeAcceptedInTheApp(t *testing.T) {
	a := test.NewTempApp(t)
	dir := nodetest.JournalLost(t, node.Profile{Name: "Dr Ada", Role: node.RoleDoctor})

	m := NewMainWindow(a, Config{Dir: dir, Version: "1"})
	defer func() {
		m.Close()
		if s := m.Shell(); s != nil {
			s.Wait()
		}
	}()
	w := m.Window()
	deadline := time.Now().Add(30 * time.Second)
	var accept func()
	for accept == nil {
		m.th.Run(func() {
			all := texts(w.Content())
			if !strings.Contains(all, "journal") {
				return
			}
			for _, want := range []string{"missing", "ledger.db-journal.0", "Accept the loss"} {
				if !strings.Contains(all, want) {
					t.Fatalf("the journal-loss page lacks %q:\n%s", want, all)
				}
			}
			btn := nodetest.FindButton(w.Content(), "Accept the loss and open QKD Chat")
			accept = func() { test.Tap(btn) }
		})
		if accept == nil {
			if time.Now().After(deadline) {
				var all string
				m.th.Run(func() { all = texts(w.Content()) })
				t.Fatalf("no journal-loss page:\n%s", all)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	m.th.Run(accept)
	for {
		var open bool
		m.th.Run(func() { open = m.Shell() != nil })
		if open {
			break
		}
		if time.Now().After(deadline) {
			var all string
			m.th.Run(func() { all = texts(w.Content()) })
			t.Fatalf("the app did not open after the loss was accepted:\n%s", all)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
