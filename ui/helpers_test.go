package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"qkdchat/node"
	"qkdchat/nodetest"
)

// newTestShell puts a shell for n in a headless test window.
func newTestShell(t *testing.T, a fyne.App, n *node.Node, dir string, th *Thread) (*Shell, fyne.Window) {
	t.Helper()
	w := test.NewTempWindow(t, nil)
	var s *Shell
	th.Run(func() {
		s = NewShell(a, w, n, ShellOptions{Dir: dir, Thread: th})
		w.SetContent(s.Content())
		w.Resize(DefaultWindowSize)
	})
	t.Cleanup(func() {
		s.Close()
		s.Wait()
	})
	return s, w
}

// debugState is set by tests to describe what the UI shows on a timeout.
var debugState = func() string { return "" }

// eventually polls cond under the UI lock until it holds, or fails.
func eventually(t *testing.T, th *Thread, what string, cond func() bool) {
	t.Helper()
	nodetest.EventuallyShowing(t, what, nodetest.Under(th.Run, cond), func() string {
		var state string
		th.Run(func() { state = debugState() })
		return state
	})
}

// texts collects the text of every label, entry, button and rich text
// below o, in tree order.
func texts(o fyne.CanvasObject) string {
	var out []string
	var walk func(fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if o == nil {
			return
		}
		switch v := o.(type) {
		case *widget.Label:
			out = append(out, v.Text)
		case *widget.Button:
			out = append(out, v.Text)
		case *widget.Card:
			out = append(out, v.Title, v.Subtitle)
			walk(v.Content)
		case *widget.Form:
			for _, it := range v.Items {
				out = append(out, it.Text)
				walk(it.Widget)
			}
		case *fyne.Container:
			for _, c := range v.Objects {
				walk(c)
			}
		case *container.Scroll:
			walk(v.Content)
		case *container.Split:
			walk(v.Leading)
			walk(v.Trailing)
		case *container.AppTabs:
			for _, it := range v.Items {
				walk(it.Content)
			}
		}
	}
	walk(o)
	return strings.Join(out, "\n")
}

// findForm returns the first form below o.
func findForm(o fyne.CanvasObject) *widget.Form {
	var found *widget.Form
	nodetest.Walk(o, func(o fyne.CanvasObject) {
		if f, ok := o.(*widget.Form); ok && found == nil {
			found = f
		}
	})
	return found
}

// walkRendered calls f on o and, while f returns true, on everything o's
// renderers and containers draw below it, in tree order.
func walkRendered(o fyne.CanvasObject, f func(fyne.CanvasObject) bool) {
	if !f(o) {
		return
	}
	if w, ok := o.(fyne.Widget); ok {
		for _, c := range test.WidgetRenderer(w).Objects() {
			walkRendered(c, f)
		}
	}
	if c, ok := o.(*fyne.Container); ok {
		for _, o := range c.Objects {
			walkRendered(o, f)
		}
	}
}
