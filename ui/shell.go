package ui

import (
	"context"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"qkdchat/node"
	"qkdchat/ui/cases"
	"qkdchat/ui/exchanges"
	"qkdchat/ui/files"
	"qkdchat/ui/invites"
	"qkdchat/ui/join"
	"qkdchat/ui/ledger"
	"qkdchat/ui/prefs"
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
	TabInvite   = "invite" // a hospital's first tab
	TabJoin     = "join"   // a patient's and a doctor's first tab
)

// ShellOptions configure a Shell.
type ShellOptions struct {
	// Dir is the node's data directory, where Settings saves the profile;
	// empty disables editing the profile.
	Dir string
	// StartRekey is the rekey interval the node was opened with, so that
	// Settings can tell the user when a change needs a restart.
	StartRekey time.Duration
	// Thread is shared by every window of one app; nil makes one.
	Thread *Thread
	// Notifier shows desktop notifications; nil sends them through the
	// fyne.App.
	Notifier Notifier
	// Launcher opens an attachment with the OS's application; nil uses
	// fyne.App.OpenURL.
	Launcher files.Launcher
	// SaveAsker asks where to save an attachment; nil shows Fyne's
	// file-save dialog.
	SaveAsker files.SaveAsker
	// OnLAN is the app proper: a hospital listens from start-up on its
	// remembered address (else node.DefaultListenAddr) and announces
	// itself; a patient or a doctor looks for hospitals nearby. Tests
	// leave it off, to stay on 127.0.0.1.
	OnLAN bool
}

// worker is how a pane runs slow work: Go starts it off the UI goroutine,
// Do reports back on it, and Context ends when the shell closes. *Jobs is
// one.
type worker interface {
	Go(f func())
	Do(f func())
	Context() context.Context
}

// Shell is everything the user sees of one node inside a window: the
// sidebar of conversations and the tabs (Connect, Chat, BB84, Ledger, the
// role's pane, Settings), plus the controller goroutine that applies the
// node's events to them. It composes the panes, each built from only what
// it uses of the node, and holds no protocol state of its own beyond what
// it displays.
type Shell struct {
	app      fyne.App
	win      fyne.Window
	node     *node.Node
	th       *Thread
	jobs     *Jobs
	ctx      context.Context // jobs.Context(), for the ledger pane
	settings prefs.Settings

	inbox  *inbox
	people *peers
	names  map[string]string // people.names, for the ledger pane
	// exchanges holds each peer's BB84 exchanges from the events, so they
	// stay visible after the session ends.
	exchanges map[string][]*node.KeyExchange

	sidebar   *sidebar
	connect   *connectPane
	chat      *chatPane
	bb84      *exchanges.Panel
	ledger    *ledger.Pane
	conflict  *ledger.Banner
	role      *cases.Pane
	prefs     *settingsPane
	invite    *invites.Pane   // a hospital's, else nil
	listening *invites.Status // a hospital's listening line, else nil
	join      *join.Pane      // a patient's or a doctor's, else nil
	tabs      *container.AppTabs
	tabItems  map[string]*container.TabItem
	status    *widget.Label
	content   fyne.CanvasObject

	files    *files.Actions
	notifier Notifier
	notified map[string]bool   // news already notified (attention.go)
	titles   map[string]string // case ID -> title, until the case changes
	att      attention         // badges, status and notifications (attention.go)

	done chan struct{}
}

// NewShell builds the panes for node n inside window w and starts
// applying the node's events to them. Call Close when the window goes away;
// it does not close the node.
func NewShell(a fyne.App, w fyne.Window, n *node.Node, opts ShellOptions) *Shell {
	th := opts.Thread
	if th == nil {
		th = &Thread{}
	}
	jobs := NewJobs(context.Background(), th)
	s := &Shell{
		app: a, win: w, node: n, th: th, jobs: jobs, ctx: jobs.Context(),
		settings:  prefs.Load(a.Preferences()),
		inbox:     newInbox(),
		people:    newPeers(),
		exchanges: map[string][]*node.KeyExchange{},
		done:      make(chan struct{}),
		notifier:  opts.Notifier,
		notified:  map[string]bool{},
		titles:    map[string]string{},
	}
	s.att = attention{s}
	if s.notifier == nil {
		s.notifier = appNotifier{a}
	}
	s.files = &files.Actions{Reader: n.Clinic(), Launch: opts.Launcher, Saver: opts.SaveAsker, Jobs: jobs, Win: w,
		Status: func(msg string, _ bool) { s.setStatus(msg) }}
	if s.files.Launch == nil {
		s.files.Launch = files.AppLauncher{App: a}
	}
	if s.files.Saver == nil {
		s.files.Saver = files.DialogSaver{Win: w}
	}
	s.names = s.people.names
	s.status = widget.NewLabel("")
	s.status.Truncation = fyne.TextTruncateEllipsis
	prof := n.Profile()
	s.sidebar = newSidebar(prof.Name+" · "+roleLabel(prof.Role), func() { s.ShowTab(TabConnect) }, s.openConversation)
	s.connect = newConnectPane(n, jobs, s.settings.Port, s.people.Online, func(label, value string) {
		s.app.Clipboard().SetContent(value)
		s.setStatus(label + " copied.")
	})
	s.connect.left = s.people.Left
	s.chat = newChatPane(nodeSender{n}, jobs, s.people.Name, func(m *node.Message) { s.fileMessage(m, widgets.StateQueued) }, s.setStatus)
	s.chat.win, s.chat.files, s.chat.caseTitle, s.chat.openCase = w, s.files, s.att.caseTitle, s.openCase
	s.bb84 = exchanges.New(n, jobs, s.people.Name, s.setStatus)
	s.ledger = ledger.New(n.Auditor(), s.ledgerEnv())
	s.conflict = ledger.NewBanner(n.Auditor(), s.ledgerEnv())
	s.role = cases.New(w, prof.Role, n.Clinic(), jobs, s.people)
	s.role.SetFiles(s.files)
	s.role.OnUnseen(func(int) { s.att.refreshBadges() })
	s.sidebar.caseTitle = s.att.caseTitle
	s.prefs = newSettingsPane(a, n, opts.Dir, opts.StartRekey, func(st prefs.Settings) { s.settings = st }, s.bb84.SetThreshold)

	// The tabs, in their order: a new pane is one more row (and a Tab
	// constant above).
	tabs := []struct {
		name string
		item *container.TabItem
	}{
		{TabConnect, container.NewTabItemWithIcon("Connect", theme.LoginIcon(), s.connect.content)},
		{TabChat, container.NewTabItemWithIcon("Chat", theme.MailComposeIcon(), s.chat.content)},
		{TabBB84, container.NewTabItemWithIcon("BB84 key", theme.VisibilityIcon(), s.bb84.Content())},
		{TabLedger, container.NewTabItemWithIcon("Ledger", theme.ListIcon(), s.ledger.Content())},
		{TabRole, container.NewTabItemWithIcon(s.role.Title(), theme.DocumentCreateIcon(), s.role.Content())},
		{TabSettings, container.NewTabItemWithIcon("Settings", theme.SettingsIcon(), s.prefs.content)},
	}
	top := s.conflict.Content()
	type tab = struct {
		name string
		item *container.TabItem
	}
	if prof.Role == node.RoleHospital { // Invite first, the listening line above every tab
		s.invite = invites.New(n.Invites(), n.Clinic(), jobs, s.connect.copied)
		s.listening = invites.NewStatus()
		s.connect.stopped = func() { s.listening.Set(invites.Listening{}) }
		s.connect.listened = func(st node.ReachStatus, err error) { s.listening.Set(invites.FromReach(st, err)) }
		tabs = append([]tab{{TabInvite, container.NewTabItemWithIcon(s.invite.Title(), theme.ContentAddIcon(), s.invite.Content())}}, tabs...)
		top = container.NewVBox(container.NewPadded(s.listening.Content()), top)
	} else { // Join first
		s.join = join.New(n.Invites(), prof.Role, jobs)
		if opts.OnLAN {
			s.join.SetFinder(nearbyFinder(n.Reach()))
		}
		tabs = append([]tab{{TabJoin, container.NewTabItemWithIcon(s.join.Title(), theme.LoginIcon(), s.join.Content())}}, tabs...)
	}
	if prof.Role == node.RolePatient {
		s.connect.cards.Remove(s.connect.listenCard)
	}
	s.tabItems = map[string]*container.TabItem{}
	s.tabs = container.NewAppTabs()
	for _, t := range tabs {
		s.tabItems[t.name] = t.item
		s.tabs.Append(t.item)
	}
	s.tabs.OnSelected = func(ti *container.TabItem) {
		if ti == s.tabItems[TabLedger] {
			s.ledger.RefreshIfStale()
		}
		s.att.tabChosen(s.SelectedTab())
	}
	w.SetOnDropped(func(_ fyne.Position, uris []fyne.URI) { s.att.dropped(uris) })
	split := container.NewHSplit(s.sidebar.content, s.tabs)
	split.Offset = 0.22
	if opts.OnLAN && s.listening != nil {
		addr, err := n.Reach().RememberedAddr()
		if err != nil || addr == "" {
			addr = node.DefaultListenAddr
		}
		s.connect.listenOn(addr)
	}
	s.content = container.NewBorder(top, container.NewPadded(s.status), nil, nil, split)

	s.loadContacts()
	s.bb84.SetThreshold(n.BB84().Threshold)

	ev, stop := n.Events()
	go s.runEvents(ev, stop)
	s.spawn(s.loadHistory)
	s.conflict.Reload()
	return s
}

// Content is the shell's root object, to put in a window.
func (s *Shell) Content() fyne.CanvasObject { return s.content }

// Node returns the node the shell shows.
func (s *Shell) Node() *node.Node { return s.node }

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
	s.jobs.Stop()
	s.files.Cleanup()
}

// Wait waits for the controller and all background work to end after
// Close. It must not be called on the UI goroutine.
func (s *Shell) Wait() {
	<-s.done
	s.jobs.Wait()
}

// spawn runs f on a goroutine of its own, as background work of the shell.
func (s *Shell) spawn(f func()) { s.jobs.Go(f) }

// do runs f on the UI goroutine unless the shell has been closed.
func (s *Shell) do(f func()) { s.jobs.Do(f) }

func (s *Shell) setStatus(msg string) { s.status.SetText(msg) }

// nameOf returns a peer's display name, or a short fingerprint.
func (s *Shell) nameOf(fp string) string { return s.people.Name(fp) }
