package ui

import (
	"context"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"qkdchat/app"
	"qkdchat/ui/widgets"
)

// chatEntry is one bubble of a conversation.
type chatEntry struct {
	id     string // message ID
	kind   string
	msg    widgets.ChatMessage
	index  int     // position in the conversation
	height float32 // the bubble's height, once measured
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
	case app.KindPHR.String():
		return "Health record"
	case app.KindReferral.String():
		return "Referral"
	case app.KindReport.String():
		return "Medical report"
	}
	return ""
}

func bubbleText(m *app.Message) string {
	if t := kindTitle(m.Kind); t != "" {
		return "[" + t + "] " + m.Text
	}
	return m.Text
}

// add files m in the given delivery state. It reports whether a new
// bubble was appended (false when m updates one already there).
func (c *conversation) add(m *app.Message, state widgets.DeliveryState, early map[string]widgets.DeliveryState) bool {
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
func widgetState(st app.DeliveryState) widgets.DeliveryState {
	switch st {
	case app.Delivered:
		return widgets.StateDelivered
	case app.Sent:
		return widgets.StateSent
	}
	return widgets.StateQueued
}

// composeEntry is a multi-line entry where Enter sends and Shift+Enter
// starts a new line.
type composeEntry struct {
	widget.Entry
	shift  bool
	onSend func(text string)
}

func newComposeEntry(onSend func(string)) *composeEntry {
	e := &composeEntry{onSend: onSend}
	e.MultiLine = true
	e.Wrapping = fyne.TextWrapWord
	e.SetPlaceHolder("Write a message. Enter sends, Shift+Enter starts a new line.")
	e.ExtendBaseWidget(e)
	e.SetMinRowsVisible(2)
	return e
}

func (e *composeEntry) KeyDown(k *fyne.KeyEvent) {
	if k.Name == desktop.KeyShiftLeft || k.Name == desktop.KeyShiftRight {
		e.shift = true
	}
	e.Entry.KeyDown(k)
}

func (e *composeEntry) KeyUp(k *fyne.KeyEvent) {
	if k.Name == desktop.KeyShiftLeft || k.Name == desktop.KeyShiftRight {
		e.shift = false
	}
	e.Entry.KeyUp(k)
}

func (e *composeEntry) TypedKey(k *fyne.KeyEvent) {
	if (k.Name == fyne.KeyReturn || k.Name == fyne.KeyEnter) && !e.shift {
		if e.onSend != nil {
			e.onSend(e.Text)
		}
		return
	}
	e.Entry.TypedKey(k)
}

// chatPane shows the current conversation and sends messages in it.
type chatPane struct {
	s       *Shell
	conv    *conversation
	title   *widget.Label
	detail  *widget.Label
	list    *widget.List
	measure *widgets.ChatBubble // sizes bubbles for the list's row heights
	compose *composeEntry
	send    *widget.Button
	content fyne.CanvasObject
}

func newChatPane(s *Shell) *chatPane {
	p := &chatPane{s: s}
	p.title = widget.NewLabelWithStyle("No conversation yet", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	p.detail = widget.NewLabel("Connect to someone on the Connect tab, or choose a contact on the left.")
	p.detail.Wrapping = fyne.TextWrapWord
	// A virtual list: only the bubbles on screen exist, so a long
	// conversation costs nothing to append to.
	p.measure = widgets.NewChatBubble(widgets.ChatMessage{})
	p.list = widget.NewList(
		func() int {
			if p.conv == nil {
				return 0
			}
			return len(p.conv.entries)
		},
		func() fyne.CanvasObject { return widgets.NewChatBubble(widgets.ChatMessage{}) },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if p.conv != nil && i < len(p.conv.entries) {
				o.(*widgets.ChatBubble).SetMessage(p.conv.entries[i].msg)
			}
		})
	p.list.HideSeparators = true
	p.list.OnSelected = func(id widget.ListItemID) { p.list.Unselect(id) } // bubbles are not selectable
	p.compose = newComposeEntry(p.submit)
	p.send = widget.NewButtonWithIcon("Send", theme.MailSendIcon(), func() { p.submit(p.compose.Text) })
	p.send.Importance = widget.HighImportance
	header := container.NewVBox(p.title, p.detail, widget.NewSeparator())
	bottom := container.NewBorder(nil, nil, nil, p.send, p.compose)
	p.content = container.NewBorder(header, bottom, nil, nil, p.list)
	return p
}

// show displays conversation c.
func (p *chatPane) show(c *conversation) {
	if p.conv != nil {
		p.conv.changed = nil
	}
	p.conv = c
	c.changed = p.entryChanged
	for _, e := range c.entries {
		p.setHeight(e)
	}
	p.list.UnselectAll()
	p.list.Refresh()
	p.refreshHeader()
	p.list.ScrollToBottom()
}

// setHeight tells the list the height of e's bubble.
func (p *chatPane) setHeight(e *chatEntry) {
	p.measure.SetMessage(e.msg)
	if h := p.measure.MinSize().Height; h != e.height {
		e.height = h
	}
	p.list.SetItemHeight(e.index, e.height)
}

// entryChanged redraws one bubble of the shown conversation.
func (p *chatPane) entryChanged(e *chatEntry) {
	p.setHeight(e)
	p.list.RefreshItem(e.index)
}

// appendMessage shows the newest entry of c, which is shown.
func (p *chatPane) appendMessage(c *conversation, _ *app.Message) {
	if p.conv != c || len(c.entries) == 0 {
		return
	}
	p.setHeight(c.entries[len(c.entries)-1])
	p.list.Refresh()
	p.list.ScrollToBottom()
}

// setDelivery applies a delivery event to whichever conversation holds
// the message, or keeps it until the message shows.
func (p *chatPane) setDelivery(id string, st app.DeliveryState) {
	ws := widgetState(st)
	for _, c := range p.s.convs {
		if e, ok := c.byID[id]; ok {
			c.setState(e, ws)
			return
		}
	}
	if old, ok := p.s.early[id]; !ok || ws > old {
		p.s.early[id] = ws
	}
}

func (p *chatPane) refreshHeader() {
	if p.conv == nil {
		return
	}
	k := p.conv.key
	name := p.s.nameOf(k.Peer)
	title := name
	if k.Case != "" {
		title += " · case " + k.Case
	}
	p.title.SetText(title)
	var parts []string
	if ss, ok := p.s.node.Session(k.Peer); ok {
		parts = append(parts, roleLabel(ss.Peer().Role))
		if ep := ss.Epoch(); ep > 0 {
			parts = append(parts, fmt.Sprintf("online, encrypted under BB84 key epoch %d", ep))
		} else {
			parts = append(parts, "online, waiting for the first BB84 key (messages are queued)")
		}
	} else {
		parts = append(parts, "offline: messages wait in the outbox until you reconnect (Connect tab)")
	}
	p.detail.SetText(strings.Join(parts, " · "))
}

// submit queues the composed text in the contact's outbox in the
// background. The engine delivers it, exactly once, as soon as a session
// with the contact has a key; the bubble shows "queued" until then.
func (p *chatPane) submit(text string) {
	text = strings.TrimRight(text, "\n")
	if strings.TrimSpace(text) == "" || p.conv == nil {
		return
	}
	c := p.conv
	p.compose.SetText("")
	p.s.spawn(func() {
		ctx, cancel := context.WithTimeout(p.s.ctx, sendTimeout)
		defer cancel()
		m, err := p.s.node.Send(ctx, c.key.Peer, app.KindChat, c.key.Case, text, nil)
		p.s.do(func() {
			if err != nil {
				p.compose.SetText(text)
				p.s.setStatus("Message not sent: " + app.UserError(err))
				return
			}
			p.s.fileMessage(m, widgets.StateQueued)
		})
	})
}
