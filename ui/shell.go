package ui

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"qkdchat/app"
	"qkdchat/ui/widgets"
)

// Tab names accepted by Shell.ShowTab, in the order the tabs appear.
const (
	TabConnect  = "connect"
	TabChat     = "chat"
	TabBB84     = "bb84"
	TabLedger   = "ledger"
	TabRole     = "role"
	TabSettings = "settings"
)

// ShellOptions configure a Shell.
type ShellOptions struct {
	// Dir is the node's data directory, where Settings saves the profile;
	// empty disables editing the profile.
	Dir string
	// StartRekey is the rekey interval the node was opened with, so that
	// Settings can tell the user when a change needs a restart.
	StartRekey time.Duration

	th *uiThread // shared by every window of one app; nil makes one
}

// Shell is everything the user sees of one node inside a window: the
// sidebar of conversations and the tabs (Connect, Chat, BB84, Ledger, the
// role's pane, Settings), plus the controller goroutine that applies the
// node's events to them. It holds no protocol state of its own beyond what
// it displays.
type Shell struct {
	app      fyne.App
	win      fyne.Window
	node     *app.Node
	dir      string
	th       *uiThread
	ctx      context.Context
	cancel   context.CancelFunc
	settings Settings

	startRekey time.Duration

	convs   map[convKey]*conversation
	current convKey
	// exchanges holds each peer's BB84 exchanges from the events, so they
	// stay visible after the session ends.
	exchanges map[string][]*app.KeyExchange
	online    map[string]bool
	names     map[string]string // fingerprint -> display name
	// early holds delivery states of messages not shown yet.
	early map[string]widgets.DeliveryState

	sidebar  *sidebar
	connect  *connectPane
	chat     *chatPane
	bb84     *bb84Panel
	ledger   *ledgerPane
	conflict *conflictBanner
	role     *rolePane
	prefs    *settingsPane
	tabs     *container.AppTabs
	tabItems map[string]*container.TabItem
	status   *widget.Label
	content  fyne.CanvasObject

	done chan struct{}
	wg   sync.WaitGroup // background work started by the panes
}

// convKey names a conversation: a peer and a case ("" for general chat).
type convKey struct {
	Peer string // fingerprint
	Case string
}

// NewShell builds the panes for node n inside window w and starts
// applying the node's events to them. Call Close when the window goes away;
// it does not close the node.
func NewShell(a fyne.App, w fyne.Window, n *app.Node, opts ShellOptions) *Shell {
	th := opts.th
	if th == nil {
		th = &uiThread{}
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Shell{
		app: a, win: w, node: n, dir: opts.Dir, th: th, ctx: ctx, cancel: cancel,
		settings:   LoadSettings(a.Preferences()),
		startRekey: opts.StartRekey,
		convs:      map[convKey]*conversation{},
		exchanges:  map[string][]*app.KeyExchange{},
		online:     map[string]bool{},
		names:      map[string]string{},
		early:      map[string]widgets.DeliveryState{},
		done:       make(chan struct{}),
	}
	s.status = widget.NewLabel("")
	s.status.Truncation = fyne.TextTruncateEllipsis
	s.sidebar = newSidebar(s)
	s.connect = newConnectPane(s)
	s.chat = newChatPane(s)
	s.bb84 = newBB84Panel(s)
	s.ledger = newLedgerPane(n.Auditor(), s.ledgerEnv())
	s.conflict = newConflictBanner(n.Auditor(), s.ledgerEnv())
	s.role = newRolePane(s)
	s.prefs = newSettingsPane(s)

	s.tabItems = map[string]*container.TabItem{
		TabConnect:  container.NewTabItemWithIcon("Connect", theme.LoginIcon(), s.connect.content),
		TabChat:     container.NewTabItemWithIcon("Chat", theme.MailComposeIcon(), s.chat.content),
		TabBB84:     container.NewTabItemWithIcon("BB84 key", theme.VisibilityIcon(), s.bb84.content),
		TabLedger:   container.NewTabItemWithIcon("Ledger", theme.ListIcon(), s.ledger.content),
		TabRole:     container.NewTabItemWithIcon(s.role.title, theme.DocumentCreateIcon(), s.role.content),
		TabSettings: container.NewTabItemWithIcon("Settings", theme.SettingsIcon(), s.prefs.content),
	}
	s.tabs = container.NewAppTabs()
	for _, name := range []string{TabConnect, TabChat, TabBB84, TabLedger, TabRole, TabSettings} {
		s.tabs.Append(s.tabItems[name])
	}
	s.tabs.OnSelected = func(ti *container.TabItem) {
		if ti == s.tabItems[TabLedger] {
			s.ledger.refreshIfStale()
		}
	}
	split := container.NewHSplit(s.sidebar.content, s.tabs)
	split.Offset = 0.22
	s.content = container.NewBorder(s.conflict.box, container.NewPadded(s.status), nil, nil, split)

	s.loadContacts()
	s.bb84.setThreshold(n.BB84().Threshold)

	ev, stop := n.Events()
	go s.runEvents(ev, stop)
	s.spawn(s.loadHistory)
	s.conflict.reload()
	return s
}

// Content is the shell's root object, to put in a window.
func (s *Shell) Content() fyne.CanvasObject { return s.content }

// Node returns the node the shell shows.
func (s *Shell) Node() *app.Node { return s.node }

// ShowTab selects one of the tabs (TabConnect, ...) and reports whether the
// name is known.
func (s *Shell) ShowTab(name string) bool {
	ti, ok := s.tabItems[name]
	if ok {
		s.tabs.Select(ti)
	}
	return ok
}

// Close stops the controller and any work the panes started. It does not
// close the node.
func (s *Shell) Close() {
	s.cancel()
}

// spawn runs f on a goroutine of its own, as background work of the shell.
func (s *Shell) spawn(f func()) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f()
	}()
}

// do runs f on the UI goroutine unless the shell has been closed.
func (s *Shell) do(f func()) {
	if s.ctx.Err() != nil {
		return
	}
	s.th.do(func() {
		if s.ctx.Err() == nil {
			f()
		}
	})
}

// wait waits for the controller and all background work to end after
// Close. It must not be called on the UI goroutine.
func (s *Shell) wait() {
	<-s.done
	s.wg.Wait()
}

// runEvents is the controller: it applies every event of the node to the
// panes on the UI goroutine, in order.
func (s *Shell) runEvents(ev <-chan app.Event, stop func()) {
	defer close(s.done)
	defer stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case e, ok := <-ev:
			if !ok {
				return
			}
			s.do(func() { s.apply(e) })
		}
	}
}

// apply shows one event. It runs on the UI goroutine.
func (s *Shell) apply(e app.Event) {
	if e.Peer != "" && e.PeerName != "" {
		s.names[e.Peer] = e.PeerName
	}
	switch e.Type {
	case app.EventListening:
		s.connect.showListening(e.Addr, e.Code)
	case app.EventConnecting:
		s.setStatus("Connecting to " + e.Addr + "…")
	case app.EventPaired:
		s.online[e.Peer] = true
		s.loadContacts()
		c := s.conversation(convKey{Peer: e.Peer})
		s.connect.showPaired(e.PeerName, e.PeerRole)
		s.role.refreshContacts()
		s.setStatus(fmt.Sprintf("Connected to %s (%s). Running the BB84 key exchange…", e.PeerName, e.PeerRole))
		if s.current.Peer == "" || s.tabs.Selected() == s.tabItems[TabConnect] {
			s.selectConversation(c.key)
			s.ShowTab(TabBB84)
		}
		s.sidebar.refresh()
	case app.EventPairingFailed:
		s.connect.showError(e.Reason)
		s.setStatus(e.Reason)
	case app.EventDisconnected:
		s.online[e.Peer] = false
		s.sidebar.refresh()
		s.chat.refreshHeader()
		msg := "Disconnected from " + s.nameOf(e.Peer)
		if e.Reason != "" {
			msg += ": " + e.Reason
		}
		s.setStatus(msg)
		s.connect.refreshContacts()
		s.role.refreshContacts()
	case app.EventKeyProgress:
		if e.Peer == s.current.Peer {
			s.bb84.showProgress(e)
		}
	case app.EventKeyEstablished, app.EventKeyAborted:
		if e.Exchange != nil {
			s.exchanges[e.Peer] = append(s.exchanges[e.Peer], e.Exchange)
		}
		if e.Peer == s.current.Peer {
			s.bb84.showExchanges(s.nameOf(e.Peer), s.exchanges[e.Peer], true)
		}
		s.chat.refreshHeader()
		if e.Type == app.EventKeyEstablished {
			s.setStatus(fmt.Sprintf("New key with %s: epoch %d, %d bits, QBER %s.", s.nameOf(e.Peer), e.Epoch, e.KeyBits, fmtQBER(e.QBER)))
		} else {
			s.setStatus(fmt.Sprintf("Key exchange with %s aborted: %s", s.nameOf(e.Peer), e.Reason))
		}
	case app.EventMessage, app.EventMessageSent:
		if e.Message != nil {
			s.fileMessage(e.Message, widgets.StateSent)
		}
	case app.EventDelivery:
		s.chat.setDelivery(e.MessageID, e.State)
	case app.EventCase:
		s.role.reloadCases()
	case app.EventTransfer:
		s.role.showTransfer(e)
	case app.EventRejected:
		s.setStatus("Refused a message from " + s.nameOf(e.Peer) + ": " + e.Reason)
	case app.EventLedgerAppend:
		s.ledger.markStale()
	case app.EventCheckpoint:
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

func fmtQBER(q *float64) string {
	if q == nil {
		return "n/a"
	}
	return fmt.Sprintf("%.1f%%", *q*100)
}

func (s *Shell) setStatus(msg string) { s.status.SetText(msg) }

// nameOf returns a peer's display name, or a short fingerprint.
func (s *Shell) nameOf(fp string) string {
	if n, ok := s.names[fp]; ok && n != "" {
		return n
	}
	if len(fp) > 12 {
		return fp[:12] + "…"
	}
	return fp
}

// loadContacts reads the pinned contacts and their live sessions.
func (s *Shell) loadContacts() {
	cs, err := s.node.Contacts()
	if err != nil {
		s.setStatus("Cannot read contacts: " + app.UserError(err))
		return
	}
	for _, c := range cs {
		s.names[c.Fingerprint] = c.Name
		s.conversation(convKey{Peer: c.Fingerprint})
	}
	for _, ss := range s.node.Sessions() {
		p := ss.Peer()
		s.online[p.Fingerprint] = true
		s.names[p.Fingerprint] = p.Name
		s.conversation(convKey{Peer: p.Fingerprint})
	}
	s.sidebar.refresh()
	s.connect.refreshContacts()
}

// conversation returns the conversation for k, creating it.
func (s *Shell) conversation(k convKey) *conversation {
	c, ok := s.convs[k]
	if !ok {
		c = newConversation(k)
		s.convs[k] = c
		s.sidebar.dirty = true
	}
	return c
}

// sortedConversations lists the conversations grouped by case (general
// conversations first), then by peer name.
func (s *Shell) sortedConversations() []*conversation {
	out := make([]*conversation, 0, len(s.convs))
	for _, c := range s.convs {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.key.Case != b.key.Case {
			return a.key.Case < b.key.Case
		}
		return s.nameOf(a.key.Peer) < s.nameOf(b.key.Peer)
	})
	return out
}

// selectConversation shows conversation k in the chat and BB84 panes.
func (s *Shell) selectConversation(k convKey) {
	c := s.conversation(k)
	s.current = k
	c.unread = 0
	s.chat.show(c)
	s.bb84.showExchanges(s.nameOf(k.Peer), s.exchanges[k.Peer], false)
	s.role.conversationChanged()
	s.sidebar.refresh()
}

// fileMessage files a message into its conversation: an incoming one, or
// an outgoing one in state st.
func (s *Shell) fileMessage(m *app.Message, st widgets.DeliveryState) {
	incoming := !m.Outgoing
	peer := m.To
	if incoming {
		peer = m.From
		if m.FromName != "" {
			s.names[peer] = m.FromName
		}
	}
	c := s.conversation(convKey{Peer: peer, Case: m.CaseID})
	isNew := c.add(m, st, s.early)
	if c.key == s.current {
		if isNew {
			s.chat.appendMessage(c, m)
		}
	} else if incoming && isNew {
		c.unread++
		if s.settings.Notifications {
			// The notification names the sender only: message text never
			// leaves the window.
			s.app.SendNotification(fyne.NewNotification("QKD Chat", "New message from "+s.nameOf(peer)))
		}
	}
	if s.current.Peer == "" {
		s.selectConversation(c.key)
	} else if s.sidebar.dirty || (incoming && isNew && c.key != s.current) {
		// A new conversation or a new unread count.
		s.sidebar.refresh()
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
			c := s.conversation(convKey{Peer: peerOf(m, self), Case: m.CaseID})
			c.add(m, widgets.StateSent, s.early)
		}
		if c, ok := s.convs[s.current]; ok {
			s.chat.show(c)
		}
		s.sidebar.refresh()
	})
}

func peerOf(m *app.Message, self string) string {
	if m.From == self {
		return m.To
	}
	return m.From
}
