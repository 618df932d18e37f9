package ui

import (
	"sort"
	"time"

	"qkdchat/node"
	"qkdchat/ui/widgets"
)

// convKey names a conversation: a peer and a case ("" for general chat).
type convKey struct {
	Peer string // fingerprint
	Case string
}

// chatEntry is one bubble of a conversation.
type chatEntry struct {
	id     string // message ID
	kind   string
	msg    widgets.ChatMessage
	index  int     // position in the conversation
	height float32 // the bubble's height, once measured

	// What the message carries, decoded (chatfiles.go).
	caseID string
	files  []node.AttachmentInfo
	report bool   // a medical report: shown as a card that opens its case
	broken string // why its content could not be read, if it could not
}

// conversation is the messages exchanged with one peer in one case.
type conversation struct {
	key     convKey
	entries []*chatEntry
	byID    map[string]*chatEntry
	unread  int
	// changed is called when an entry shown in the chat pane changes.
	changed func(*chatEntry)
}

func newConversation(k convKey) *conversation {
	return &conversation{key: k, byID: map[string]*chatEntry{}}
}

// kindTitle is how a message kind is introduced in a bubble.
func kindTitle(kind string) string {
	switch kind {
	case node.KindPHR.String():
		return "Health record"
	case node.KindReferral.String():
		return "Referral"
	case node.KindReport.String():
		return "Medical report"
	}
	return ""
}

func bubbleText(m *node.Message) string {
	if t := kindTitle(m.Kind); t != "" {
		return "[" + t + "] " + m.Text
	}
	return m.Text
}

// add files m in the given delivery state. It reports whether a new
// bubble was appended (false when m updates one already there).
func (c *conversation) add(m *node.Message, state widgets.DeliveryState, early map[string]widgets.DeliveryState) bool {
	if e, ok := c.byID[m.ID]; ok {
		if m.Epoch > 0 {
			e.msg.Epoch = uint64(m.Epoch)
		}
		if !m.Time.IsZero() {
			e.msg.Time = m.Time
		}
		c.setState(e, state)
		if c.changed != nil {
			c.changed(e)
		}
		return false
	}
	e := &chatEntry{id: m.ID, kind: m.Kind, msg: widgets.ChatMessage{
		Sender: m.FromName, Time: m.Time, Text: bubbleText(m), Outgoing: m.Outgoing, State: state, Epoch: uint64(m.Epoch),
	}}
	if m.Outgoing {
		e.msg.Sender = "You"
	}
	if st, ok := early[m.ID]; ok {
		c.setState(e, st)
		delete(early, m.ID)
	}
	e.index = len(c.entries)
	c.entries = append(c.entries, e)
	c.byID[m.ID] = e
	return true
}

// setState moves an entry forward to st (never back: an ack may overtake
// the "sent" event).
func (c *conversation) setState(e *chatEntry, st widgets.DeliveryState) {
	if st > e.msg.State || st == widgets.StateFailed {
		e.msg.State = st
		if c.changed != nil {
			c.changed(e)
		}
	}
}

// widgetState converts the engine's delivery state.
func widgetState(st node.DeliveryState) widgets.DeliveryState {
	switch st {
	case node.Delivered:
		return widgets.StateDelivered
	case node.Sent:
		return widgets.StateSent
	}
	return widgets.StateQueued
}

// inbox is every conversation of one shell, the one shown, and the
// delivery states that arrived before their message.
type inbox struct {
	convs   map[convKey]*conversation
	current convKey
	early   map[string]widgets.DeliveryState
	// added is set when a conversation is created, until the sidebar
	// shows it.
	added bool
}

func newInbox() *inbox {
	return &inbox{convs: map[convKey]*conversation{}, early: map[string]widgets.DeliveryState{}}
}

// get returns the conversation for k, creating it.
func (b *inbox) get(k convKey) *conversation {
	c, ok := b.convs[k]
	if !ok {
		c = newConversation(k)
		b.convs[k] = c
		b.added = true
	}
	return c
}

// sorted lists the conversations grouped by case (general conversations
// first), then by peer name.
func (b *inbox) sorted(name func(fp string) string) []*conversation {
	out := make([]*conversation, 0, len(b.convs))
	for _, c := range b.convs {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool {
		x, y := out[i], out[j]
		if x.key.Case != y.key.Case {
			return x.key.Case < y.key.Case
		}
		return name(x.key.Peer) < name(y.key.Peer)
	})
	return out
}

// setDelivery applies a delivery event to whichever conversation holds
// the message, or keeps it until the message shows.
func (b *inbox) setDelivery(id string, st node.DeliveryState) {
	ws := widgetState(st)
	for _, c := range b.convs {
		if e, ok := c.byID[id]; ok {
			c.setState(e, ws)
			return
		}
	}
	if old, ok := b.early[id]; !ok || ws > old {
		b.early[id] = ws
	}
}

// peers is what a shell knows of the people it talks to: their display
// names and who is online.
type peers struct {
	names  map[string]string // fingerprint -> display name
	online map[string]bool
	left   map[string]time.Time // when the last session ended (presence.go)
}

func newPeers() *peers {
	return &peers{names: map[string]string{}, online: map[string]bool{}}
}

// Name returns a peer's display name, or a short fingerprint.
func (p *peers) Name(fp string) string {
	if n, ok := p.names[fp]; ok && n != "" {
		return n
	}
	if len(fp) > 12 {
		return fp[:12] + "…"
	}
	return fp
}

// Online reports whether a session with the peer is up.
func (p *peers) Online(fp string) bool { return p.online[fp] }
