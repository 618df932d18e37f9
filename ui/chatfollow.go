package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// followBottom lays out a list over its whole area and keeps a list that
// showed its last item showing it when its size changes (a window made
// smaller, a compose box grown by a line); a list scrolled up stays at
// its offset.
type followBottom struct{ list *widget.List }

// MinSize is the list's.
func (f followBottom) MinSize([]fyne.CanvasObject) fyne.Size { return f.list.MinSize() }

// Layout resizes the list, scrolling it to the bottom again if it was
// there.
func (f followBottom) Layout(_ []fyne.CanvasObject, size fyne.Size) {
	l := f.list
	l.MinSize() // creates the renderer, and its scroller, if need be
	wasAtBottom := false
	if l.Size().Height > 0 {
		off := l.GetScrollOffset()
		l.ScrollToBottom()
		wasAtBottom = off >= l.GetScrollOffset()-1
		if !wasAtBottom {
			l.ScrollToOffset(off)
		}
	}
	l.Move(fyne.NewPos(0, 0))
	l.Resize(size)
	if wasAtBottom {
		l.ScrollToBottom()
	}
}
