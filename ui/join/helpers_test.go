package join_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"qkdchat/node"
	"qkdchat/nodetest"
)

// uiJobs runs work on goroutines and reports back under one lock, which
// stands for the UI goroutine; tests act on widgets under it too (run).
type uiJobs struct {
	mu  *sync.Mutex
	ctx context.Context
	wg  sync.WaitGroup
}

func newJobs(t *testing.T, mu *sync.Mutex) *uiJobs {
	ctx, cancel := context.WithCancel(context.Background())
	j := &uiJobs{mu: mu, ctx: ctx}
	t.Cleanup(func() { cancel(); j.wg.Wait() })
	return j
}

func (j *uiJobs) Go(f func()) {
	j.wg.Add(1)
	go func() { defer j.wg.Done(); f() }()
}

func (j *uiJobs) Do(f func()) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.ctx.Err() == nil {
		f()
	}
}

func (j *uiJobs) Context() context.Context { return j.ctx }

// newNode opens a real node with a fresh data directory.
func newNode(t *testing.T, name string, role node.Role) *node.Node {
	t.Helper()
	n, _ := nodetest.New(t, name, role, node.BB84Settings{})
	return n
}

// eventually polls cond under mu until it holds, or fails.
func eventually(t *testing.T, mu *sync.Mutex, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(40 * time.Second)
	for {
		mu.Lock()
		ok := cond()
		mu.Unlock()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// walk calls f on every object below o, in tree order.
func walk(o fyne.CanvasObject, f func(fyne.CanvasObject)) {
	if o == nil {
		return
	}
	f(o)
	switch v := o.(type) {
	case *fyne.Container:
		for _, c := range v.Objects {
			walk(c, f)
		}
	case *container.Scroll:
		walk(v.Content, f)
	case *widget.Card:
		walk(v.Content, f)
	case *widget.Form:
		for _, it := range v.Items {
			walk(it.Widget, f)
		}
	}
}

// button finds the button labelled text below o.
func button(t *testing.T, o fyne.CanvasObject, text string) *widget.Button {
	t.Helper()
	var found *widget.Button
	walk(o, func(c fyne.CanvasObject) {
		if b, ok := c.(*widget.Button); ok && b.Text == text && found == nil {
			found = b
		}
	})
	if found == nil {
		t.Fatalf("no %q button", text)
	}
	return found
}

// buttons finds every button labelled text below o.
func buttons(o fyne.CanvasObject, text string) []*widget.Button {
	var out []*widget.Button
	walk(o, func(c fyne.CanvasObject) {
		if b, ok := c.(*widget.Button); ok && b.Text == text {
			out = append(out, b)
		}
	})
	return out
}

// entry finds the entry whose placeholder starts with prefix below o.
func entry(t *testing.T, o fyne.CanvasObject, prefix string) *widget.Entry {
	t.Helper()
	var found *widget.Entry
	walk(o, func(c fyne.CanvasObject) {
		if e, ok := c.(*widget.Entry); ok && strings.HasPrefix(e.PlaceHolder, prefix) && found == nil {
			found = e
		}
	})
	if found == nil {
		t.Fatalf("no entry for %q", prefix)
	}
	return found
}

// labels is the text of every label below o.
func labels(o fyne.CanvasObject) string {
	var out []string
	walk(o, func(c fyne.CanvasObject) {
		if l, ok := c.(*widget.Label); ok && l.Visible() {
			out = append(out, l.Text)
		}
	})
	return strings.Join(out, "\n")
}
