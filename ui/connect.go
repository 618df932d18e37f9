package ui

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"qkdchat/node"
	"qkdchat/ui/widgets"
)

// dialer is what the Connect pane asks of the node.
type dialer interface {
	Listen(ctx context.Context, addr, code string) (net.Addr, string, error)
	Connect(ctx context.Context, addr, code string) (*node.Session, error)
	Reconnect(ctx context.Context, fingerprint string) (*node.Session, error)
	Contacts() ([]node.Contact, error)
}

// connectPane lets the user listen for a peer (showing the address and
// pairing code to pass on) or connect to one, and reconnect to contacts.
type connectPane struct {
	node   dialer
	jobs   worker
	online func(fp string) bool
	left   func(fp string) time.Time // when the last session this run saw ended; nil for never
	copied func(label, value string) // a Copy button was tapped

	listenHost *widget.Entry
	listenPort *widget.Entry
	listenCode *widget.Entry
	listenBtn  *widget.Button
	stopBtn    *widget.Button
	listenInfo *fyne.Container
	listenErr  *widget.Label
	stopListen context.CancelFunc
	addrs      []string // what the user should pass on, once listening
	code       string

	addr       *widget.Entry
	code2      *widget.Entry
	connectBtn *widget.Button
	busy       *widget.ProgressBarInfinite
	result     *widget.Label

	contacts *fyne.Container
	content  fyne.CanvasObject
}

// newConnectPane makes the pane; port is the listening port it proposes.
func newConnectPane(n dialer, jobs worker, port int, online func(string) bool, copied func(label, value string)) *connectPane {
	p := &connectPane{node: n, jobs: jobs, online: online, copied: copied}

	p.listenHost = widget.NewEntry()
	p.listenHost.SetText("0.0.0.0")
	p.listenPort = widget.NewEntry()
	p.listenPort.SetText(strconv.Itoa(port))
	p.listenCode = widget.NewEntry()
	p.listenCode.SetPlaceHolder("leave empty to make one up")
	p.listenBtn = widget.NewButtonWithIcon("Start listening", theme.MediaPlayIcon(), p.startListening)
	p.listenBtn.Importance = widget.HighImportance
	p.stopBtn = widget.NewButtonWithIcon("Stop", theme.MediaStopIcon(), p.stopListening)
	p.stopBtn.Disable()
	p.listenInfo = container.NewVBox()
	p.listenErr = widget.NewLabel("")
	p.listenErr.Importance = widget.DangerImportance
	p.listenErr.Wrapping = fyne.TextWrapWord
	listenForm := widget.NewForm(
		widget.NewFormItem("Address", p.listenHost),
		widget.NewFormItem("Port", p.listenPort),
		widget.NewFormItem("Pairing code", p.listenCode),
	)
	listen := widget.NewCard("Wait for someone to connect",
		"Share your address and pairing code with the other person.",
		container.NewVBox(listenForm, container.NewHBox(p.listenBtn, p.stopBtn), p.listenErr, p.listenInfo))

	p.addr = widget.NewEntry()
	p.addr.SetPlaceHolder("host:port, e.g. 192.168.1.20:7450")
	p.code2 = widget.NewEntry()
	p.code2.SetPlaceHolder("the code the other person gave you")
	p.code2.OnSubmitted = func(string) { p.startConnect() }
	p.connectBtn = widget.NewButtonWithIcon("Connect", theme.LoginIcon(), p.startConnect)
	p.connectBtn.Importance = widget.HighImportance
	p.busy = widget.NewProgressBarInfinite()
	p.busy.Hide()
	p.result = widget.NewLabel("")
	p.result.Wrapping = fyne.TextWrapWord
	connectForm := widget.NewForm(
		widget.NewFormItem("Address", p.addr),
		widget.NewFormItem("Pairing code", p.code2),
	)
	connect := widget.NewCard("Connect to someone",
		"Type the address and pairing code they gave you.",
		container.NewVBox(connectForm, container.NewHBox(p.connectBtn), p.busy, p.result))

	p.contacts = container.NewVBox()
	recent := widget.NewCard("Recent contacts", "Reconnect without a code: their identity key is pinned.", p.contacts)

	p.content = container.NewVScroll(container.NewPadded(container.NewVBox(
		connect, listen, recent)))
	return p
}

// startListening opens a listener in the background.
func (p *connectPane) startListening() {
	host := strings.TrimSpace(p.listenHost.Text)
	port, err := strconv.Atoi(strings.TrimSpace(p.listenPort.Text))
	if err != nil || port < 0 || port > 65535 {
		p.listenErr.SetText("The port must be a number from 0 to 65535 (0 picks a free one).")
		return
	}
	if host == "" {
		host = "0.0.0.0"
	}
	code := strings.TrimSpace(p.listenCode.Text)
	p.listenErr.SetText("")
	p.listenBtn.Disable()
	ctx, cancel := context.WithCancel(p.jobs.Context())
	p.jobs.Go(func() {
		addr, code, err := p.node.Listen(ctx, net.JoinHostPort(host, strconv.Itoa(port)), code)
		p.jobs.Do(func() {
			if err != nil {
				cancel()
				p.listenBtn.Enable()
				p.listenErr.SetText("Cannot listen: " + node.UserError(err))
				return
			}
			p.stopListen = cancel
			p.stopBtn.Enable()
			p.showListening(addr.String(), code)
		})
	})
}

func (p *connectPane) stopListening() {
	if p.stopListen != nil {
		p.stopListen()
		p.stopListen = nil
	}
	p.stopBtn.Disable()
	p.listenBtn.Enable()
	p.addrs, p.code = nil, ""
	p.listenInfo.Objects = []fyne.CanvasObject{widget.NewLabel("Not listening.")}
	p.listenInfo.Refresh()
}

// showListening shows where peers can reach this node and the code they
// need, with copy buttons.
func (p *connectPane) showListening(addr, code string) {
	if code == "" {
		return
	}
	p.addrs = reachableAddrs(addr)
	p.code = code
	var objs []fyne.CanvasObject
	objs = append(objs, widget.NewLabelWithStyle("Listening. Give the other person:", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	for _, a := range p.addrs {
		objs = append(objs, widgets.NewCopyRow("Address", a, p.copied))
	}
	objs = append(objs, widgets.NewCopyRow("Pairing code", code, p.copied))
	p.listenInfo.Objects = objs
	p.listenInfo.Refresh()
}

// reachableAddrs turns a bound address into addresses a peer can dial: a
// wildcard host becomes this machine's interface addresses.
func reachableAddrs(bound string) []string {
	host, port, err := net.SplitHostPort(bound)
	if err != nil {
		return []string{bound}
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsUnspecified() {
		return []string{bound}
	}
	var out []string
	ifaddrs, _ := net.InterfaceAddrs()
	for _, a := range ifaddrs {
		n, ok := a.(*net.IPNet)
		if !ok || n.IP.To4() == nil || n.IP.IsLoopback() || n.IP.IsLinkLocalUnicast() {
			continue
		}
		out = append(out, net.JoinHostPort(n.IP.String(), port))
		if len(out) == 3 {
			break
		}
	}
	return append(out, net.JoinHostPort("127.0.0.1", port))
}

// startConnect dials and pairs in the background.
func (p *connectPane) startConnect() {
	addr := strings.TrimSpace(p.addr.Text)
	code := strings.TrimSpace(p.code2.Text)
	if _, _, err := net.SplitHostPort(addr); err != nil {
		p.showError("Type the address as host:port, for example 192.168.1.20:7450.")
		return
	}
	if code == "" {
		p.showError("Type the pairing code the other person gave you.")
		return
	}
	p.connectBtn.Disable()
	p.busy.Show()
	p.result.Importance = widget.MediumImportance
	p.result.SetText("Connecting to " + addr + " and checking the pairing code…")
	p.jobs.Go(func() {
		// The session lives as long as the context given to Connect, so
		// it gets the shell's; the transport bounds the handshake itself.
		_, err := p.node.Connect(p.jobs.Context(), addr, code)
		p.jobs.Do(func() {
			p.connectBtn.Enable()
			p.busy.Hide()
			if err != nil {
				p.showError(node.UserError(err))
			}
		})
	})
}

// showError shows why connecting or pairing failed.
func (p *connectPane) showError(msg string) {
	p.busy.Hide()
	p.connectBtn.Enable()
	p.result.Importance = widget.DangerImportance
	p.result.SetText(msg)
}

func (p *connectPane) showPaired(name string, role node.Role) {
	p.result.Importance = widget.SuccessImportance
	p.result.SetText(fmt.Sprintf("Connected to %s (%s). The BB84 key exchange is running.", name, roleLabel(role)))
	p.refreshContacts()
}

// refreshContacts lists the pinned contacts with a Reconnect button each.
func (p *connectPane) refreshContacts() {
	cs, err := p.node.Contacts()
	if err != nil {
		p.contacts.Objects = []fyne.CanvasObject{widget.NewLabel("Cannot read contacts: " + node.UserError(err))}
		p.contacts.Refresh()
		return
	}
	var objs []fyne.CanvasObject
	for _, c := range cs {
		c := c
		info := fmt.Sprintf("%s (%s)", c.Name, roleLabel(c.Role))
		var left time.Time
		if p.left != nil {
			left = p.left(c.Fingerprint)
		}
		// The node's LastSeen is when the last session began.
		if pr := contactPresence(p.online(c.Fingerprint), left, c.LastSeen, time.Now()); pr != "" {
			info += " · " + pr
		}
		btn := widget.NewButtonWithIcon("Reconnect", theme.ViewRefreshIcon(), nil)
		switch {
		case p.online(c.Fingerprint):
			btn.SetText("Connected")
			btn.Disable()
		case c.Addr == "":
			btn.SetText("They connect to you")
			btn.Disable()
		default:
			info += " · " + c.Addr
			btn.OnTapped = func() { p.reconnect(c, btn) }
		}
		objs = append(objs, container.NewBorder(nil, nil, nil, btn, widget.NewLabel(info)))
	}
	if len(objs) == 0 {
		objs = append(objs, widget.NewLabel("No contacts yet: people you pair with appear here."))
	}
	p.contacts.Objects = objs
	p.contacts.Refresh()
}

func (p *connectPane) reconnect(c node.Contact, btn *widget.Button) {
	btn.Disable()
	p.result.Importance = widget.MediumImportance
	p.result.SetText("Reconnecting to " + c.Name + " at " + c.Addr + "…")
	p.jobs.Go(func() {
		_, err := p.node.Reconnect(p.jobs.Context(), c.Fingerprint)
		p.jobs.Do(func() {
			btn.Enable()
			if err != nil {
				p.showError(node.UserError(err))
			}
		})
	})
}
