package invites

import (
	"net"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"qkdchat/node"
)

// Listening is what the status line shows: whether the node listens,
// where, and the addresses to hand out.
type Listening struct {
	Listening bool
	Addr      string   // the address it is bound to
	LAN       []string // the addresses to hand out (host:port)
	Note      string   // why it does not listen, or what else to know
}

// Line is the status line's text for l.
func Line(l Listening) string {
	if !l.Listening {
		s := "Not listening: patients and doctors cannot reach you"
		if l.Note != "" {
			s += " (" + l.Note + ")"
		}
		return s + "."
	}
	s := "Listening on " + l.Addr
	if len(l.LAN) > 0 {
		s += " · reach me at " + strings.Join(l.LAN, ", ")
	}
	if l.Note != "" {
		s += " · " + l.Note
	}
	return s
}

// Status is the hospital's listening line, to keep visible on every tab.
type Status struct {
	icon    *widget.Icon
	label   *widget.Label
	shown   Listening
	content fyne.CanvasObject
}

// NewStatus makes the line, saying the node does not listen yet.
func NewStatus() *Status {
	s := &Status{icon: widget.NewIcon(theme.MediaStopIcon()), label: widget.NewLabel("")}
	s.label.Truncation = fyne.TextTruncateEllipsis
	s.content = container.NewBorder(nil, nil, s.icon, nil, s.label)
	s.Set(Listening{})
	return s
}

// Content is the line's root object.
func (s *Status) Content() fyne.CanvasObject { return s.content }

// Set shows l.
func (s *Status) Set(l Listening) {
	s.shown = l
	s.label.SetText(Line(l))
	s.label.Importance = widget.MediumImportance
	if l.Listening {
		s.icon.SetResource(theme.MediaPlayIcon())
	} else {
		s.icon.SetResource(theme.MediaStopIcon())
		s.label.Importance = widget.WarningImportance
	}
	s.label.Refresh()
}

// Shown is what the line shows.
func (s *Status) Shown() Listening { return s.shown }

// HandOut turns a bound address into the addresses to hand out: a
// wildcard host becomes this machine's interface addresses.
func HandOut(bound string) []string {
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

// FromReach is what the line shows of the node's reachability st, or of
// err when listening failed.
func FromReach(st node.ReachStatus, err error) Listening {
	if err != nil {
		return Listening{Note: node.UserError(err)}
	}
	l := Listening{Listening: st.Listening, Addr: st.Addr, LAN: st.LAN}
	switch {
	case st.Announcing:
		l.Note = "announced to devices nearby"
	case st.AnnounceError != "":
		l.Note = "not announced nearby: " + st.AnnounceError
	}
	return l
}
