package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"qkdchat/ui/widgets"
)

// sidebar lists the conversations, grouped by case, with an online marker
// and an unread badge each.
type sidebar struct {
	s       *Shell
	who     *widget.Label
	list    *fyne.Container
	content fyne.CanvasObject
	dirty   bool

	// rows maps each conversation to its button and badge, for tests and
	// cheap updates.
	rows map[convKey]*sidebarRow
}

type sidebarRow struct {
	button *widget.Button
	badge  *widgets.Badge
}

func newSidebar(s *Shell) *sidebar {
	b := &sidebar{s: s, rows: map[convKey]*sidebarRow{}}
	prof := s.node.Profile()
	b.who = widget.NewLabelWithStyle(prof.Name+" · "+roleLabel(prof.Role), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	b.who.Truncation = fyne.TextTruncateEllipsis
	connect := widget.NewButtonWithIcon("Listen or connect", theme.ContentAddIcon(), func() { s.ShowTab(TabConnect) })
	b.list = container.NewVBox()
	b.content = container.NewBorder(container.NewVBox(b.who, connect, widget.NewSeparator()), nil, nil, nil, container.NewVScroll(b.list))
	return b
}

// refresh rebuilds the list from the shell's conversations.
func (b *sidebar) refresh() {
	b.dirty = false
	var objs []fyne.CanvasObject
	b.rows = map[convKey]*sidebarRow{}
	group := "\x00"
	for _, c := range b.s.sortedConversations() {
		if c.key.Case != group {
			group = c.key.Case
			title := "Conversations"
			if group != "" {
				title = "Case " + group
			}
			objs = append(objs, widget.NewLabelWithStyle(title, fyne.TextAlignLeading, fyne.TextStyle{Italic: true}))
		}
		k := c.key
		icon := theme.RadioButtonIcon()
		if b.s.online[k.Peer] {
			icon = theme.RadioButtonCheckedIcon()
		}
		btn := widget.NewButtonWithIcon(b.s.nameOf(k.Peer), icon, func() {
			b.s.selectConversation(k)
			if b.s.tabs.Selected() != b.s.tabItems[TabBB84] {
				b.s.ShowTab(TabChat)
			}
		})
		btn.Alignment = widget.ButtonAlignLeading
		if k == b.s.current {
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
