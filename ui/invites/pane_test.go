package invites

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"qkdchat/node"
	"qkdchat/nodetest"
)

// newNode opens a real node with a fresh data directory.
func newNode(t *testing.T, name string, role node.Role) *node.Node {
	t.Helper()
	n, _ := nodetest.New(t, name, role, node.BB84Settings{})
	return n
}

// newPane is a hospital listening on 127.0.0.1 with its Invite pane.
func newPane(t *testing.T, mu *sync.Mutex) (*Pane, string, *[]string) {
	t.Helper()
	test.NewTempApp(t)
	h := newNode(t, "St Mary", node.RoleHospital)
	addr, _, err := h.Listen(t.Context(), "127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	j := nodetest.NewJobs(t, mu)
	var copied []string
	mu.Lock()
	p := New(h.Invites(), h.Clinic(), j, func(label, _ string) { copied = append(copied, label) })
	test.NewTempWindow(t, p.Content())
	mu.Unlock()
	return p, addr.String(), &copied
}

// eventually polls cond under mu until it holds, or fails.
func eventually(t *testing.T, mu *sync.Mutex, what string, cond func() bool) {
	t.Helper()
	nodetest.Eventually(t, what, nodetest.Under(nodetest.Locked(mu), cond))
}

// shown is the text of every visible label below o.
func shown(o fyne.CanvasObject) string {
	var out []string
	var walk func(fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch v := o.(type) {
		case *widget.Label:
			if v.Visible() {
				out = append(out, v.Text)
			}
		case *fyne.Container:
			for _, c := range v.Objects {
				walk(c)
			}
		case *container.Scroll:
			walk(v.Content)
		case *widget.Card:
			walk(v.Content)
		}
	}
	walk(o)
	return strings.Join(out, "\n")
}

// TestBurnedInviteShowsInTheList: a dialer naming a patient invite's
// nameplate with wrong words burns it, and the hospital's Invite pane
// says so with what to do; the other invite stays open and revocable.
func TestBurnedInviteShowsInTheList(t *testing.T) {
	var mu sync.Mutex
	p, addr, copied := newPane(t, &mu)
	mu.Lock()
	p.name.SetText("Ann")
	test.Tap(p.patientBtn)
	mu.Unlock()
	eventually(t, &mu, "the patient invite", func() bool { return p.last.Code != "" && len(p.records) == 1 })
	mu.Lock()
	target := p.last
	test.Tap(p.doctorBtn)
	mu.Unlock()
	eventually(t, &mu, "the doctor invite", func() bool { return p.last.Code != target.Code && len(p.records) == 2 })
	mu.Lock()
	other := p.last
	if s := shown(p.Content()); !strings.Contains(s, "Give this invite to the doctor.") || !strings.Contains(s, other.Invite) || !strings.Contains(s, other.Link) {
		t.Errorf("the new invite is not shown whole:\n%s", s)
	}
	mu.Unlock()

	// The guess: the patient invite's nameplate with the other's words.
	// (Or, when both drew the same words, its own words swapped.)
	np, _, _ := strings.Cut(target.Code, "-")
	_, words, _ := strings.Cut(other.Code, "-")
	if _, own, _ := strings.Cut(target.Code, "-"); own == words {
		w1, w2, _ := strings.Cut(own, "-")
		words = w2 + "-" + w1
	}
	wrong := np + "-" + words
	if wrong == target.Code {
		t.Fatalf("no wrong guess from %s and %s", target.Code, other.Code)
	}
	guesser := newNode(t, "Guess", node.RolePatient)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := guesser.Connect(ctx, addr, wrong); err == nil {
		t.Fatal("the wrong guess paired")
	}
	eventually(t, &mu, "the burn in the list", func() bool {
		if !strings.Contains(shown(p.Content()), "Burned: a wrong guess burned it: issue a new one") {
			p.Reload()
			return false
		}
		return true
	})
	mu.Lock()
	s := shown(p.Content())
	if !strings.Contains(s, "Patient invite "+strconv.Itoa(target.Nameplate)+" for Ann\nBurned: a wrong guess burned it: issue a new one (the guess came from 127.0.0.1:") {
		t.Errorf("the burned invite's row:\n%s", s)
	}
	if !strings.Contains(s, "Doctor invite "+strconv.Itoa(other.Nameplate)+"\nOpen until") {
		t.Errorf("the other invite is not open:\n%s", s)
	}
	// One Revoke button, the open doctor invite's; tapping it revokes it.
	revoke := buttonsIn(p.list, "Revoke")
	if len(revoke) != 1 {
		t.Fatalf("%d Revoke buttons, want the open invite's only", len(revoke))
	}
	test.Tap(revoke[0])
	mu.Unlock()
	eventually(t, &mu, "the revoked invite", func() bool {
		return strings.Contains(shown(p.Content()), "Doctor invite "+strconv.Itoa(other.Nameplate)+"\nRevoked") && len(buttonsIn(p.list, "Revoke")) == 0
	})
	mu.Lock()
	test.Tap(buttonsIn(p.created, "Copy")[0])
	if len(*copied) != 1 || (*copied)[0] != "Invite" {
		t.Errorf("copied %v", *copied)
	}
	mu.Unlock()
}

// buttonsIn finds the buttons labelled text below o.
func buttonsIn(o fyne.CanvasObject, text string) []*widget.Button {
	var out []*widget.Button
	var walk func(fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch v := o.(type) {
		case *widget.Button:
			if v.Text == text {
				out = append(out, v)
			}
		case *fyne.Container:
			for _, c := range v.Objects {
				walk(c)
			}
		}
	}
	walk(o)
	return out
}
