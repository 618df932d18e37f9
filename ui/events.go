package ui

import (
	"fmt"

	"qkdchat/app"
	"qkdchat/ui/widgets"
)

// runEvents is the controller: it applies every event of the node to the
// panes on the UI goroutine, in order.
func (s *Shell) runEvents(ev <-chan app.Event, stop func()) {
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
func (s *Shell) apply(e app.Event) {
	if e.Peer != "" && e.PeerName != "" {
		s.people.names[e.Peer] = e.PeerName
	}
	switch e.Type {
	case app.EventListening:
		s.connect.showListening(e.Addr, e.Code)
	case app.EventConnecting:
		s.setStatus("Connecting to " + e.Addr + "…")
	case app.EventPaired:
		s.people.online[e.Peer] = true
		s.loadContacts()
		c := s.inbox.get(convKey{Peer: e.Peer})
		s.connect.showPaired(e.PeerName, e.PeerRole)
		s.role.RefreshContacts()
		s.setStatus(fmt.Sprintf("Connected to %s (%s). Running the BB84 key exchange…", e.PeerName, e.PeerRole))
		if s.inbox.current.Peer == "" || s.tabs.Selected() == s.tabItems[TabConnect] {
			s.selectConversation(c.key)
			s.ShowTab(TabBB84)
		}
		s.refreshSidebar()
	case app.EventPairingFailed:
		s.connect.showError(e.Reason)
		s.setStatus(e.Reason)
	case app.EventDisconnected:
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
	case app.EventKeyProgress:
		if e.Peer == s.inbox.current.Peer {
			s.bb84.ShowProgress(e)
		}
	case app.EventKeyEstablished, app.EventKeyAborted:
		s.applyKey(e)
	case app.EventMessage, app.EventMessageSent:
		if e.Message != nil {
			s.fileMessage(e.Message, widgets.StateSent)
		}
	case app.EventDelivery:
		s.inbox.setDelivery(e.MessageID, e.State)
	case app.EventCase:
		s.role.ReloadCases()
	case app.EventTransfer:
		s.role.ShowTransfer(e)
	case app.EventRejected:
		s.setStatus(rejectedStatus(e, s.nameOf))
	case app.EventLedgerAppend, app.EventCheckpoint:
		s.ledger.markStale()
	case app.EventConflict:
		s.ledger.markStale()
		s.conflict.reload()
		s.setStatus("Ledger conflict with " + s.nameOf(e.Peer) + ": " + e.Reason)
	case app.EventCheckpointIncomplete:
		s.setStatus(s.nameOf(e.Peer) + ": " + e.Reason)
	case app.EventError:
		s.setStatus("Error: " + e.Reason)
	}
}

// applyKey shows the outcome of a BB84 exchange.
func (s *Shell) applyKey(e app.Event) {
	if e.Exchange != nil {
		s.exchanges[e.Peer] = append(s.exchanges[e.Peer], e.Exchange)
	}
	if e.Peer == s.inbox.current.Peer {
		s.bb84.Show(e.Peer, s.exchanges[e.Peer], true)
	}
	s.chat.refreshHeader()
	s.setStatus(keyStatus(e, s.nameOf(e.Peer), s.node.BB84().Threshold))
}
