package widgets

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"
)

// ComposeEntry is a multi-line entry where Enter sends and Shift+Enter
// starts a new line.
type ComposeEntry struct {
	widget.Entry
	shift  bool
	onSend func(text string)
}

// NewComposeEntry makes a compose entry that calls onSend with its text
// when the user presses Enter (or keypad Enter) without Shift.
func NewComposeEntry(onSend func(string)) *ComposeEntry {
	e := &ComposeEntry{onSend: onSend}
	e.MultiLine = true
	e.Wrapping = fyne.TextWrapWord
	e.SetPlaceHolder("Write a message. Enter sends, Shift+Enter starts a new line.")
	e.ExtendBaseWidget(e)
	e.SetMinRowsVisible(2)
	return e
}

// KeyDown notes a Shift key going down.
func (e *ComposeEntry) KeyDown(k *fyne.KeyEvent) {
	if k.Name == desktop.KeyShiftLeft || k.Name == desktop.KeyShiftRight {
		e.shift = true
	}
	e.Entry.KeyDown(k)
}

// KeyUp notes a Shift key going up.
func (e *ComposeEntry) KeyUp(k *fyne.KeyEvent) {
	if k.Name == desktop.KeyShiftLeft || k.Name == desktop.KeyShiftRight {
		e.shift = false
	}
	e.Entry.KeyUp(k)
}

// TypedKey sends on Enter without Shift, and edits otherwise.
func (e *ComposeEntry) TypedKey(k *fyne.KeyEvent) {
	if (k.Name == fyne.KeyReturn || k.Name == fyne.KeyEnter) && !e.shift {
		if e.onSend != nil {
			e.onSend(e.Text)
		}
		return
	}
	e.Entry.TypedKey(k)
}
