package join_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"fyne.io/fyne/v2/test"

	"qkdchat/node"
	"qkdchat/ui/join"
)

// TestNearbyJoinWithJustTheCode: the Nearby card lists the hospitals
// found as "Nearby: NAME"; a wrong code is refused in plain words, the
// right one joins, and a doctor who joined so is not on the hospital's
// roster until approved.
func TestNearbyJoinWithJustTheCode(t *testing.T) {
	a := test.NewTempApp(t)
	var mu sync.Mutex
	h := newHospital(t, a, &mu)
	doc := newJoiner(t, &mu, "Dr Near", node.RoleDoctor)
	asked := make(chan string, 4)
	f := join.Finder{
		Find: func(context.Context) ([]join.Hospital, error) {
			return []join.Hospital{{Name: "St Mary", Addrs: []string{h.addr}}}, nil
		},
		Join: func(ctx context.Context, near join.Hospital, code string) (*node.Session, error) {
			asked <- near.Name
			return doc.n.Connect(ctx, h.addr, code)
		},
	}
	mu.Lock()
	doc.pane.SetFinder(f)
	mu.Unlock()
	eventually(t, &mu, "St Mary nearby", func() bool { return strings.Contains(labels(doc.pane.Content()), "Nearby: St Mary") })

	attempt := func(code string) (string, bool) {
		mu.Lock()
		e := entry(t, doc.pane.Content(), "code, e.g.")
		e.SetText(code)
		test.Tap(buttons(doc.pane.Content(), "Join")[1]) // the nearby row's
		mu.Unlock()
		var text string
		var failed bool
		eventually(t, &mu, "the outcome", func() bool {
			text, failed = doc.pane.Result()
			return failed || strings.HasPrefix(text, "Joined")
		})
		return text, failed
	}
	wrong := "1-" + strings.SplitN(h.code, "-", 2)[1]
	if wrong == h.code {
		wrong = "2-" + strings.SplitN(h.code, "-", 2)[1]
	}
	if text, failed := attempt(wrong); !failed || !strings.Contains(text, "Could not join St Mary: the code is wrong") {
		t.Errorf("a wrong code: %q", text)
	}
	text, failed := attempt(h.code)
	if failed || !strings.Contains(text, "Joined St Mary as a doctor") || !strings.Contains(text, "approves you") {
		t.Fatalf("the right code: %q", text)
	}
	if n := <-asked; n != "St Mary" {
		t.Errorf("joined %q", n)
	}
	eventually(t, &mu, "the doctor at the hospital", func() bool { cs, _ := h.n.Contacts(); return len(cs) == 1 })
	if ds := h.n.Clinic().Doctors(); len(ds) != 0 {
		t.Errorf("a doctor who joined with the code is on the roster before approval: %v", ds)
	}
}

// TestNearbyFindError: a failed search says so and offers to look again.
func TestNearbyFindError(t *testing.T) {
	test.NewTempApp(t)
	var mu sync.Mutex
	pat := newJoiner(t, &mu, "Ann", node.RolePatient)
	mu.Lock()
	pat.pane.SetFinder(join.Finder{Find: func(context.Context) ([]join.Hospital, error) { return nil, errors.New("no multicast route") }})
	mu.Unlock()
	eventually(t, &mu, "the error", func() bool {
		return strings.Contains(labels(pat.pane.Content()), "Could not look for hospitals nearby: no multicast route")
	})
	mu.Lock()
	defer mu.Unlock()
	if b := button(t, pat.pane.Content(), "Look again"); b.Disabled() {
		t.Error("Look again is disabled after the search ended")
	}
}
