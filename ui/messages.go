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

// loadHistory reads this user's own messages from the ledger, and the
// messages still waiting in the outbox, so that conversations and their
// delivery ticks survive a restart. It runs in the background.
//
// A message this node sent enters its ledger only when the peer
// acknowledges it (package delivery), so every outgoing message of the
// ledger is delivered; the others are still in the outbox.
func (s *Shell) loadHistory() {
	const maxHistory = 2000
	msgs, err := s.node.Auditor().History(s.ctx, maxHistory)
	if err != nil {
		return
	}
	waiting, err := s.node.Outbox()
	if err != nil {
		waiting = nil
	}
	if len(msgs) == 0 && len(waiting) == 0 {
		return
	}
	s.do(func() {
		self := s.node.Fingerprint()
		for _, m := range msgs {
			m.Outgoing = m.From == self
			if m.Outgoing {
				m.FromName = s.node.Profile().Name
			} else if m.FromName == "" {
				m.FromName = s.nameOf(m.From)
			}
			c := s.inbox.get(convKey{Peer: peerOf(m, self), Case: m.CaseID})
			if c.add(m, historyState(m), s.inbox.early) {
				s.describe(c.byID[m.ID], m)
			}
		}
		for _, q := range waiting {
			m := queuedMessage(q, self, s.node.Profile().Name)
			// Its sealed body stays in the outbox: the bubble shows
			// its text until the message is delivered.
			s.inbox.get(convKey{Peer: q.Peer, Case: q.CaseID}).add(m, widgetState(q.State), s.inbox.early)
		}
		if c, ok := s.inbox.convs[s.inbox.current]; ok {
			s.chat.show(c)
		}
		s.refreshSidebar()
	})
}

// historyState is the delivery state of a message read back from the
// ledger: an outgoing one is there only because the peer acknowledged it.
func historyState(m *node.Message) widgets.DeliveryState {
	if m.Outgoing {
		return widgets.StateDelivered
	}
	return widgets.StateSent
}

// queuedMessage is the bubble's message for an item still in the outbox.
func queuedMessage(q node.QueuedMessage, self, selfName string) *node.Message {
	return &node.Message{ID: q.ID, Kind: q.Kind, CaseID: q.CaseID, Text: q.Text, Time: q.Created,
		From: self, FromName: selfName, To: q.Peer, Outgoing: true}
}

func peerOf(m *node.Message, self string) string {
	if m.From == self {
		return m.To
	}
	return m.From
}
