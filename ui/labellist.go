package ui

import (
	"fyne.io/fyne/v2/widget"

	"qkdchat/ui/widgets"
)

// labelList is widgets.NewLabelList, under the name the ledger pane uses.
func labelList(count func() int, text func(i int) string) *widget.List {
	return widgets.NewLabelList(count, text)
}
