package ui

import (
	"qkdchat/node"
	"qkdchat/ui/widgets"
)

// loadContacts reads the pinned contacts and their live sessions.
func (s *Shell) loadContacts() {
	cs, err := s.node.Contacts()
	if err != nil {
		s.setStatus("Cannot read contacts: " + node.UserError(err))
		return
	}
	for _, c := range cs {
		s.people.names[c.Fingerprint] = c.Name
		s.inbox.get(convKey{Peer: c.Fingerprint})
	}
	for _, ss := range s.node.Sessions() {
		p := ss.Peer()
		s.people.online[p.Fingerprint] = true
		s.people.names[p.Fingerprint] = p.Name
		s.inbox.get(convKey{Peer: p.Fingerprint})
	}
	s.refreshSidebar()
	s.connect.refreshContacts()
}

// refreshSidebar shows the conversations as they are now.
func (s *Shell) refreshSidebar() {
	s.inbox.added = false
	s.sidebar.refresh(s.inbox.sorted(s.people.Name), s.inbox.current, s.people)
}

// openConversation is the user choosing a conversation in the sidebar: it
// shows in the chat, unless the BB84 tab is open.
func (s *Shell) openConversation(k convKey) {
	s.selectConversation(k)
	if s.tabs.Selected() != s.tabItems[TabBB84] {
		s.ShowTab(TabChat)
	}
}

// selectConversation shows conversation k in the chat and BB84 panes.
func (s *Shell) selectConversation(k convKey) {
	c := s.inbox.get(k)
	s.inbox.current = k
	if s.tabs.Selected() == s.tabItems[TabChat] {
		// Shown, so read.
		c.unread = 0
		s.att.refreshBadges()
	}
	s.chat.show(c)
	s.bb84.Show(k.Peer, s.exchanges[k.Peer], false)
	s.role.RefreshContacts()
	s.refreshSidebar()
}

// fileMessage files a message into its conversation: an incoming one, or
// an outgoing one in state st.
func (s *Shell) fileMessage(m *node.Message, st widgets.DeliveryState) {
	incoming := !m.Outgoing
	peer := m.To
	if incoming {
		peer = m.From
		if m.FromName != "" {
			s.people.names[peer] = m.FromName
		}
	}
	c := s.inbox.get(convKey{Peer: peer, Case: m.CaseID})
	isNew := c.add(m, st, s.inbox.early)
	if isNew {
		s.describe(c.byID[m.ID], m)
		s.chat.hideDoneTransfers()
	}
	if c.key == s.inbox.current && isNew {
		s.chat.appendMessage(c)
	}
	if incoming && isNew {
		s.att.announce(m, c)
	}
	if s.inbox.current.Peer == "" {
		// An empty chat is filled; a chosen conversation is never left.
		s.selectConversation(c.key)
	} else if s.inbox.added || (incoming && isNew) {
		// A new conversation or a new unread count.
		s.refreshSidebar()
	}
}

// loadHistory reads this user's own messages from the ledger, so that
// conversations survive a restart. It runs in the background.
func (s *Shell) loadHistory() {
	const maxHistory = 2000
	msgs, err := s.node.Auditor().History(s.ctx, maxHistory)
	if err != nil {
		return
	}
	if len(msgs) == 0 {
		return
	}
	s.do(func() {
		for _, m := range msgs {
			self := s.node.Fingerprint()
			m.Outgoing = m.From == self
			if m.Outgoing {
				m.FromName = s.node.Profile().Name
			} else if m.FromName == "" {
				m.FromName = s.nameOf(m.From)
			}
			c := s.inbox.get(convKey{Peer: peerOf(m, self), Case: m.CaseID})
			if c.add(m, widgets.StateSent, s.inbox.early) {
				s.describe(c.byID[m.ID], m)
			}
		}
		if c, ok := s.inbox.convs[s.inbox.current]; ok {
			s.chat.show(c)
		}
		s.refreshSidebar()
	})
}

func peerOf(m *node.Message, self string) string {
	if m.From == self {
		return m.To
	}
	return m.From
}
