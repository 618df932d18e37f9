// Package ui holds the Fyne panes of QKD Chat. It renders the state and
// events exposed by package app and sends user actions back to it; it holds
// no protocol or storage logic of its own. Every function takes the
// fyne.App it works in, so tests can pass fyne.io/fyne/v2/test's app.
package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// DefaultWindowSize is the size of the main window on first start.
var DefaultWindowSize = fyne.NewSize(1100, 720)

// NewMainWindow builds the main window of the app. It does not show it.
func NewMainWindow(a fyne.App, version string) fyne.Window {
	w := a.NewWindow("QKD Chat")
	w.SetContent(welcome(version))
	w.Resize(DefaultWindowSize)
	w.SetMaster()
	return w
}

func welcome(version string) fyne.CanvasObject {
	title := widget.NewLabelWithStyle("QKD Chat", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	title.SizeName = "headingText"
	about := widget.NewLabel("Medical messaging over a channel keyed by a simulated BB84 exchange,\n" +
		"with every message kept in a tamper-evident ledger.")
	about.Alignment = fyne.TextAlignCenter
	ver := widget.NewLabelWithStyle("Version "+version, fyne.TextAlignCenter, fyne.TextStyle{Italic: true})
	return container.NewCenter(container.NewVBox(title, about, ver))
}
