package widgets

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// AttachPicker is an "Add attachment…" button with the chosen files.
type AttachPicker struct {
	paths []string
	list  *widget.Label
	// Box holds the buttons and the list of files, to put in a form.
	Box fyne.CanvasObject
}

// NewAttachPicker makes a picker whose file dialog opens over w.
func NewAttachPicker(w fyne.Window) *AttachPicker {
	a := &AttachPicker{list: widget.NewLabel("No attachments.")}
	a.list.Wrapping = fyne.TextWrapWord
	add := widget.NewButtonWithIcon("Add attachment…", theme.ContentAddIcon(), func() {
		d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
			if err != nil || r == nil {
				return
			}
			r.Close()
			a.Add(r.URI().Path())
		}, w)
		d.Show()
	})
	clear := widget.NewButtonWithIcon("Clear", theme.ContentClearIcon(), a.Clear)
	a.Box = container.NewVBox(container.NewHBox(add, clear), a.list)
	return a
}

// Add appends a file.
func (a *AttachPicker) Add(path string) {
	a.paths = append(a.paths, path)
	a.list.SetText(strings.Join(a.paths, "\n"))
}

// Clear forgets every file.
func (a *AttachPicker) Clear() {
	a.paths = nil
	a.list.SetText("No attachments.")
}

// Paths returns a copy of the chosen files.
func (a *AttachPicker) Paths() []string { return append([]string(nil), a.paths...) }
