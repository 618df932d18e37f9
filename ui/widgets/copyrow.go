package widgets

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// NewCopyRow is "label: value [Copy]"; the button calls copy with the
// label and the value.
func NewCopyRow(label, value string, copy func(label, value string)) fyne.CanvasObject {
	v := widget.NewLabelWithStyle(value, fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	v.Selectable = true
	btn := widget.NewButtonWithIcon("Copy", theme.ContentCopyIcon(), func() { copy(label, value) })
	return container.NewBorder(nil, nil, widget.NewLabel(label+":"), btn, v)
}
