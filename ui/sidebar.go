package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"qkdchat/ui/widgets"
)

// roster is what the sidebar shows of each peer: a name and whether a
// session with it is up.
type roster interface {
	Name(fp string) string
	Online(fp string) bool
}

// sidebar lists the conversations, grouped by case, with an online marker
// and an unread badge each.
type sidebar struct {
	open      func(convKey)       // the user chose a conversation
	caseTitle func(string) string // names a case group
	who       *widget.Label
	list      *fyne.Container
	content   fyne.CanvasObject

	// rows maps each conversation to its button and badge, for tests and
	// cheap updates.
	rows map[convKey]*sidebarRow
}

type sidebarRow struct {
	button *widget.Button
	badge  *widgets.Badge
}

// newSidebar makes the sidebar of user me; the "Listen or connect" button
// calls connect, and choosing a conversation calls open.
func newSidebar(me string, connect func(), open func(convKey)) *sidebar {
	b := &sidebar{open: open, rows: map[convKey]*sidebarRow{}}
	b.who = widget.NewLabelWithStyle(me, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	b.who.Truncation = fyne.TextTruncateEllipsis
	add := widget.NewButtonWithIcon("Listen or connect", theme.ContentAddIcon(), connect)
	b.list = container.NewVBox()
	b.content = container.NewBorder(container.NewVBox(b.who, add, widget.NewSeparator()), nil, nil, nil, container.NewVScroll(b.list))
	return b
}

// refresh rebuilds the list from convs, in order, marking current.
func (b *sidebar) refresh(convs []*conversation, current convKey, people roster) {
	var objs []fyne.CanvasObject
	b.rows = map[convKey]*sidebarRow{}
	group := "\x00"
	for _, c := range convs {
		if c.key.Case != group {
			group = c.key.Case
			title := "Conversations"
			if group != "" {
				title = "Case " + group
				if b.caseTitle != nil {
					title = b.caseTitle(group)
				}
			}
			// A case's title is long: truncated, it does not hold the
			// sidebar (and so the window) wider than 800 pixels.
			lbl := widget.NewLabelWithStyle(title, fyne.TextAlignLeading, fyne.TextStyle{Italic: true})
			lbl.Truncation = fyne.TextTruncateEllipsis
			objs = append(objs, lbl)
		}
		k := c.key
		icon := theme.RadioButtonIcon()
		if people.Online(k.Peer) {
			icon = theme.RadioButtonCheckedIcon()
		}
		btn := widget.NewButtonWithIcon(people.Name(k.Peer), icon, func() { b.open(k) })
		btn.Alignment = widget.ButtonAlignLeading
		if k == current {
			btn.Importance = widget.HighImportance
		} else {
			btn.Importance = widget.LowImportance
		}
		badge := widgets.NewBadge(c.unread)
		b.rows[k] = &sidebarRow{button: btn, badge: badge}
		objs = append(objs, container.NewBorder(nil, nil, nil, badge, btn))
	}
	if len(objs) == 0 {
		empty := widget.NewLabel("No contacts yet.")
		empty.Wrapping = fyne.TextWrapWord
		objs = append(objs, empty)
	}
	b.list.Objects = objs
	b.list.Refresh()
}
