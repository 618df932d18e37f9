package files

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"qkdchat/node"
)

// Row is one attachment on screen: its label on one line (wrapping a
// long name), and under it Open, Save… and a details button, so that
// nothing is cut off in a narrow pane.
type Row struct {
	File    node.AttachmentInfo
	Label   *widget.Label
	Open    *widget.Button
	Save    *widget.Button
	Details *widget.Button
	Content fyne.CanvasObject
}

// NewRow makes the row of f, acting through a.
func NewRow(a *Actions, f node.AttachmentInfo) *Row {
	r := &Row{File: f, Label: widget.NewLabel(Label(f))}
	r.Label.Wrapping = fyne.TextWrapBreak
	r.Open = widget.NewButtonWithIcon("Open", theme.FileIcon(), func() { a.Open(f) })
	r.Save = widget.NewButtonWithIcon("Save…", theme.DocumentSaveIcon(), func() { a.Save(f) })
	r.Details = widget.NewButtonWithIcon("", theme.InfoIcon(), func() { a.ShowDetails(f) })
	r.Details.Importance = widget.LowImportance
	r.Content = container.NewVBox(container.NewBorder(nil, nil, widget.NewIcon(theme.FileIcon()), nil, r.Label),
		container.NewHBox(r.Open, r.Save, r.Details))
	return r
}
