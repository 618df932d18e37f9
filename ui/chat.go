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
	"qkdchat/ledger"
	"qkdchat/ui/widgets"
)

// chatEntry is one bubble of a conversation.
type chatEntry struct {
	id     string // message ID; "" while the message waits for a key
	kind   string
	msg    widgets.ChatMessage
	bubble *widgets.ChatBubble // while shown
}

// conversation is the messages exchanged with one peer in one case.
type conversation struct {
	key       convKey
	entries   []*chatEntry
	byID      map[string]*chatEntry
	delivered map[string]bool // acks that came before the message was known
	unread    int
}

func newConversation(k convKey) *conversation {
	return &conversation{key: k, byID: map[string]*chatEntry{}, delivered: map[string]bool{}}
}

// kindTitle is how a message kind is introduced in a bubble.
func kindTitle(kind string) string {
	switch kind {
	case ledger.KindPHR.String():
		return "Health record"
	case ledger.KindReferral.String():
		return "Referral"
	case ledger.KindReport.String():
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

// add files m. It reports whether a new bubble was appended (false when m
// completes a bubble already shown, such as a pending outgoing message).
func (c *conversation) add(m *app.Message) bool {
	state := widgets.StateSent
	if c.delivered[m.ID] {
		state = widgets.StateDelivered
	}
	if e, ok := c.byID[m.ID]; ok {
		if e.msg.State < state {
			e.msg.State = state
		}
		return false
	}
	if m.Outgoing {
		// A message the user typed is shown as queued before the engine
		// knows its ID; this is that message.
		for _, e := range c.entries {
			if e.id == "" && e.msg.Outgoing && e.msg.Text == bubbleText(m) {
				c.bind(e, m)
				return false
			}
		}
	}
	e := &chatEntry{id: m.ID, kind: m.Kind, msg: widgets.ChatMessage{
		Sender: m.FromName, Time: m.Time, Text: bubbleText(m), Outgoing: m.Outgoing, State: state, Epoch: uint64(m.Epoch),
	}}
	if m.Outgoing {
		e.msg.Sender = "You"
	}
	c.entries = append(c.entries, e)
	c.byID[m.ID] = e
	return true
}

// addPending shows a message the user just sent, before it has a key.
func (c *conversation) addPending(text string) *chatEntry {
	e := &chatEntry{kind: ledger.KindChat.String(), msg: widgets.ChatMessage{Sender: "You", Text: text, Outgoing: true, State: widgets.StateQueued}}
	c.entries = append(c.entries, e)
	return e
}

// bind gives a pending entry the message the engine made of it.
func (c *conversation) bind(e *chatEntry, m *app.Message) {
	e.id = m.ID
	e.msg.Time = m.Time
	e.msg.Epoch = uint64(m.Epoch)
	if e.msg.State < widgets.StateSent {
		e.msg.State = widgets.StateSent
	}
	if c.delivered[m.ID] {
		e.msg.State = widgets.StateDelivered
	}
	c.byID[m.ID] = e
	if e.bubble != nil {
		e.bubble.SetMessage(e.msg)
	}
}

// markDelivered records the peer's ack of message id.
func (c *conversation) markDelivered(id string) bool {
	c.delivered[id] = true
	e, ok := c.byID[id]
	if !ok {
		return false
	}
	e.msg.State = widgets.StateDelivered
	if e.bubble != nil {
		e.bubble.SetState(widgets.StateDelivered)
	}
	return true
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
	list    *fyne.Container
	scroll  *container.Scroll
	compose *composeEntry
	send    *widget.Button
	content fyne.CanvasObject
}

func newChatPane(s *Shell) *chatPane {
	p := &chatPane{s: s}
	p.title = widget.NewLabelWithStyle("No conversation yet", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	p.detail = widget.NewLabel("Connect to someone on the Connect tab, or choose a contact on the left.")
	p.detail.Wrapping = fyne.TextWrapWord
	p.list = container.NewVBox()
	p.scroll = container.NewVScroll(p.list)
	p.compose = newComposeEntry(p.submit)
	p.send = widget.NewButtonWithIcon("Send", theme.MailSendIcon(), func() { p.submit(p.compose.Text) })
	p.send.Importance = widget.HighImportance
	header := container.NewVBox(p.title, p.detail, widget.NewSeparator())
	bottom := container.NewBorder(nil, nil, nil, p.send, p.compose)
	p.content = container.NewBorder(header, bottom, nil, nil, p.scroll)
	return p
}

// show displays conversation c.
func (p *chatPane) show(c *conversation) {
	if p.conv != nil {
		for _, e := range p.conv.entries {
			e.bubble = nil
		}
	}
	p.conv = c
	objs := make([]fyne.CanvasObject, 0, len(c.entries))
	for _, e := range c.entries {
		e.bubble = widgets.NewChatBubble(e.msg)
		objs = append(objs, e.bubble)
	}
	p.list.Objects = objs
	p.list.Refresh()
	p.refreshHeader()
	p.scroll.ScrollToBottom()
}

// appendMessage adds the newest entry of c, which is shown.
func (p *chatPane) appendMessage(c *conversation, _ *app.Message) {
	if p.conv != c || len(c.entries) == 0 {
		return
	}
	e := c.entries[len(c.entries)-1]
	e.bubble = widgets.NewChatBubble(e.msg)
	p.list.Add(e.bubble)
	p.scroll.ScrollToBottom()
}

// delivered applies a delivery ack to whichever conversation holds it.
func (p *chatPane) delivered(id string) {
	for _, c := range p.s.convs {
		if c.markDelivered(id) {
			return
		}
	}
	// Not seen yet: remember it in every conversation of live peers is
	// overkill; the current one is where the user just sent from.
	if p.conv != nil {
		p.conv.delivered[id] = true
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
		parts = append(parts, "offline: reconnect from the Connect tab to send")
	}
	p.detail.SetText(strings.Join(parts, " · "))
}

// submit sends the composed text in the background; the bubble shows
// "queued" until the engine has a key and has sent it.
func (p *chatPane) submit(text string) {
	text = strings.TrimRight(text, "\n")
	if strings.TrimSpace(text) == "" || p.conv == nil {
		return
	}
	c := p.conv
	ss, ok := p.s.node.Session(c.key.Peer)
	if !ok {
		p.s.setStatus("Not connected to " + p.s.nameOf(c.key.Peer) + ": reconnect from the Connect tab.")
		return
	}
	p.compose.SetText("")
	e := c.addPending(text)
	e.bubble = widgets.NewChatBubble(e.msg)
	p.list.Add(e.bubble)
	p.scroll.ScrollToBottom()
	caseID := c.key.Case
	p.s.spawn(func() {
		ctx, cancel := context.WithTimeout(p.s.ctx, sendTimeout)
		defer cancel()
		m, err := ss.Send(ctx, ledger.KindChat, caseID, text, nil)
		p.s.do(func() {
			if err != nil || m == nil {
				e.msg.State = widgets.StateFailed
				if e.bubble != nil {
					e.bubble.SetState(widgets.StateFailed)
				}
				p.s.setStatus("Message not sent: " + app.UserError(err))
				return
			}
			if _, done := c.byID[m.ID]; !done {
				c.bind(e, m)
			}
		})
	})
}
