package ui

import (
	"fmt"

	"qkdchat/node"
	"qkdchat/ui/widgets"
)

// runEvents is the controller: it applies every event of the node to the
// panes on the UI goroutine, in order.
func (s *Shell) runEvents(ev <-chan node.Event, stop func()) {
	defer close(s.done)
	defer stop()
	ctx := s.jobs.Context()
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-ev:
			if !ok {
				return
			}
			s.do(func() { s.apply(e) })
		}
	}
}

// apply shows one event: it routes it to the panes it concerns. It runs on
// the UI goroutine.
func (s *Shell) apply(e node.Event) {
	if e.Peer != "" && e.PeerName != "" {
		s.people.names[e.Peer] = e.PeerName
	}
	switch e.Type {
	case node.EventListening:
		s.connect.showListening(e.Addr, e.Code)
	case node.EventConnecting:
		s.setStatus("Connecting to " + e.Addr + "…")
	case node.EventPaired:
		s.people.online[e.Peer] = true
		s.loadContacts()
		c := s.inbox.get(convKey{Peer: e.Peer})
		s.connect.showPaired(e.PeerName, e.PeerRole)
		s.role.RefreshContacts()
		s.setStatus(fmt.Sprintf("Connected to %s (%s). Running the BB84 key exchange (BB84 key tab)…", e.PeerName, e.PeerRole))
		// Never switch tab or conversation: only an empty chat is filled.
		if s.inbox.current.Peer == "" {
			s.selectConversation(c.key)
		}
		s.refreshSidebar()
	case node.EventPairingFailed:
		s.connect.showError(e.Reason)
		s.setStatus(e.Reason)
	case node.EventDisconnected:
		s.people.online[e.Peer] = false
		s.people.markLeft(e.Peer, e.Time)
		s.refreshSidebar()
		s.chat.refreshHeader()
		msg := "Disconnected from " + s.nameOf(e.Peer)
		if e.Reason != "" {
			msg += ": " + e.Reason
		}
		s.setStatus(msg)
		s.connect.refreshContacts()
		s.role.RefreshContacts()
	case node.EventKeyProgress:
		if e.Peer == s.inbox.current.Peer {
			s.bb84.ShowProgress(e)
		}
	case node.EventKeyEstablished, node.EventKeyAborted:
		s.applyKey(e)
	case node.EventMessage, node.EventMessageSent:
		if e.Message != nil {
			s.fileMessage(e.Message, widgets.StateSent)
		}
	case node.EventDelivery:
		s.inbox.setDelivery(e.MessageID, e.State)
	case node.EventCase:
		delete(s.titles, e.CaseID)
		s.role.ReloadCases()
	case node.EventTransfer:
		s.role.ShowTransfer(e)
		s.chat.showTransfer(e)
	case node.EventRejected:
		s.setStatus(rejectedStatus(e, s.nameOf))
	case node.EventLedgerAppend, node.EventCheckpoint:
		s.ledger.MarkStale()
	case node.EventConflict:
		s.ledger.MarkStale()
		s.conflict.Reload()
		s.setStatus("Ledger conflict with " + s.nameOf(e.Peer) + ": " + e.Reason)
	case node.EventCheckpointIncomplete:
		s.setStatus(s.nameOf(e.Peer) + ": " + e.Reason)
	case node.EventError:
		s.setStatus("Error: " + e.Reason)
	}
}

// applyKey shows the outcome of a BB84 exchange.
func (s *Shell) applyKey(e node.Event) {
	if e.Exchange != nil {
		s.exchanges[e.Peer] = append(s.exchanges[e.Peer], e.Exchange)
	}
	if e.Peer == s.inbox.current.Peer {
		s.bb84.Show(e.Peer, s.exchanges[e.Peer], true)
	}
	s.chat.refreshHeader()
	s.setStatus(keyStatus(e, s.nameOf(e.Peer), s.node.BB84().Threshold))
}
