package cli

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"qkdchat/cli/bb84flags"
	"qkdchat/cli/eventline"
	"qkdchat/cli/invitecmd"
	"qkdchat/cli/lan"
	"qkdchat/cli/tally"
	"qkdchat/node"
)

// peerFlags are the flags shared by listen and connect.
type peerFlags struct {
	data, name, role, code string
	jsonOut, verbose       bool
	bb84                   *bb84flags.Flags
	rekeyMessages          int
	rekeyInterval          time.Duration
}

func (p *peerFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&p.data, "data", "", "data directory (default: the per-user config directory)")
	fs.StringVar(&p.name, "name", "", "display name (saved in the data directory)")
	fs.StringVar(&p.role, "role", "", "role: patient, hospital or doctor (saved in the data directory)")
	fs.StringVar(&p.code, "code", "", "pairing code")
	fs.BoolVar(&p.jsonOut, "json", false, "print every event as one JSON line")
	fs.BoolVar(&p.verbose, "v", false, "log protocol details on stderr")
	p.bb84 = bb84flags.Register(fs)
	fs.IntVar(&p.rekeyMessages, "rekey-messages", 1000, "rekey after this many messages")
	fs.DurationVar(&p.rekeyInterval, "rekey-interval", 10*time.Minute, "rekey after this long (0 or less: never)")
}

func (p *peerFlags) validate() error {
	if _, err := p.bb84.Settings(); err != nil {
		return Usagef("%v", err)
	}
	if p.rekeyMessages < 1 {
		return Usagef("--rekey-messages must be at least 1")
	}
	return nil
}

// dataDir resolves --data, defaulting to the per-user location.
func dataDir(flagValue string) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	return node.DefaultDataDir()
}

// peerRun is the node, console and session context (life) of listen and
// connect.
type peerRun struct {
	life    context.Context
	endLife context.CancelFunc
	n       *node.Node
	con     *console
}

// start opens them. Sessions live on life, apart from ctx, so that Ctrl-C
// (ctx) makes them leave cleanly, through their final checkpoint
// exchanges, before the node closes; a second Ctrl-C ends the process.
func (p *peerFlags) start(ctx context.Context, env *Env) (*peerRun, error) {
	life, endLife := context.WithCancel(context.WithoutCancel(ctx))
	n, err := p.openNode(env)
	if err != nil {
		endLife()
		return nil, err
	}
	return &peerRun{life, endLife, n, newConsole(n, env, p.jsonOut)}, nil
}

// stop stops the console, closes the node and ends life.
func (r *peerRun) stop() { r.con.stop(); r.n.Close(); r.endLife() }

// openNode saves the profile given on the command line (if any) and opens
// the node.
func (p *peerFlags) openNode(env *Env) (*node.Node, error) {
	dir, err := dataDir(p.data)
	if err != nil {
		return nil, err
	}
	prof, err := node.LoadProfile(dir)
	if err != nil && !errors.Is(err, node.ErrNoProfile) {
		return nil, err
	}
	// Refuse a damaged data directory before saving the profile in it.
	if err := node.CheckDataDir(dir); err != nil {
		return nil, err
	}
	saved := prof
	if p.name != "" {
		prof.Name = p.name
	}
	if p.role != "" {
		r, err := node.ParseRole(p.role)
		if err != nil {
			return nil, Usagef("%v", err)
		}
		prof.Role = r
	}
	if prof.Name == "" || prof.Role == "" {
		return nil, Usagef("first run in %s: give --name and --role", dir)
	}
	if prof != saved {
		if err := node.SaveProfile(dir, prof); err != nil {
			return nil, err
		}
	}
	level := slog.LevelWarn
	if p.verbose {
		level = slog.LevelInfo
	}
	interval := p.rekeyInterval
	if interval <= 0 {
		interval = -1
	}
	b, err := p.bb84.Settings()
	if err != nil {
		return nil, Usagef("%v", err)
	}
	return node.Open(node.Options{
		Dir:           dir,
		Logger:        slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: level})),
		BB84:          b,
		RekeyMessages: p.rekeyMessages,
		RekeyInterval: interval,
	})
}

func runListen(ctx context.Context, env *Env, args []string) error {
	var p peerFlags
	fs := NewFlagSet(env, "listen", "")
	p.register(fs)
	addr := fs.String("addr", "", "address to listen on (HOST:PORT; port 0 picks one; default: the one remembered from the last listen, else "+node.DefaultListenAddr+")")
	if err := Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return Usagef("unexpected argument %q", fs.Arg(0))
	}
	if err := p.validate(); err != nil {
		return err
	}
	r, err := p.start(ctx, env)
	if err != nil {
		return err
	}
	defer r.stop()
	life, n, con := r.life, r.n, r.con
	st, err := n.Reach().Listen(life, *addr, p.code)
	if err != nil {
		return err
	}
	con.status(st)
	// A listener serves until it is stopped; the end of stdin (for
	// example when started from a script) does not stop it.
	con.readStdin(ctx, nil)
	<-ctx.Done()
	n.Close() // every session through its final exchange, printed
	return nil
}

func runConnect(ctx context.Context, env *Env, args []string) error {
	var p peerFlags
	fs := NewFlagSet(env, "connect", "HOST:PORT --code CODE | INVITE")
	p.register(fs)
	once := fs.Bool("once", false, "exit when the session ends instead of redialling the peer")
	near := fs.String("nearby", "", "join the hospital of this name found on the LAN (see 'qkdchat nearby') instead of HOST:PORT")
	usage := fs.Usage
	fs.Usage = func() {
		usage()
		fmt.Fprint(fs.Output(), `
Each line read from stdin is sent as a chat message, through the outbox:
when the session drops, connect stays, redials the peer with back-off (1 s
doubling to 30 s) and delivers the lines typed meanwhile once it is back
(--once exits instead). Exit status: 0 when every line was delivered and
acknowledged by the peer; 1 when not (with --once the peer left or died,
the first key exchange aborted, or no acknowledgement came within 30s of
the end of input), with the count and the message IDs on stderr (and an
"undelivered" JSON object with --json); 2 for a bad command line.
`)
	}
	if err := Parse(fs, args); err != nil {
		return err
	}
	if err := connectTarget(fs, *near); err != nil {
		return err
	}
	if err := p.validate(); err != nil {
		return err
	}
	target := fs.Arg(0)
	isInvite, err := p.takeInvite(target)
	if err != nil {
		return err
	}
	// The session lives on its own context (see start); a Ctrl-C while
	// still dialing stops the dial.
	r, err := p.start(ctx, env)
	if err != nil {
		return err
	}
	defer r.stop()
	life, endLife, n, con := r.life, r.endLife, r.n, r.con
	stopDial := context.AfterFunc(ctx, endLife)
	var s *node.Session
	if isInvite {
		s, err = n.Invites().Join(life, target)
	} else {
		s, err = lan.Dial(life, n, target, *near, p.code)
	}
	if !stopDial() && ctx.Err() != nil && err == nil {
		s.Close()
		return nil // interrupted while dialing
	}
	if err != nil {
		return errors.New(node.UserError(err))
	}
	if s == nil {
		return errors.New("the peer was refused (see above)")
	}
	con.setPeer(s.Peer().Fingerprint)
	ended, release := s.Done(), func() {}
	if !*once {
		// Stay: the peer is redialled with back-off whenever the session
		// drops, and lines typed meanwhile wait in the outbox.
		if release, err = n.Reach().Keep(s.Peer().Fingerprint); err != nil {
			return err
		}
		ended = nil
	}
	eof := make(chan struct{})
	con.readStdin(ctx, eof)
	verdict := con.finish(ctx, s.Peer().Name, ended, eof, 30*time.Second)
	release() // the session left now is not redialled
	// Leave through the final checkpoint exchange and print what it found.
	if cur, ok := n.Session(s.Peer().Fingerprint); ok {
		cur.Close()
		con.waitLeft(life, 5*time.Second)
	}
	if verdict != nil {
		con.report(verdict)
		return &ExitError{Code: 1, Err: verdict}
	}
	return nil
}

func runContacts(_ context.Context, env *Env, args []string) error {
	fs := NewFlagSet(env, "contacts", "")
	data := fs.String("data", "", "data directory (default: the per-user config directory)")
	jsonOut := fs.Bool("json", false, "print JSON")
	if err := Parse(fs, args); err != nil {
		return err
	}
	dir, err := dataDir(*data)
	if err != nil {
		return err
	}
	st, err := node.OpenStore(dir + string(os.PathSeparator) + node.StateFile)
	if err != nil {
		return err
	}
	defer st.Close()
	cs, err := st.Contacts()
	if err != nil {
		return err
	}
	if *jsonOut {
		enc := json.NewEncoder(env.Stdout)
		for _, c := range cs {
			enc.Encode(c)
		}
		return nil
	}
	if len(cs) == 0 {
		fmt.Fprintln(env.Stdout, "no contacts yet: pair with someone using listen/connect and a code")
		return nil
	}
	fmt.Fprintf(env.Stdout, "%-24s %-9s %-39s %-21s %s\n", "NAME", "ROLE", "FINGERPRINT", "ADDRESS", "LAST SEEN")
	for _, c := range cs {
		fmt.Fprintf(env.Stdout, "%-24s %-9s %-39s %-21s %s\n", c.Name, c.Role, c.Fingerprint, c.Addr, c.LastSeen.Format(time.DateTime))
	}
	return nil
}

// console prints a node's events and turns stdin lines into messages and
// slash commands.
type console struct {
	n      *node.Node
	env    *Env
	json   bool
	cancel func()
	wg     sync.WaitGroup
	mu     sync.Mutex
	peer   string            // fingerprint of the peer lines are sent to
	texts  map[string]string // text of sent chat lines not yet acknowledged, by ID
	lines  tally.Lines       // the chat lines read, until acknowledged
	keyed  bool              // a key exchange with the peer succeeded
	// keyFailed is closed (with keyFailure set) when the first key
	// exchange with the peer aborts: nothing can be sent.
	keyFailed  chan struct{}
	keyFailure string
	gone       bool // the peer's disconnected event has been handled
	changed    chan struct{}
	left       chan struct{} // closed when a disconnected event was printed
	leftClosed bool
	offline    map[string]bool // peers last reported offline
}

func newConsole(n *node.Node, env *Env, jsonOut bool) *console {
	c := &console{n: n, env: env, json: jsonOut, texts: map[string]string{}, lines: tally.NewLines(), offline: map[string]bool{},
		keyFailed: make(chan struct{}), changed: make(chan struct{}, 1), left: make(chan struct{})}
	events, cancel := n.Events()
	c.cancel = cancel
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		for e := range events {
			c.handle(e)
		}
	}()
	return c
}

func (c *console) stop() {
	c.cancel()
	c.wg.Wait()
}

func (c *console) setPeer(fp string) {
	c.mu.Lock()
	c.peer = fp
	c.mu.Unlock()
}

func (c *console) handle(e node.Event) {
	if e.Type == node.EventDisconnected {
		defer c.closeLeft() // once printed
	}
	c.mu.Lock()
	var delivered string // the text of a message the peer just acknowledged
	ours := c.peer == "" || e.Peer == c.peer
	line := ""
	switch e.Type {
	case node.EventPresence:
		line = c.presenceLine(e)
	case node.EventPaired:
		c.peer = e.Peer
		c.reopenLeft()
	case node.EventKeyAborted:
		// An exchange that failed by bad luck is retried by itself: only
		// one that is not tells connect there will be no key.
		if ours && !c.keyed && c.keyFailure == "" && !eventline.Retrying(e) {
			c.keyFailure = fmt.Sprintf("the key exchange with %s aborted, no key was made: %s", cmp.Or(e.PeerName, "the peer"), e.Reason)
			close(c.keyFailed)
		}
	case node.EventKeyEstablished:
		if ours {
			c.keyed = true
		}
	case node.EventDisconnected:
		if ours {
			c.gone = true
		}
	case node.EventMessageSent:
		if e.Message != nil && e.Message.Kind == node.KindChat.String() {
			c.texts[e.MessageID] = e.Message.Text
		}
	case node.EventDelivery:
		if e.State == node.Delivered {
			delivered = c.texts[e.MessageID]
			delete(c.texts, e.MessageID)
			c.lines.Acknowledged(e.MessageID)
		}
	}
	c.mu.Unlock()
	c.wake()
	if c.json {
		b, err := json.Marshal(e)
		if err == nil {
			c.env.Stdout.Write(append(b, '\n'))
		}
		return
	}
	if line == "" {
		line = eventline.Line(e)
	}
	if line == "" && e.Type == node.EventDelivery && e.State == node.Delivered && delivered != "" {
		// A plain chat line (workflow messages describe themselves).
		line = fmt.Sprintf("[%s] delivered to %s: %s", e.Time.Format("15:04:05"), cmp.Or(e.PeerName, "peer"), delivered)
	}
	if line != "" {
		fmt.Fprintln(c.env.Stdout, line)
	}
}

// waitLeft waits (at most limit) until the end of a session was printed,
// so that what its final checkpoint exchange reported is printed too.
func (c *console) waitLeft(ctx context.Context, limit time.Duration) {
	c.mu.Lock()
	left := c.left
	c.mu.Unlock()
	select {
	case <-left:
	case <-ctx.Done():
	case <-time.After(limit):
	}
}

func (c *console) wake() {
	select {
	case c.changed <- struct{}{}:
	default:
	}
}

// finish waits until connect can give its verdict: input ended and every
// line acknowledged (nil), or the session ended (ended, nil while connect
// redials), the first key exchange
// aborted, ctx ended or limit passed after the end of input (a
// *NotDeliveredError naming what the peer did not acknowledge).
func (c *console) finish(ctx context.Context, name string, ended, eof <-chan struct{}, limit time.Duration) *NotDeliveredError {
	peer := cmp.Or(name, "the peer")
	var deadline <-chan time.Time
	for {
		if deadline != nil {
			c.mu.Lock()
			settled := c.lines.Settled()
			c.mu.Unlock()
			if settled {
				q := c.queuedIDs()
				if len(q) == 0 {
					return nil
				}
			}
		}
		select {
		case <-eof:
			eof = nil
			deadline = time.After(limit)
		case <-c.changed:
		case <-ctx.Done():
			return c.outcome("interrupted")
		case <-c.keyFailed:
			return c.outcome("")
		case <-ended: // nil while connect redials
			// Acknowledgements read before the end are published before
			// the disconnected event: handle them, and let running Send
			// calls return, before counting.
			c.settle(ctx, 10*time.Second)
			return c.outcome("the session with " + peer + " ended")
		case <-deadline:
			return c.outcome(fmt.Sprintf("no acknowledgement from %s within %s of the end of input", peer, limit))
		}
	}
}

// settle waits (up to limit) until the peer's disconnected event has been
// handled and no Send call is running.
func (c *console) settle(ctx context.Context, limit time.Duration) {
	deadline := time.After(limit)
	for {
		c.mu.Lock()
		done := c.gone && !c.lines.Busy()
		c.mu.Unlock()
		if done {
			return
		}
		select {
		case <-c.changed:
		case <-ctx.Done():
			return
		case <-deadline:
			return
		}
	}
}

// outcome is the verdict now: nil if every line read was acknowledged and
// nothing is left in the outbox. If the first key exchange aborted, it is
// never nil: no key means no chat, even with nothing read.
func (c *console) outcome(reason string) *NotDeliveredError {
	queued := c.queuedIDs()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.keyFailure == "" {
		return c.lines.Outcome(reason, queued)
	}
	if err := c.lines.Outcome(c.keyFailure, queued); err != nil {
		return err
	}
	return &NotDeliveredError{Reason: c.keyFailure}
}

// undeliveredEvent is what connect prints with --json before it exits 1.
type undeliveredEvent struct {
	Type       string    `json:"type"` // "undelivered"
	Time       time.Time `json:"time"`
	Reason     string    `json:"reason"`
	Count      int       `json:"count"`
	MessageIDs []string  `json:"message_ids"`
	NotSent    int       `json:"not_sent,omitempty"`
}

// report prints err as an "undelivered" JSON object with --json (the exit
// status and stderr say it in every mode).
func (c *console) report(err *NotDeliveredError) {
	if !c.json {
		return
	}
	b, jerr := json.Marshal(undeliveredEvent{Type: "undelivered", Time: time.Now(), Reason: err.Error(), Count: err.Count,
		MessageIDs: append([]string{}, err.MessageIDs...), NotSent: err.NotSent})
	if jerr == nil {
		c.env.Stdout.Write(append(b, '\n'))
	}
}

// readStdin sends each line to the current peer; lines starting with a
// slash are commands. eof (if not nil) is closed when input ends.
func (c *console) readStdin(ctx context.Context, eof chan struct{}) {
	if c.env.Stdin == nil {
		if eof != nil {
			close(eof)
		}
		return
	}
	go func() {
		if eof != nil {
			defer close(eof)
		}
		sc := bufio.NewScanner(c.env.Stdin)
		sc.Buffer(make([]byte, 64*1024), 1<<20)
		for sc.Scan() {
			line := strings.TrimRight(sc.Text(), "\r")
			if strings.TrimSpace(line) == "" {
				continue
			}
			if err := c.command(ctx, line); err != nil {
				c.note("error: %s", node.UserError(err))
			}
		}
	}()
}

func (c *console) note(format string, a ...any) {
	if c.json {
		b, _ := json.Marshal(node.Event{Type: node.EventError, Time: time.Now(), Reason: fmt.Sprintf(format, a...)})
		c.env.Stdout.Write(append(b, '\n'))
		return
	}
	fmt.Fprintf(c.env.Stdout, format+"\n", a...)
}

func (c *console) current() (*node.Session, error) {
	c.mu.Lock()
	fp := c.peer
	c.mu.Unlock()
	if fp == "" {
		return nil, errors.New("no peer connected yet")
	}
	s, ok := c.n.Session(fp)
	if !ok {
		return nil, errors.New("the peer is not connected")
	}
	return s, nil
}

// sendLine sends a chat line to the current peer and counts it until the
// peer acknowledges it.
func (c *console) sendLine(ctx context.Context, line string) error {
	c.mu.Lock()
	c.lines.LineRead()
	c.mu.Unlock()
	id := ""
	defer func() {
		c.mu.Lock()
		c.lines.SendReturned(id)
		c.mu.Unlock()
		c.wake()
	}()
	c.mu.Lock()
	fp := c.peer
	c.mu.Unlock()
	if fp == "" {
		return errors.New("no peer connected yet")
	}
	// Through the outbox: delivered exactly once, now or after a redial.
	m, err := c.n.Send(ctx, fp, node.KindChat, "chat", line, nil)
	if m != nil {
		id = m.ID
	}
	return err
}

func (c *console) command(ctx context.Context, line string) error {
	if !strings.HasPrefix(line, "/") {
		return c.sendLine(ctx, line)
	}
	err := c.slashCommand(ctx, line)
	if err != nil {
		// A line read that was neither run nor sent: connect must not
		// exit 0 as if it had been delivered.
		c.mu.Lock()
		c.lines.LineRead()
		c.lines.SendReturned("")
		c.mu.Unlock()
		c.wake()
	}
	return err
}

// slashCommand runs a line starting with '/'.
func (c *console) slashCommand(ctx context.Context, line string) error {
	word, rest, _ := strings.Cut(strings.TrimPrefix(line, "/"), " ")
	rest = strings.TrimSpace(rest)
	switch word {
	case "rekey":
		s, err := c.current()
		if err != nil {
			return err
		}
		return s.Rekey(ctx)
	case "peers":
		for _, s := range c.n.Sessions() {
			p := s.Peer()
			c.note("%s (%s) %s epoch %d", p.Name, p.Role, p.Fingerprint, s.Epoch())
		}
		return nil
	case "to":
		s, ok := c.n.Session(rest)
		if !ok {
			return fmt.Errorf("no connected peer named %q", rest)
		}
		c.setPeer(s.Peer().Fingerprint)
		c.note("sending to %s", s.Peer().Name)
		return nil
	case "help":
		c.note("type a line to send it; commands: /to NAME, /peers, /rekey, /help")
		c.note("%s", workflowHelp)
		c.note("%s", invitecmd.Help)
		return nil
	}
	if handled, err := (invitecmd.Console{Node: c.n, JSON: c.json, Note: c.note, Out: c.env.Stdout}).Command(word, rest); handled {
		return err
	}
	if handled, err := c.workflowCommand(ctx, word, rest); handled {
		return err
	}
	return fmt.Errorf("unknown command /%s (try /help)", word)
}

// NotDeliveredError names the chat lines the peer did not acknowledge.
type NotDeliveredError = tally.NotDeliveredError
