package ui

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"qkdchat/node"
	"qkdchat/nodetest"
)

// notes records the desktop notifications of one shell.
type notes struct {
	mu   sync.Mutex
	list []string
}

func (n *notes) Notify(x *fyne.Notification) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.list = append(n.list, x.Content)
}

func (n *notes) get() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.list...)
}

// desk is what a user's desktop does for the app: open files, ask where
// to save, show notifications.
type desk struct {
	notes
	mu       sync.Mutex
	launched []string
	saveTo   string
}

func (d *desk) Launch(path string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.launched = append(d.launched, path)
	return nil
}

func (d *desk) AskSave(_ string, done func(string)) { done(d.saveTo) }

// clinicUser is one node, its shell and its desktop.
type clinicUser struct {
	name string
	n    *node.Node
	s    *Shell
	w    fyne.Window
	d    *desk
	// The tab and conversation the user last chose: nothing else may
	// change them.
	tab  string
	conv convKey
}

func newClinicUser(t *testing.T, a fyne.App, th *Thread, name string, role node.Role) *clinicUser {
	t.Helper()
	n, dir := nodetest.New(t, name, role, node.BB84Settings{})
	u := &clinicUser{name: name, n: n, d: &desk{saveTo: filepath.Join(t.TempDir(), "saved")}}
	u.w = test.NewTempWindow(t, nil)
	th.Run(func() {
		u.s = NewShell(a, u.w, n, ShellOptions{Dir: dir, Thread: th, Notifier: &u.d.notes, Launcher: u.d, SaveAsker: u.d})
		u.s.settings.Notifications = true
		u.w.SetContent(u.s.Content())
		u.w.Resize(DefaultWindowSize)
	})
	t.Cleanup(func() {
		u.s.Close()
		u.s.Wait()
	})
	return u
}

// click selects a tab as the user does.
func (u *clinicUser) click(tab string) {
	u.s.ShowTab(tab)
	u.tab = tab
}

// openConv taps a conversation in the sidebar.
func (u *clinicUser) openConv(t *testing.T, k convKey) {
	t.Helper()
	r, ok := u.s.sidebar.rows[k]
	if !ok {
		t.Fatalf("%s: no conversation %+v in the sidebar", u.name, k)
	}
	test.Tap(r.button)
	u.conv = k
	if u.tab != TabBB84 {
		u.tab = TabChat
	}
}

// unmoved fails if the app changed the user's tab or conversation.
func (u *clinicUser) unmoved(t *testing.T, step string) {
	t.Helper()
	if got := u.s.SelectedTab(); got != u.tab {
		t.Errorf("%s: %s switched the tab from %s to %s", u.name, step, u.tab, got)
	}
	if u.s.inbox.current != u.conv {
		t.Errorf("%s: %s switched the conversation from %+v to %+v", u.name, step, u.conv, u.s.inbox.current)
	}
}

// formEntry returns the entry of the form item labelled label below o.
func formEntry(t *testing.T, o fyne.CanvasObject, label string) *widget.Entry {
	t.Helper()
	var found *widget.Entry
	nodetest.Walk(o, func(o fyne.CanvasObject) {
		if f, ok := o.(*widget.Form); ok {
			for _, it := range f.Items {
				if e, ok := it.Widget.(*widget.Entry); ok && it.Text == label && found == nil {
					found = e
				}
			}
		}
	})
	if found == nil {
		t.Fatalf("no form field %q", label)
	}
	return found
}

// shownRows returns the chat rows the chat list renders.
func shownRows(s *Shell) []*chatRow {
	var found []*chatRow
	walkRendered(s.chat.list, func(o fyne.CanvasObject) bool {
		r, ok := o.(*chatRow)
		if ok {
			found = append(found, r)
		}
		return !ok
	})
	return found
}

func writeFile(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestClinicFlowWithFilesNeverSwitchesTabs drives the clinic through
// three windows: the patient sends a health record with an X-ray, the
// hospital refers it, the doctor reports with a letter, and the patient
// opens the report card in the chat and saves the letter, which holds the
// doctor's bytes. News shows as badges, a status line and one
// notification per object; no step moves anyone's tab or conversation.
func TestClinicFlowWithFilesNeverSwitchesTabs(t *testing.T) {
	a := test.NewTempApp(t)
	clinicFlow(t, a)
}

// clinicFlow runs the clinic of TestClinicFlowWithFilesNeverSwitchesTabs
// in app a and returns its users.
func clinicFlow(t *testing.T, a fyne.App) (th *Thread, pat, hos, doc *clinicUser) {
	t.Helper()
	th = &Thread{}
	pat = newClinicUser(t, a, th, "Pat", node.RolePatient)
	hos = newClinicUser(t, a, th, "Mercy", node.RoleHospital)
	doc = newClinicUser(t, a, th, "Dr Who", node.RoleDoctor)
	all := []*clinicUser{pat, hos, doc}
	// Each user is at work on a tab of their own before anyone pairs.
	th.Run(func() {
		pat.click(TabRole)
		hos.click(TabLedger)
		doc.click(TabSettings)
	})
	nodetest.Pair(t, pat.n, hos.n)
	nodetest.Pair(t, hos.n, doc.n)
	// Roles are granted, not claimed: the hospital refers only to a doctor
	// it approved (this one paired with the plain code, not an invite).
	if _, err := hos.n.Clinic().Approve(doc.n.Fingerprint()); err != nil {
		t.Fatal(err)
	}
	debugState = func() string {
		var b strings.Builder
		for _, u := range all {
			fmt.Fprintf(&b, "%s: tab %s %q, status %q, notes %q\n", u.name, u.s.SelectedTab(), u.s.TabTitle(u.s.SelectedTab()), u.s.status.Text, u.d.get())
		}
		return b.String()
	}
	// Pairing filled the empty chats, and moved no tab.
	eventually(t, th, "the chats filled", func() bool {
		_, ok := hos.s.sidebar.rows[convKey{Peer: doc.n.Fingerprint()}]
		return ok && pat.s.inbox.current.Peer != "" && hos.s.inbox.current.Peer != "" && doc.s.inbox.current.Peer != ""
	})
	th.Run(func() {
		pat.conv, doc.conv = pat.s.inbox.current, doc.s.inbox.current
		// The clerk reads the chat with the doctor.
		hos.click(TabChat)
		hos.openConv(t, convKey{Peer: doc.n.Fingerprint()})
		for _, u := range all {
			u.unmoved(t, "pairing")
		}
	})

	// The patient fills the health record, drops an X-ray on the window
	// and sends it.
	xray := bytes.Repeat([]byte("chest x-ray "), 60000) // 720 kB: three chunks
	xrayPath := writeFile(t, "chest-xray.png", xray)
	letter := bytes.Repeat([]byte("%PDF discharge letter "), 25000)
	letterPath := writeFile(t, "letter.pdf", letter)
	th.Run(func() {
		role := pat.s.role.Content()
		name := formEntry(t, role, "Patient name")
		if name.Text != "Pat" {
			t.Errorf("patient name %q, want the profile's name pre-filled", name.Text)
		}
		name.SetText("") // the record is for the full name
		test.Type(name, "Pat Smith")
		test.Type(formEntry(t, role, "Symptoms"), "fever, cough")
		pat.s.att.dropped([]fyne.URI{storage.NewFileURI(xrayPath)})
		test.Tap(nodetest.FindButton(role, "Send health record"))
	})

	// The hospital: badges on Cases and Chat, a status line and one
	// notification; the clerk stays in the chat with the doctor.
	eventually(t, th, "the record's badges at the hospital", func() bool {
		return hos.s.TabTitle(TabRole) == "Cases (1)" && hos.s.TabTitle(TabChat) == "Chat (1)"
	})
	var caseID string
	th.Run(func() {
		hos.unmoved(t, "a new health record")
		if st := hos.s.status.Text; !strings.HasPrefix(st, "New health record from Pat: Pat Smith · ") || !strings.Contains(st, "fever") {
			t.Errorf("hospital status %q", st)
		}
		cs, err := hos.n.Clinic().Cases()
		if err != nil || len(cs) != 1 {
			t.Fatalf("hospital cases %v %v", cs, err)
		}
		caseID = cs[0].ID
		k := convKey{Peer: pat.n.Fingerprint(), Case: caseID}
		if r := hos.s.sidebar.rows[k]; r == nil || r.badge.Count() != 1 {
			t.Errorf("the case conversation's badge: %+v", r)
		}
		// The clerk opens the Cases tab and the case: the badge clears.
		hos.click(TabRole)
		hos.s.role.ShowCase(caseID)
		if got := hos.s.TabTitle(TabRole); got != "Cases" {
			t.Errorf("after opening the case the tab says %q", got)
		}
	})
	// The case view shows once the pane has read the case.
	eventually(t, th, "the case shown at the hospital", func() bool { return len(hos.s.role.FileRows()) == 1 })
	th.Run(func() { test.Tap(nodetest.FindButton(hos.s.role.Content(), "Refer to doctor")) })

	// The doctor: a referral badge; writes the report with a letter.
	eventually(t, th, "the referral at the doctor", func() bool { return doc.s.TabTitle(TabRole) == "Reports (1)" })
	th.Run(func() {
		doc.unmoved(t, "a new referral")
		doc.click(TabRole)
		doc.s.role.ShowCase(caseID)
	})
	eventually(t, th, "the case shown at the doctor", func() bool { return len(doc.s.role.FileRows()) == 1 })
	th.Run(func() {
		role := doc.s.role.Content()
		test.Type(formEntry(t, role, "Findings"), "bronchitis")
		test.Type(formEntry(t, role, "Prescriptions"), "rest")
		doc.s.att.dropped([]fyne.URI{storage.NewFileURI(letterPath)})
		test.Tap(nodetest.FindButton(role, "Send report"))
	})

	// The patient: the report arrives (relayed by the hospital) while
	// the patient stays on the Health record tab.
	reportConv := convKey{Peer: hos.n.Fingerprint(), Case: caseID}
	eventually(t, th, "the report in the patient's chat", func() bool {
		c, ok := pat.s.inbox.convs[reportConv]
		if !ok {
			return false
		}
		for _, e := range c.entries {
			if e.report && len(e.files) == 1 {
				return true
			}
		}
		return false
	})
	th.Run(func() {
		pat.unmoved(t, "a report")
		if got := pat.s.TabTitle(TabChat); got != "Chat (2)" { // the referral notice and the report
			t.Errorf("patient's chat tab %q", got)
		}
		// The user opens the case conversation and finds the report card.
		pat.openConv(t, reportConv)
		if got := pat.s.TabTitle(TabChat); got != "Chat" {
			t.Errorf("opening the conversation left %q", got)
		}
	})
	var card *chatRow
	eventually(t, th, "the report card drawn", func() bool {
		for _, r := range shownRows(pat.s) {
			if r.openCase != nil {
				card = r
			}
		}
		return card != nil
	})
	th.Run(func() {
		txt := card.bubble.Message().Text
		if !strings.HasPrefix(txt, "Medical report · Pat Smith · ") || !strings.Contains(txt, "Findings: bronchitis") ||
			strings.Contains(txt, "relayed") || strings.Contains(txt, "case-") {
			t.Errorf("report card %q", txt)
		}
		if len(card.rows) != 1 || card.rows[0].Label.Text != "letter.pdf · 537.1 KB" {
			t.Fatalf("report card files %+v", card.rows)
		}
		test.Tap(card.rows[0].Save)
	})
	eventually(t, th, "the letter saved", func() bool { return strings.HasPrefix(pat.s.status.Text, "Saved letter.pdf") })
	if got, err := os.ReadFile(pat.d.saveTo); err != nil || !bytes.Equal(got, letter) {
		t.Fatalf("the patient saved %d bytes (%v), the doctor sent %d", len(got), err, len(letter))
	}
	th.Run(func() {
		pat.unmoved(t, "saving")
		// The card opens its case, on the user's click.
		test.Tap(card.openCase)
		pat.tab = TabRole
		pat.unmoved(t, "opening the case")
	})

	// The hospital's X-ray: the case view opens it with its name.
	eventually(t, th, "the hospital's case view with both files", func() bool { return len(hos.s.role.FileRows()) == 2 })
	th.Run(func() {
		rows := hos.s.role.FileRows()
		if rows[0].Label.Text != "chest-xray.png · 703.1 KB" || rows[1].Label.Text != "letter.pdf · 537.1 KB" {
			t.Errorf("hospital's files %q, %q", rows[0].Label.Text, rows[1].Label.Text)
		}
		test.Tap(rows[0].Open)
	})
	eventually(t, th, "the X-ray opened", func() bool {
		hos.d.mu.Lock()
		defer hos.d.mu.Unlock()
		return len(hos.d.launched) == 1
	})
	if got, err := os.ReadFile(hos.d.launched[0]); err != nil || !bytes.Equal(got, xray) || filepath.Base(hos.d.launched[0]) != "chest-xray.png" {
		t.Errorf("opened %s: %d bytes (%v)", hos.d.launched[0], len(got), err)
	}

	// One notification per new object, none for a user's own.
	time.Sleep(100 * time.Millisecond)
	th.Run(func() {
		for _, c := range []struct {
			u    *clinicUser
			want []string
		}{
			{pat, []string{"New referral from Mercy", "New medical report from Mercy"}},
			{hos, []string{"New health record from Pat", "New medical report from Dr Who"}},
			{doc, []string{"New referral from Mercy"}},
		} {
			if got := c.u.d.get(); strings.Join(got, "|") != strings.Join(c.want, "|") {
				t.Errorf("%s was notified %q, want %q", c.u.name, got, c.want)
			}
			c.u.unmoved(t, "the whole flow")
		}
	})
	return th, pat, hos, doc
}

// TestChatSendsFilesWithProgressBothWays attaches a file by dropping it
// on the Chat tab: it waits in the compose area until Send, shows its
// progress on both sides, and arrives as a bubble whose file opens with
// its own name and bytes.
func TestChatSendsFilesWithProgressBothWays(t *testing.T) {
	a := test.NewTempApp(t)
	th := &Thread{}
	alice := newClinicUser(t, a, th, "Alice", node.RolePatient)
	bob := newClinicUser(t, a, th, "Bob", node.RoleHospital)
	nodetest.Pair(t, alice.n, bob.n)
	k := convKey{Peer: bob.n.Fingerprint()}
	eventually(t, th, "the conversations", func() bool { return alice.s.inbox.current == k && bob.s.inbox.current.Peer != "" })
	scan := bytes.Repeat([]byte("MRI "), 200000) // 800 kB: four chunks
	path := writeFile(t, "knee MRI.dcm", scan)
	th.Run(func() {
		bob.click(TabChat)
		bob.conv = bob.s.inbox.current
		// Dropped on another tab: nothing is staged.
		alice.click(TabConnect)
		alice.s.att.dropped([]fyne.URI{storage.NewFileURI(path)})
		if len(alice.s.chat.Staged()) != 0 || !strings.Contains(alice.s.status.Text, "Chat tab") {
			t.Errorf("a drop on Connect staged %v, status %q", alice.s.chat.Staged(), alice.s.status.Text)
		}
		alice.openConv(t, k)
		alice.s.att.dropped([]fyne.URI{storage.NewFileURI(path)})
		if got := alice.s.chat.Staged(); len(got) != 1 || !strings.Contains(alice.s.chat.stagedLbl.Text, "knee MRI.dcm") {
			t.Errorf("staged %v, %q", got, alice.s.chat.stagedLbl.Text)
		}
		test.Type(alice.s.chat.compose, "the scan")
		test.Tap(alice.s.chat.send)
		if len(alice.s.chat.Staged()) != 0 {
			t.Error("Send left the file staged")
		}
	})
	progress := func(s *Shell, prefix string) (float64, string) {
		for _, o := range s.chat.transfers.Objects {
			if r := o.(interface {
				Name() string
				Progress() (float64, string)
			}); strings.HasPrefix(r.Name(), prefix) {
				return r.Progress()
			}
		}
		return -1, ""
	}
	eventually(t, th, "the file at Bob", func() bool {
		c := bob.s.inbox.convs[k2(alice)]
		return c != nil && len(c.entries) == 1 && len(c.entries[0].files) == 1
	})
	// Alice's last progress event comes from her own event loop, which a
	// loaded machine may run after Bob's has shown the message.
	eventually(t, th, "Alice's progress at done", func() bool {
		f, st := progress(alice.s, "Sending knee MRI.dcm")
		return f == 1 && st == "done · 781.2 KB"
	})
	th.Run(func() {
		if f, st := progress(bob.s, "Receiving a file from Alice"); f != 1 || st != "done · 781.2 KB" {
			t.Errorf("Bob's progress %v %q", f, st)
		}
		e := bob.s.inbox.convs[k2(alice)].entries[0]
		if e.msg.Text != "the scan" || e.files[0].Name != "knee MRI.dcm" {
			t.Errorf("Bob's bubble %q with %+v", e.msg.Text, e.files)
		}
		// Bob is reading the conversation: no notification, no badge.
		if got := bob.d.get(); len(got) != 0 || bob.s.TabTitle(TabChat) != "Chat" {
			t.Errorf("Bob, reading, got notifications %q and tab %q", got, bob.s.TabTitle(TabChat))
		}
	})
	var row *chatRow
	eventually(t, th, "the file row drawn", func() bool {
		for _, r := range shownRows(bob.s) {
			if len(r.rows) == 1 {
				row = r
			}
		}
		return row != nil
	})
	th.Run(func() {
		if row.rows[0].Label.Text != "knee MRI.dcm · 781.2 KB" {
			t.Errorf("file row %q", row.rows[0].Label.Text)
		}
		test.Tap(row.rows[0].Open)
	})
	eventually(t, th, "the file opened", func() bool { return strings.HasPrefix(bob.s.status.Text, "Opened knee MRI.dcm") })
	if got, err := os.ReadFile(bob.d.launched[0]); err != nil || !bytes.Equal(got, scan) || filepath.Base(bob.d.launched[0]) != "knee MRI.dcm" {
		t.Errorf("opened %v: %d bytes (%v)", bob.d.launched, len(got), err)
	}
	th.Run(func() {
		alice.unmoved(t, "sending a file")
		bob.unmoved(t, "receiving a file")
		if len(alice.d.get()) != 0 {
			t.Errorf("Alice was notified of her own message: %q", alice.d.get())
		}
	})
}

// k2 is the general conversation with u.
func k2(u *clinicUser) convKey { return convKey{Peer: u.n.Fingerprint()} }
