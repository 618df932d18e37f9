package join_test

import (
	"strings"
	"sync"
	"testing"

	"fyne.io/fyne/v2"
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

// eventually polls cond under mu until it holds, or fails.
func eventually(t *testing.T, mu *sync.Mutex, what string, cond func() bool) {
	t.Helper()
	nodetest.Eventually(t, what, nodetest.Under(nodetest.Locked(mu), cond))
}

// button finds the button labelled text below o.
func button(t *testing.T, o fyne.CanvasObject, text string) *widget.Button {
	t.Helper()
	found := nodetest.FindButton(o, text)
	if found == nil {
		t.Fatalf("no %q button", text)
	}
	return found
}

// buttons finds every button labelled text below o.
func buttons(o fyne.CanvasObject, text string) []*widget.Button {
	var out []*widget.Button
	nodetest.Walk(o, func(c fyne.CanvasObject) {
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
	nodetest.Walk(o, func(c fyne.CanvasObject) {
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
	nodetest.Walk(o, func(c fyne.CanvasObject) {
		if l, ok := c.(*widget.Label); ok && l.Visible() {
			out = append(out, l.Text)
		}
	})
	return strings.Join(out, "\n")
}
