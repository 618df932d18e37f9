package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"qkdchat/node"
	"qkdchat/ui/widgets"
)

// sendTimeout bounds a chat send, including the wait for a first key.
const sendTimeout = 60 * time.Second

// sender is what the chat pane asks of the node: to queue a message, and
// the peer's session for the header.
type sender interface {
	Send(ctx context.Context, peer string, kind node.Kind, caseID, text string, body []byte) (*node.Message, error)
	SendFiles(ctx context.Context, peer, caseID, text string, paths []string) (*node.Message, error)
	Session(peer string) (*node.Session, bool)
}

// nodeSender is the node as the chat pane's sender: messages through the
// node, files through its clinic.
type nodeSender struct{ *node.Node }

func (s nodeSender) SendFiles(ctx context.Context, peer, caseID, text string, paths []string) (*node.Message, error) {
	return s.Clinic().SendFiles(ctx, peer, caseID, text, paths)
}

// chatPane shows the current conversation and sends messages in it. The
// shell feeds it: show for a conversation, appendMessage for a new bubble;
// it hands each message it queued back through sent.
type chatPane struct {
	node   sender
	jobs   worker
	name   func(fp string) string
	sent   func(*node.Message)
	status func(string)

	conv      *conversation
	title     *widget.Label
	detail    *widget.Label
	list      *widget.List
	measure   *chatRow // sizes rows for the list's row heights
	compose   *widgets.ComposeEntry
	send      *widget.Button
	content   fyne.CanvasObject
	chatFiles // attachments, transfers and report cards (chatfiles.go)
}

func newChatPane(n sender, jobs worker, name func(string) string, sent func(*node.Message), status func(string)) *chatPane {
	p := &chatPane{node: n, jobs: jobs, name: name, sent: sent, status: status}
	p.title = widget.NewLabelWithStyle("No conversation yet", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	p.detail = widget.NewLabel("Connect to someone on the Connect tab, or choose a contact on the left.")
	p.detail.Wrapping = fyne.TextWrapWord
	// A virtual list: only the bubbles on screen exist, so a long
	// conversation costs nothing to append to.
	p.measure = newChatRow(p)
	p.list = widget.NewList(
		func() int {
			if p.conv == nil {
				return 0
			}
			return len(p.conv.entries)
		},
		func() fyne.CanvasObject { return newChatRow(p) },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if p.conv != nil && i < len(p.conv.entries) {
				o.(*chatRow).set(p.conv.entries[i])
			}
		})
	p.list.HideSeparators = true
	p.list.OnSelected = func(id widget.ListItemID) { p.list.Unselect(id) } // bubbles are not selectable
	p.compose = widgets.NewComposeEntry(p.submit)
	p.send = widget.NewButtonWithIcon("Send", theme.MailSendIcon(), func() { p.submit(p.compose.Text) })
	p.send.Importance = widget.HighImportance
	header := container.NewVBox(p.title, p.detail, widget.NewSeparator())
	p.initFiles()
	bottom := container.NewVBox(p.transfers, p.stagedBox,
		container.NewBorder(nil, nil, p.attach, p.send, p.compose))
	p.content = container.NewBorder(header, bottom, nil, nil, container.New(followBottom{p.list}, p.list))
	return p
}

// show displays conversation c.
func (p *chatPane) show(c *conversation) {
	if p.conv != nil {
		p.conv.changed = nil
	}
	if p.conv != nil && p.conv.key.Peer != c.key.Peer {
		p.clearTransfers()
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
	p.measure.set(e)
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
func (p *chatPane) appendMessage(c *conversation) {
	if p.conv != c || len(c.entries) == 0 {
		return
	}
	p.setHeight(c.entries[len(c.entries)-1])
	p.list.Refresh()
	p.list.ScrollToBottom()
	p.hideDoneTransfers()
}

func (p *chatPane) refreshHeader() {
	if p.conv == nil {
		return
	}
	k := p.conv.key
	title := p.name(k.Peer)
	if k.Case != "" {
		title += " · " + p.caseTitle(k.Case)
	}
	p.title.SetText(title)
	var parts []string
	if ss, ok := p.node.Session(k.Peer); ok {
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
	staged := p.staged
	if (strings.TrimSpace(text) == "" && len(staged) == 0) || p.conv == nil {
		return
	}
	c := p.conv
	p.compose.SetText("")
	p.unstage()
	p.jobs.Go(func() {
		ctx, cancel := context.WithTimeout(p.jobs.Context(), sendTimeout)
		defer cancel()
		var m *node.Message
		var err error
		if len(staged) > 0 {
			m, err = p.node.SendFiles(ctx, c.key.Peer, c.key.Case, text, staged)
		} else {
			m, err = p.node.Send(ctx, c.key.Peer, node.KindChat, c.key.Case, text, nil)
		}
		p.jobs.Do(func() {
			if err != nil {
				p.compose.SetText(text)
				p.stage(staged)
				p.status("Message not sent: " + node.UserError(err))
				return
			}
			p.sent(m)
		})
	})
}
