package ui

import (
	"context"
	"net"
	"sort"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"

	"qkdchat/node"
	"qkdchat/nodetest"
	"qkdchat/ui/exchanges"
	"qkdchat/ui/prefs"
	"qkdchat/ui/widgets"
)

// connectViaPane types addr and code into the Connect pane and taps Connect.
func connectViaPane(s *Shell, addr, code string) {
	s.th.Run(func() {
		s.ShowTab(TabConnect)
		test.Type(s.connect.addr, addr)
		test.Type(s.connect.code2, code)
		test.Tap(s.connect.connectBtn)
	})
}

// pressEnter sends Return to the compose entry, with Shift held or not.
func pressEnter(e *widgets.ComposeEntry, shift bool) {
	if shift {
		e.KeyDown(&fyne.KeyEvent{Name: desktop.KeyShiftLeft})
	}
	e.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if shift {
		e.KeyUp(&fyne.KeyEvent{Name: desktop.KeyShiftLeft})
	}
}

func TestConnectWatchBB84ThenChat(t *testing.T) {
	a := test.NewTempApp(t)
	alice, adir := nodetest.New(t, "Alice", node.RolePatient, node.BB84Settings{Noise: 0.01})
	bob, _ := nodetest.New(t, "Bob", node.RoleHospital, node.BB84Settings{})
	bev, stop := bob.Events()
	defer stop()
	addr, code := nodetest.Listen(t, bob)
	th := &Thread{}
	s, _ := newTestShell(t, a, alice, adir, th)
	debugState = func() string {
		return "connect: " + s.connect.result.Text + "\nstatus: " + s.status.Text + "\nverdict: " + s.bb84.Shown().Verdict + "\ncurrent: " + s.inbox.current.Peer
	}

	connectViaPane(s, addr, code)
	eventually(t, th, "the BB84 verdict", func() bool { return s.bb84.Shown().Verdict == "secure" })
	th.Run(func() {
		if s.SelectedTab() != TabConnect {
			t.Errorf("pairing switched the tab to %q; the user was on Connect", s.tabs.Selected().Text)
		}
		if got := s.bb84.Shown().Counts["Key"]; got != "256 bits" {
			t.Errorf("final key %q, want 256 bits", got)
		}
		for _, n := range exchanges.CountNames {
			if s.bb84.Shown().Counts[n] == "-" {
				t.Errorf("count %s not filled", n)
			}
		}
		if !strings.HasPrefix(s.bb84.Shown().Gauge, "QBER ") || !strings.Contains(s.bb84.Shown().Gauge, "(threshold 11%)") {
			t.Errorf("gauge %q", s.bb84.Shown().Gauge)
		}
		if s.bb84.Shown().Qubits != 32 {
			t.Errorf("qubit table has %d rows, want the 32 traced qubits", s.bb84.Shown().Qubits)
		}
		if got := s.bb84.Shown().FirstQubit; got == "" {
			t.Error("qubit table is empty")
		}
		if c := s.bb84.Shown().BlochCaption; !strings.HasPrefix(c, "Qubit ") || !strings.Contains(c, "Alice sent |") {
			t.Errorf("bloch caption %q", c)
		}
		if runs := s.bb84.Shown().Runs; len(runs) != 1 || runs[0].Aborted || runs[0].Qubits == 0 {
			t.Errorf("history %+v", runs)
		}
		if _, ok := s.sidebar.rows[convKey{Peer: bob.Fingerprint()}]; !ok {
			t.Error("Bob is not in the sidebar")
		}
		if !strings.Contains(s.connect.result.Text, "Connected to Bob (Hospital)") {
			t.Errorf("connect pane says %q", s.connect.result.Text)
		}
	})

	// Chat: Shift+Enter makes a new line, Enter sends.
	th.Run(func() {
		s.ShowTab(TabChat)
		if !strings.Contains(s.chat.detail.Text, "epoch 1") {
			t.Errorf("chat header %q lacks the key epoch", s.chat.detail.Text)
		}
		test.Type(s.chat.compose, "hello")
		pressEnter(s.chat.compose, true)
		test.Type(s.chat.compose, "Bob")
		if s.chat.compose.Text != "hello\nBob" {
			t.Errorf("Shift+Enter: entry holds %q", s.chat.compose.Text)
		}
		pressEnter(s.chat.compose, false)
		if s.chat.compose.Text != "" {
			t.Errorf("Enter should send and clear the entry, left %q", s.chat.compose.Text)
		}
	})
	got := nodetest.WaitEvent(t, bev, "Alice's message at Bob", func(e node.Event) bool { return e.Type == node.EventMessage })
	if got.Message.Text != "hello\nBob" || got.Message.FromName != "Alice" {
		t.Fatalf("Bob got %+v", got.Message)
	}
	conv := func() *conversation { return s.inbox.convs[convKey{Peer: bob.Fingerprint()}] }
	eventually(t, th, "the delivery tick", func() bool {
		c := conv()
		return len(c.entries) == 1 && c.entries[0].msg.State == widgets.StateDelivered
	})
	th.Run(func() {
		m := conv().entries[0].msg
		if got := shownBubble(s, 0); got.State != widgets.StateDelivered || got.Text != "hello\nBob" {
			t.Errorf("the chat list shows %+v", got)
		}
		if m.Epoch != 1 || m.Sender != "You" || !m.Outgoing || m.Time.IsZero() {
			t.Errorf("bubble %+v", m)
		}
	})

	// Bob answers; the bubble shows in Alice's open conversation.
	if _, err := bob.Send(context.Background(), "Alice", node.KindChat, "", "hi Alice", nil); err != nil {
		t.Fatal(err)
	}
	eventually(t, th, "Bob's answer", func() bool { return len(conv().entries) == 2 })
	th.Run(func() {
		m := conv().entries[1].msg
		if got := shownBubble(s, 1); got != m {
			t.Errorf("the chat list shows %+v, want %+v", got, m)
		}
		if m.Text != "hi Alice" || m.Sender != "Bob" || m.Outgoing {
			t.Errorf("incoming bubble %+v", m)
		}
		if n := s.sidebar.rows[convKey{Peer: bob.Fingerprint()}].badge.Count(); n != 0 {
			t.Errorf("the open conversation has an unread badge of %d", n)
		}
	})

	// A message in another conversation (a case) raises a badge and a
	// notification.
	th.Run(func() { s.settings.Notifications = true })
	test.AssertNotificationSent(t, fyne.NewNotification("QKD Chat", "New message from Bob"), func() {
		if _, err := bob.Send(context.Background(), "Alice", node.KindChat, "C-42", "about your case", nil); err != nil {
			t.Fatal(err)
		}
		eventually(t, th, "the unread badge", func() bool {
			r, ok := s.sidebar.rows[convKey{Peer: bob.Fingerprint(), Case: "C-42"}]
			return ok && r.badge.Count() == 1
		})
	})
	th.Run(func() {
		test.Tap(s.sidebar.rows[convKey{Peer: bob.Fingerprint(), Case: "C-42"}].button)
		if r := s.sidebar.rows[convKey{Peer: bob.Fingerprint(), Case: "C-42"}]; r.badge.Count() != 0 {
			t.Error("opening the conversation should clear its badge")
		}
		if !strings.Contains(s.chat.title.Text, "Case C-42") {
			t.Errorf("chat title %q", s.chat.title.Text)
		}
	})
}

func TestConnectErrorsAreClear(t *testing.T) {
	a := test.NewTempApp(t)
	alice, adir := nodetest.New(t, "Alice", node.RolePatient, node.BB84Settings{})
	bob, _ := nodetest.New(t, "Bob", node.RoleDoctor, node.BB84Settings{})
	addr, code := nodetest.Listen(t, bob)
	th := &Thread{}
	s, _ := newTestShell(t, a, alice, adir, th)

	wrong := "wrong-" + code
	connectViaPane(s, addr, wrong)
	eventually(t, th, "the wrong-code error", func() bool {
		return strings.HasPrefix(s.connect.result.Text, "pairing failed: wrong code")
	})

	// A port nobody listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	th.Run(func() {
		s.connect.addr.SetText("")
		s.connect.code2.SetText("")
	})
	connectViaPane(s, closed, code)
	eventually(t, th, "connection refused", func() bool {
		return strings.HasPrefix(s.connect.result.Text, "connection refused")
	})

	// Bad input never reaches the network.
	th.Run(func() {
		s.connect.addr.SetText("no-port")
		test.Tap(s.connect.connectBtn)
		if !strings.Contains(s.connect.result.Text, "host:port") {
			t.Errorf("bad address: %q", s.connect.result.Text)
		}
	})
}

func TestListenPaneShowsAddressAndCode(t *testing.T) {
	a := test.NewTempApp(t)
	alice, adir := nodetest.New(t, "Alice", node.RoleHospital, node.BB84Settings{})
	bob, _ := nodetest.New(t, "Bob", node.RolePatient, node.BB84Settings{})
	th := &Thread{}
	s, _ := newTestShell(t, a, alice, adir, th)
	th.Run(func() {
		s.connect.listenHost.SetText("127.0.0.1")
		s.connect.listenPort.SetText("0")
		test.Tap(s.connect.listenBtn)
	})
	eventually(t, th, "the pairing code", func() bool { return s.connect.code != "" })
	var addr, code string
	th.Run(func() {
		addr, code = s.connect.addrs[0], s.connect.code
		all := texts(s.connect.content)
		if !strings.Contains(all, addr) || !strings.Contains(all, code) || !strings.Contains(all, "Copy") {
			t.Errorf("listen pane lacks address, code or copy button:\n%s", all)
		}
		// The copy button puts the code on the clipboard.
		var copyCode func()
		for _, o := range s.connect.listenInfo.Objects {
			if strings.Contains(texts(o), code) {
				copyCode = func() { test.Tap(nodetest.FindButton(o, "Copy")) }
			}
		}
		copyCode()
		if got := a.Clipboard().Content(); got != code {
			t.Errorf("clipboard %q, want the code", got)
		}
	})
	if _, err := bob.Connect(context.Background(), addr, code); err != nil {
		t.Fatal(err)
	}
	eventually(t, th, "Bob in the sidebar and a key", func() bool {
		_, ok := s.sidebar.rows[convKey{Peer: bob.Fingerprint()}]
		return ok && s.bb84.Shown().Verdict == "secure"
	})
	// Recent contacts: Bob is connected, so no reconnect is offered.
	th.Run(func() {
		if all := texts(s.connect.contacts); !strings.Contains(all, "Bob (Patient)") || !strings.Contains(all, "Connected") {
			t.Errorf("recent contacts:\n%s", all)
		}
		test.Tap(s.connect.stopBtn)
		if s.connect.code != "" {
			t.Error("stop should forget the code")
		}
	})
}

func TestEavesdropperAbortShowsVerdict(t *testing.T) {
	a := test.NewTempApp(t)
	alice, adir := nodetest.New(t, "Alice", node.RolePatient, node.BB84Settings{Noise: 0.01})
	bob, _ := nodetest.New(t, "Bob", node.RoleHospital, node.BB84Settings{})
	addr, code := nodetest.Listen(t, bob)
	seed := uint64(7)
	eve, err := node.NewEve(node.EveOptions{Listen: "127.0.0.1:0", Forward: addr, Intercept: 1, Seed: &seed})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go eve.Serve(ctx)
	th := &Thread{}
	s, _ := newTestShell(t, a, alice, adir, th)
	connectViaPane(s, eve.Addr().String(), code)
	eventually(t, th, "the abort verdict", func() bool { return strings.HasPrefix(s.bb84.Shown().Verdict, "aborted") })
	th.Run(func() {
		v := s.bb84.Shown().Verdict
		if !strings.HasPrefix(v, "aborted: eavesdropper suspected, QBER ") || !strings.HasSuffix(v, "% > 11%") {
			t.Errorf("verdict %q", v)
		}
		if got := s.bb84.Shown().Counts["Key"]; got != "none (aborted)" {
			t.Errorf("key %q", got)
		}
		runs := s.bb84.Shown().Runs
		if len(runs) != 1 || !runs[0].Aborted || !runs[0].EveDetected || runs[0].QBER < 0.15 {
			t.Errorf("history %+v", runs)
		}
		if !strings.HasPrefix(s.status.Text, "No new key with ") || !strings.Contains(s.status.Text, "someone was probably listening") {
			t.Errorf("status %q", s.status.Text)
		}
	})
	// Eve stops; a re-key from the panel makes a key.
	if err := eve.SetIntercept(0); err != nil {
		t.Fatal(err)
	}
	th.Run(func() { test.Tap(nodetest.FindButton(s.bb84.Content(), "Re-key now")) })
	eventually(t, th, "a key after Eve stops", func() bool { return s.bb84.Shown().Verdict == "secure" })
	th.Run(func() {
		if n := len(s.bb84.Shown().Runs); n != 2 {
			t.Errorf("%d runs in the history, want 2", n)
		}
		if len(s.bb84.Shown().Exchanges) != 2 {
			t.Errorf("exchange picker %v", s.bb84.Shown().Exchanges)
		}
		// Looking back at the first exchange shows its abort.
		s.bb84.SelectExchange(0)
		if !strings.HasPrefix(s.bb84.Shown().Verdict, "aborted") {
			t.Errorf("first exchange verdict %q", s.bb84.Shown().Verdict)
		}
		s.bb84.ShowBloch(3)
		if !strings.HasPrefix(s.bb84.Shown().BlochCaption, "Qubit 3:") {
			t.Errorf("bloch caption %q", s.bb84.Shown().BlochCaption)
		}
	})
}

// pairShells connects two shells' nodes directly and waits for a key on
// both.
func pairShells(t *testing.T, s1, s2 *Shell) {
	t.Helper()
	addr, code := nodetest.Listen(t, s2.node)
	if _, err := s1.node.Connect(context.Background(), addr, code); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Shell{s1, s2} {
		s := s
		eventually(t, s.th, "a key", func() bool { return s.bb84.Shown().Verdict == "secure" })
	}
}

func TestSettingsSaveAndApply(t *testing.T) {
	a := test.NewTempApp(t)
	n, dir := nodetest.New(t, "Ann", node.RoleDoctor, node.BB84Settings{})
	th := &Thread{}
	s, _ := newTestShell(t, a, n, dir, th)
	th.Run(func() {
		p := s.prefs
		if p.name.Text != "Ann" || p.role.Selected != "Doctor" || p.port.Text != "7450" || p.threshold.Text != "11" {
			t.Errorf("defaults: %q %q %q %q", p.name.Text, p.role.Selected, p.port.Text, p.threshold.Text)
		}
		p.port.SetText("99999")
		test.Tap(p.save)
		if !strings.HasPrefix(p.status.Text, "Not saved: port must be") {
			t.Errorf("bad port: %q", p.status.Text)
		}
		p.port.SetText("8000")
		p.threshold.SetText("9.5")
		p.rekey.SetText("0")
		p.theme.SetSelected("Dark")
		p.notify.SetChecked(false)
		p.name.SetText("Ann Lee")
		test.Tap(p.save)
		if !strings.HasPrefix(p.status.Text, "Saved.") {
			t.Errorf("save: %q", p.status.Text)
		}
	})
	st := prefs.Load(a.Preferences())
	if st.Port != 8000 || st.Threshold != 0.095 || st.RekeyInterval != 0 || st.Theme != prefs.ThemeDark || st.Notifications {
		t.Errorf("saved %+v", st)
	}
	if got := n.BB84().Threshold; got != 0.095 {
		t.Errorf("node threshold %v, want 0.095 at once", got)
	}
	if prof, err := node.LoadProfile(dir); err != nil || prof.Name != "Ann Lee" {
		t.Errorf("profile %+v %v", prof, err)
	}
	if a.Settings().Theme().Color("background", 0) != prefs.ThemeFor(prefs.ThemeDark).Color("background", 0) {
		t.Error("dark theme not applied")
	}
}

func TestFirstRunThenMainWindow(t *testing.T) {
	a := test.NewTempApp(t)
	dir := t.TempDir()
	m := NewMainWindow(a, Config{Dir: dir, Version: "9.8.7"})
	defer func() {
		m.Close()
		if s := m.Shell(); s != nil {
			s.Wait()
		}
	}()
	w := m.Window()
	if w.Title() != "QKD Chat" {
		t.Fatalf("title %q", w.Title())
	}
	var start func()
	m.th.Run(func() {
		all := texts(w.Content())
		for _, want := range []string{"Welcome to QKD Chat", "Version 9.8.7", "simulated BB84"} {
			if !strings.Contains(all, want) {
				t.Errorf("first-run form lacks %q:\n%s", want, all)
			}
		}
		btn := nodetest.FindButton(w.Content(), "Start")
		test.Tap(btn) // nothing chosen yet
		if !strings.Contains(texts(w.Content()), "Choose your role.") {
			t.Error("no error for a missing role")
		}
		start = func() { test.Tap(btn) }
	})
	m.th.Run(func() {
		form := findForm(w.Content())
		test.Type(form.Items[0].Widget.(fyne.Focusable), "Dr Ada")
		radio := form.Items[1].Widget.(interface{ SetSelected(string) })
		radio.SetSelected("Doctor: write reports on referred cases")
		start()
	})
	eventually(t, m.th, "the main window", func() bool { return m.Shell() != nil })
	prof, err := node.LoadProfile(dir)
	if err != nil || prof.Name != "Dr Ada" || prof.Role != node.RoleDoctor {
		t.Fatalf("profile %+v %v", prof, err)
	}
	m.th.Run(func() {
		if !strings.Contains(texts(w.Content()), "Dr Ada · Doctor") {
			t.Error("sidebar does not name the user")
		}
		if m.Shell().tabItems[TabRole].Text != "Reports" {
			t.Errorf("doctor's role tab %q", m.Shell().tabItems[TabRole].Text)
		}
	})
}

// shownBubble returns the message of the i-th bubble the chat list renders.
func shownBubble(s *Shell, i int) widgets.ChatMessage {
	var found []widgets.ChatMessage
	walkRendered(s.chat.list, func(o fyne.CanvasObject) bool {
		b, ok := o.(*widgets.ChatBubble)
		if ok {
			found = append(found, b.Message())
		}
		return !ok
	})
	// Rows are recycled and may be out of order; find by position.
	sort.Slice(found, func(a, b int) bool { return found[a].Time.Before(found[b].Time) })
	if i < len(found) {
		return found[i]
	}
	return widgets.ChatMessage{}
}
