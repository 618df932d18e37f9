package nearby

import (
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"strings"

	"github.com/hashicorp/mdns"
)

// Service is the DNS-SD service type QKD Chat hospitals announce.
const Service = "_qkdchat._tcp"

// Domain is the mDNS domain.
const Domain = "local."

// txtVersion is the version of the TXT record layout.
const txtVersion = "1"

// Announcement is what a hospital says about itself.
type Announcement struct {
	// Name is the hospital's display name (required; at most MaxNameLen
	// characters after cleaning).
	Name string
	// Port is the TCP port it listens on (required).
	Port int
	// Fingerprint is its identity key's fingerprint, shown to people who
	// join so they can compare it (hex digits; spaces are dropped).
	Fingerprint string
	// IPs are the addresses to announce; empty means every address of
	// the machine's multicast-capable interfaces that are up.
	IPs []net.IP
	// Iface, when set, limits the announcement to one interface.
	Iface *net.Interface
	// Host is the host name to announce (default: the machine's name).
	Host string
}

// Announcer answers mDNS queries for one hospital until it is closed.
type Announcer struct {
	server *mdns.Server
}

// ErrNoAddress reports that the machine has no address to announce.
var ErrNoAddress = errors.New("nearby: no network address to announce")

// Announce starts answering queries for a on the local network.
func Announce(a Announcement) (*Announcer, error) {
	zone, err := newZone(a)
	if err != nil {
		return nil, err
	}
	srv, err := mdns.NewServer(&mdns.Config{Zone: zone, Iface: a.Iface, Logger: quietLogger()})
	if err != nil {
		return nil, fmt.Errorf("nearby: announce %q: %w", a.Name, err)
	}
	return &Announcer{server: srv}, nil
}

// Close stops answering.
func (a *Announcer) Close() error {
	if err := a.server.Shutdown(); err != nil {
		return fmt.Errorf("nearby: stop announcing: %w", err)
	}
	return nil
}

// quietLogger discards the library's log lines: they are triggered by
// whatever other machines send, so they would let anyone on the network
// fill our logs.
func quietLogger() *log.Logger { return log.New(io.Discard, "", 0) }

// newZone builds the DNS-SD records for a.
func newZone(a Announcement) (*mdns.MDNSService, error) {
	name := cleanName(a.Name)
	if name == "" {
		return nil, fmt.Errorf("nearby: a hospital needs a name to announce")
	}
	if a.Port <= 0 || a.Port > 65535 {
		return nil, fmt.Errorf("nearby: port %d is not a TCP port", a.Port)
	}
	fp, err := cleanFingerprint(a.Fingerprint)
	if err != nil {
		return nil, err
	}
	ips := a.IPs
	if len(ips) == 0 {
		ips = LocalIPs(a.Iface)
	}
	if len(ips) == 0 {
		return nil, ErrNoAddress
	}
	host := a.Host
	if host == "" {
		host, _ = os.Hostname()
	}
	host = hostLabel(host) + "." + Domain
	txt := []string{"v=" + txtVersion, "name=" + name, "fp=" + fp}
	zone, err := mdns.NewMDNSService(instanceName(name, fp), Service, Domain, host, a.Port, ips, txt)
	if err != nil {
		return nil, fmt.Errorf("nearby: announce %q: %w", name, err)
	}
	return zone, nil
}

// instanceName is the DNS-SD instance label: the name and the start of
// the fingerprint, so two hospitals with one name stay apart. DNS labels
// hold at most 63 bytes.
func instanceName(name, fp string) string {
	label := strings.Map(func(r rune) rune {
		if r == '.' || r == '\\' {
			return -1
		}
		return r
	}, name)
	if len(fp) > 8 {
		fp = fp[:8]
	}
	suffix := ""
	if fp != "" {
		suffix = " " + fp
	}
	for len(label)+len(suffix) > 63 {
		r := []rune(label)
		label = string(r[:len(r)-1])
	}
	return strings.TrimSpace(label) + suffix
}

// hostLabel makes a DNS host label of a machine name.
func hostLabel(h string) string {
	h = strings.ToLower(strings.SplitN(h, ".", 2)[0])
	var b strings.Builder
	for _, r := range h {
		if b.Len() == 63 {
			break
		}
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "qkdchat"
	}
	return b.String()
}

// LocalIPs lists the addresses of the interfaces that are up and can
// multicast (iface alone when set), IPv4 first, without loopback unless it
// is the only one: the addresses a hospital hands out.
func LocalIPs(iface *net.Interface) []net.IP {
	var ifaces []net.Interface
	if iface != nil {
		ifaces = []net.Interface{*iface}
	} else {
		all, err := net.Interfaces()
		if err != nil {
			return nil
		}
		ifaces = all
	}
	var v4, v6, loop []net.IP
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagMulticast == 0 {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			n, ok := a.(*net.IPNet)
			if !ok {
				continue
			}
			ip := n.IP
			switch {
			case ip.IsLoopback():
				loop = append(loop, ip)
			case ip.To4() != nil:
				v4 = append(v4, ip)
			case ip.IsGlobalUnicast():
				v6 = append(v6, ip)
			}
		}
	}
	out := append(v4, v6...)
	if len(out) == 0 {
		return loop
	}
	return out
}
