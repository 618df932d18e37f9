package widgets

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// NewLabelList is a list of one-line labels, truncated with an ellipsis.
// count gives the number of rows and text the label of row i; rows beyond
// count (a redraw racing a shrink) are left as they are.
func NewLabelList(count func() int, text func(i int) string) *widget.List {
	return widget.NewList(
		count,
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i < count() {
				o.(*widget.Label).SetText(text(i))
			}
		})
}
