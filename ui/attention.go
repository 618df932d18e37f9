package ui

import (
	"fmt"

	"fyne.io/fyne/v2"

	"qkdchat/node"
	"qkdchat/ui/cases"
)

// Attention, not interruption: news (a health record, a referral, a
// report, a message) raises an unread badge on its tab and conversation,
// a line in the status bar and one desktop notification; the shell never
// selects a tab or a conversation the user did not click. The one
// exception is filling an empty chat: with no conversation chosen yet,
// the first one to appear is shown, on whatever tab the user is on.

// Notifier shows a desktop notification. The app's is fyne.App's
// SendNotification; tests record them.
type Notifier interface {
	Notify(n *fyne.Notification)
}

// attention is the shell's news handling: badges, the status line and
// notifications. It reads the panes through the shell.
type attention struct{ *Shell }

// appNotifier sends notifications through the fyne.App.
type appNotifier struct{ app fyne.App }

func (a appNotifier) Notify(n *fyne.Notification) { a.app.SendNotification(n) }

// newsKey is what one notification is about: one clinical object (a
// report that arrives both directly and relayed is one report), or one
// chat message.
func newsKey(m *node.Message) string {
	switch m.Kind {
	case node.KindPHR.String(), node.KindReport.String():
		return m.Kind + "/" + m.CaseID
	}
	return "msg/" + m.ID
}

// newsText is the notification's words: the kind of news and who it is
// from, never its content (that stays in the window).
func newsText(m *node.Message, from string) string {
	switch m.Kind {
	case node.KindPHR.String():
		return "New health record from " + from
	case node.KindReferral.String():
		return "New referral from " + from
	case node.KindReport.String():
		return "New medical report from " + from
	}
	return "New message from " + from
}

// announce draws attention to a new incoming message m in conversation
// c: the unread badge (unless the user is reading c), the role pane's
// mark for a clinical object, the status line and one notification.
func (s attention) announce(m *node.Message, c *conversation) {
	reading := c.key == s.inbox.current && s.tabs.Selected() == s.tabItems[TabChat]
	if !reading {
		c.unread++
	}
	from := s.nameOf(m.From)
	if m.Kind != node.KindChat.String() {
		s.role.MarkUnseen(m.CaseID, s.tabs.Selected() == s.tabItems[TabRole])
		s.setStatus(newsText(m, from) + ": " + s.caseTitle(m.CaseID) + " (" + s.role.Title() + " tab).")
	} else if !reading {
		s.setStatus(newsText(m, from) + ".")
	}
	s.refreshBadges()
	k := newsKey(m)
	if s.notified[k] || (reading && m.Kind == node.KindChat.String()) {
		return
	}
	s.notified[k] = true
	if s.settings.Notifications {
		s.notifier.Notify(fyne.NewNotification("QKD Chat", newsText(m, from)))
	}
}

// caseTitle names a case from its content, or "Case <id>" for one this
// node does not hold.
func (s attention) caseTitle(id string) string {
	if id == "" {
		return ""
	}
	if t, ok := s.titles[id]; ok {
		return t
	}
	c, err := s.node.Clinic().Case(id)
	if err != nil {
		return "Case " + id
	}
	t := cases.CaseTitle(c)
	s.titles[id] = t
	return t
}

// tabTitle is a tab's title with its badge: "Chat (3)".
func tabTitle(base string, n int) string {
	if n <= 0 {
		return base
	}
	if n > 99 {
		return base + " (99+)"
	}
	return fmt.Sprintf("%s (%d)", base, n)
}

// refreshBadges shows the unread counts on the Chat and role tabs.
func (s attention) refreshBadges() {
	unread := 0
	for _, c := range s.inbox.convs {
		unread += c.unread
	}
	changed := false
	for _, t := range []struct {
		name, base string
		n          int
	}{{TabChat, "Chat", unread}, {TabRole, s.role.Title(), s.role.Unseen()}} {
		ti := s.tabItems[t.name]
		if title := tabTitle(t.base, t.n); ti.Text != title {
			ti.Text = title
			changed = true
		}
	}
	if changed {
		s.tabs.Refresh()
	}
}

// tabChosen is the user selecting a tab: what it shows is seen.
func (s attention) tabChosen(name string) {
	switch name {
	case TabChat:
		if c, ok := s.inbox.convs[s.inbox.current]; ok && c.unread > 0 {
			c.unread = 0
			s.refreshSidebar()
		}
	case TabRole:
		s.role.SeenShown()
	}
	s.refreshBadges()
}

// TabTitle returns the title a tab shows now, badge included.
func (s *Shell) TabTitle(name string) string {
	if ti, ok := s.tabItems[name]; ok {
		return ti.Text
	}
	return ""
}

// SelectedTab returns the name of the tab shown.
func (s *Shell) SelectedTab() string {
	for name, ti := range s.tabItems {
		if s.tabs.Selected() == ti {
			return name
		}
	}
	return ""
}

// openCase is the user asking for a case (a report card's "Open case"):
// the role tab shows it.
func (s *Shell) openCase(id string) {
	s.role.ShowCase(id)
	s.ShowTab(TabRole)
}

// dropped is files dropped on the window: they go to the Chat's compose
// area, or to the role pane's form, whichever tab is shown.
func (s attention) dropped(uris []fyne.URI) {
	var paths []string
	for _, u := range uris {
		if u.Scheme() == "file" {
			paths = append(paths, u.Path())
		}
	}
	if len(paths) == 0 {
		return
	}
	switch s.tabs.Selected() {
	case s.tabItems[TabChat]:
		s.chat.stage(paths)
	case s.tabItems[TabRole]:
		if !s.role.AddFiles(paths) {
			s.setStatus("The " + s.role.Title() + " tab takes no files: drop them on the Chat tab to send them.")
		} else {
			s.setStatus(fmt.Sprintf("%d file(s) added to the attachments.", len(paths)))
		}
	default:
		s.setStatus("Drop files on the Chat tab to send them, or on the " + s.role.Title() + " tab to attach them.")
	}
}
