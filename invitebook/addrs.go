package invitebook

import (
	"net"
	"strconv"

	"qkdchat/invite"
)

// DefaultPort is the port an invite names when the node is not listening
// (the CLI's listen default).
const DefaultPort = 7450

// Addrs are the addresses a new invite names, to try in order: the
// addresses listening binds (a wildcard one, or none, stands for lan,
// the machine's LAN addresses; a loopback-only listener is not named
// with LAN addresses it does not serve), then loopback ones, then
// 127.0.0.1 last, on the listening port or DefaultPort. At most
// invite.MaxAddrs.
func Addrs(listening []net.Addr, lan []net.IP) []string {
	var out []string
	seen := map[string]bool{}
	add := func(a string) {
		if !seen[a] && len(out) < invite.MaxAddrs {
			seen[a] = true
			out = append(out, a)
		}
	}
	port := DefaultPort
	lanToo := len(listening) == 0 // not listening: where it will
	var loop []string
	for _, a := range listening {
		ta, ok := a.(*net.TCPAddr)
		if !ok {
			continue
		}
		port = ta.Port
		switch {
		case ta.IP.IsUnspecified():
			lanToo = true
		case ta.IP.IsLoopback():
			loop = append(loop, ta.String())
		default:
			add(ta.String())
		}
	}
	if lanToo {
		for _, ip := range lan {
			if !ip.IsLoopback() && !ip.IsUnspecified() {
				add(net.JoinHostPort(ip.String(), strconv.Itoa(port)))
			}
		}
	}
	// Room for the loopback fallback even when the LAN list is long.
	if len(out) == invite.MaxAddrs {
		out = out[:invite.MaxAddrs-1]
	}
	for _, a := range loop {
		add(a)
	}
	add(net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	return out
}
