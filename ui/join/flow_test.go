package join_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"qkdchat/node"
	"qkdchat/nodetest"
	"qkdchat/ui/invites"
	"qkdchat/ui/join"
)

// hospitalUI is a hospital node listening on 127.0.0.1 with its Invite
// pane; copying puts the value on the app's clipboard.
type hospitalUI struct {
	n    *node.Node
	pane *invites.Pane
	code string // the plain listener code
	addr string
}

func newHospital(t *testing.T, a fyne.App, mu *sync.Mutex) *hospitalUI {
	t.Helper()
	n := newNode(t, "St Mary", node.RoleHospital)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	addr, code, err := n.Listen(ctx, "127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	h := &hospitalUI{n: n, code: code, addr: addr.String()}
	mu.Lock()
	h.pane = invites.New(n.Invites(), n.Clinic(), nodetest.NewJobs(t, mu), func(_, v string) { a.Clipboard().SetContent(v) })
	test.NewTempWindow(t, h.pane.Content())
	mu.Unlock()
	return h
}

// invite taps "Invite a <role>" with name, waits for the invite and
// taps its Copy button: the invite is then on the clipboard.
func (h *hospitalUI) invite(t *testing.T, a fyne.App, mu *sync.Mutex, role node.Role, name string) string {
	t.Helper()
	mu.Lock()
	a.Clipboard().SetContent("")
	test.Type(entry(t, h.pane.Content(), "optional: whom"), name)
	test.Tap(button(t, h.pane.Content(), "Invite a "+string(role)))
	mu.Unlock()
	eventually(t, mu, "the "+string(role)+" invite", func() bool {
		return strings.Contains(labels(h.pane.Content()), "Give this invite to the "+string(role))
	})
	mu.Lock()
	defer mu.Unlock()
	test.Tap(buttons(h.pane.Content(), "Copy")[0]) // the invite string's
	inv := a.Clipboard().Content()
	if !strings.HasPrefix(inv, "qkdchat-invite-") {
		t.Fatalf("Copy put %q on the clipboard, not the invite", inv)
	}
	return inv
}

// joinUI is a patient's or doctor's node with its Join pane.
type joinUI struct {
	n    *node.Node
	pane *join.Pane
}

func newJoiner(t *testing.T, mu *sync.Mutex, name string, role node.Role) *joinUI {
	t.Helper()
	n := newNode(t, name, role)
	mu.Lock()
	defer mu.Unlock()
	p := join.New(n.Invites(), role, nodetest.NewJobs(t, mu))
	test.NewTempWindow(t, p.Content())
	return &joinUI{n: n, pane: p}
}

// paste pastes the clipboard into the Join field and taps Join, then
// waits for the outcome.
func (j *joinUI) paste(t *testing.T, a fyne.App, mu *sync.Mutex) (string, bool) {
	t.Helper()
	mu.Lock()
	f := entry(t, j.pane.Content(), "Paste the invite")
	f.SetText("")
	f.TypedShortcut(&fyne.ShortcutPaste{Clipboard: a.Clipboard()})
	test.Tap(button(t, j.pane.Content(), "Join"))
	mu.Unlock()
	var text string
	var failed bool
	eventually(t, mu, "the join's outcome", func() bool {
		text, failed = j.pane.Result()
		return failed || strings.HasPrefix(text, "Joined")
	})
	return text, failed
}

func doctorNames(n *node.Node) []string {
	var out []string
	for _, c := range n.Clinic().Doctors() {
		out = append(out, c.Name)
	}
	slices.Sort(out)
	return out
}

// TestInviteAndJoinThroughTheGUI is issue 14's GUI test: the hospital
// invites a patient and a doctor through its Invite pane, both join by
// pasting the invite into their Join pane, and the hospital's doctor list
// holds only the invited doctor: a third doctor who paired with the plain
// listener code is not listed until the hospital approves it.
func TestInviteAndJoinThroughTheGUI(t *testing.T) {
	a := test.NewTempApp(t)
	var mu sync.Mutex
	h := newHospital(t, a, &mu)
	pat := newJoiner(t, &mu, "Ann", node.RolePatient)
	doc := newJoiner(t, &mu, "Dr Bob", node.RoleDoctor)

	h.invite(t, a, &mu, node.RolePatient, "Ann")
	if text, failed := pat.paste(t, a, &mu); failed || !strings.Contains(text, "Joined St Mary as a patient") {
		t.Fatalf("patient's join: %q", text)
	}
	h.invite(t, a, &mu, node.RoleDoctor, "Dr Bob")
	if text, failed := doc.paste(t, a, &mu); failed || !strings.Contains(text, "Joined St Mary as a doctor") {
		t.Fatalf("doctor's join: %q", text)
	}

	// A third doctor pairs with the plain listener code: it claims the role.
	eve := newNode(t, "Dr Claim", node.RoleDoctor)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := eve.Connect(ctx, h.addr, h.code); err != nil {
		t.Fatalf("plain-code doctor: %v", err)
	}
	eventually(t, &mu, "three contacts at the hospital", func() bool {
		cs, _ := h.n.Contacts()
		return len(cs) == 3
	})
	if got := doctorNames(h.n); !slices.Equal(got, []string{"Dr Bob"}) {
		t.Fatalf("the hospital's doctors are %v, want only the invited Dr Bob", got)
	}

	// The pane lists both invites as used, and Dr Claim under approval.
	mu.Lock()
	h.pane.Reload()
	mu.Unlock()
	eventually(t, &mu, "the invites used and Dr Claim waiting", func() bool {
		s := labels(h.pane.Content())
		return strings.Count(s, "Used by ") == 2 && strings.Contains(s, "Dr Claim says they are a doctor")
	})
	mu.Lock()
	if s := labels(h.pane.Content()); !strings.Contains(s, "Used by Ann") || !strings.Contains(s, "Used by Dr Bob") || strings.Contains(s, "Dr Bob says") {
		t.Errorf("the Invite pane shows:\n%s", s)
	}
	test.Tap(button(t, h.pane.Content(), "Approve"))
	mu.Unlock()
	eventually(t, &mu, "Dr Claim approved", func() bool {
		return slices.Equal(doctorNames(h.n), []string{"Dr Bob", "Dr Claim"}) && !strings.Contains(labels(h.pane.Content()), "Dr Claim says")
	})
}
