package widgets

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
)

// pressEnter sends Return to the compose entry, with Shift held or not.
func pressEnter(e *ComposeEntry, shift bool) {
	if shift {
		e.KeyDown(&fyne.KeyEvent{Name: desktop.KeyShiftLeft})
	}
	e.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if shift {
		e.KeyUp(&fyne.KeyEvent{Name: desktop.KeyShiftLeft})
	}
}

func TestComposeEntryKeys(t *testing.T) {
	test.NewTempApp(t)
	var sent []string
	e := NewComposeEntry(func(s string) { sent = append(sent, s) })
	test.NewTempWindow(t, e)
	test.Type(e, "a")
	pressEnter(e, true)
	test.Type(e, "b")
	if e.Text != "a\nb" || len(sent) != 0 {
		t.Fatalf("Shift+Enter: %q, sent %q", e.Text, sent)
	}
	e.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEnter}) // keypad Enter sends too
	if len(sent) != 1 || sent[0] != "a\nb" {
		t.Fatalf("Enter sent %q", sent)
	}
}
