package widgets

import "fyne.io/fyne/v2"

// ShrinkLayout lays its objects over its whole area but reports a small
// fixed minimum size, so that a pane with a large natural minimum (the
// Bloch sphere with its slider and caption) does not widen the window.
type ShrinkLayout struct{ Min fyne.Size }

// MinSize is the fixed minimum.
func (l ShrinkLayout) MinSize([]fyne.CanvasObject) fyne.Size { return l.Min }

// Layout gives every object the whole area.
func (l ShrinkLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}
