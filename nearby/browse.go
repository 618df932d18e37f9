package nearby

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/hashicorp/mdns"

	"qkdchat/identity"
)

// MaxNameLen is the longest hospital name announced or shown, in
// characters.
const MaxNameLen = 64

// MaxHospitals bounds how many hospitals Browse returns: a network that
// answers with more is flooding, and the rest are dropped.
const MaxHospitals = 32

// maxAddrs bounds the addresses kept per hospital.
const maxAddrs = 8

// Hospital is one answer to a browse: where a hospital says it listens.
// Nothing in it is authenticated (see the package comment).
type Hospital struct {
	Name        string   `json:"name"`                  // display name, cleaned of control characters
	Fingerprint string   `json:"fingerprint,omitempty"` // as announced: 32 lower-case hex digits, or ""
	Addrs       []string `json:"addrs"`                 // host:port to dial, IPv4 first
}

// BrowseOptions tune Browse. Zero values take the defaults.
type BrowseOptions struct {
	Timeout time.Duration  // how long to listen for answers (2 s)
	Iface   *net.Interface // the interface to ask on (the system's default)
}

// Browse asks the local network which hospitals are there and returns
// them sorted by name, at most MaxHospitals.
func Browse(ctx context.Context, opts BrowseOptions) ([]Hospital, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = 2 * time.Second
	}
	entries := make(chan *mdns.ServiceEntry, 64)
	params := &mdns.QueryParam{
		Service:   Service,
		Domain:    strings.TrimSuffix(Domain, "."),
		Timeout:   opts.Timeout,
		Interface: opts.Iface,
		Entries:   entries,
		Logger:    quietLogger(),
	}
	var found collector
	done := make(chan struct{})
	go func() {
		defer close(done)
		for e := range entries {
			found.add(e.Info, e.InfoFields, e.AddrV4, ipv6Of(e), e.Port)
		}
	}()
	err := mdns.QueryContext(ctx, params)
	close(entries)
	<-done
	if err != nil && !errors.Is(err, context.Canceled) {
		return nil, fmt.Errorf("nearby: look for hospitals: %w", err)
	}
	return found.list(), nil
}

func ipv6Of(e *mdns.ServiceEntry) net.IP {
	if e.AddrV6IPAddr != nil {
		return e.AddrV6IPAddr.IP
	}
	return e.AddrV6
}

// collector merges the answers of one browse: hospitals are told apart by
// fingerprint and name, and each keeps the addresses it was seen at.
type collector struct {
	byKey map[string]*Hospital
	order []string
}

// add files one service entry. Entries without our TXT version, a name or
// a port are not ours and are dropped, as are hospitals beyond
// MaxHospitals.
func (c *collector) add(info string, fields []string, v4, v6 net.IP, port int) {
	h, ok := parseTXT(fields)
	if !ok || port <= 0 || port > 65535 {
		return
	}
	var addrs []string
	if v4 != nil && v4.To4() != nil && !v4.IsUnspecified() {
		addrs = append(addrs, net.JoinHostPort(v4.String(), strconv.Itoa(port)))
	}
	if v6 != nil && v6.To4() == nil && !v6.IsUnspecified() {
		addrs = append(addrs, net.JoinHostPort(v6.String(), strconv.Itoa(port)))
	}
	if len(addrs) == 0 {
		return
	}
	if c.byKey == nil {
		c.byKey = map[string]*Hospital{}
	}
	key := h.Fingerprint + "\x00" + h.Name
	cur, ok := c.byKey[key]
	if !ok {
		if len(c.order) >= MaxHospitals {
			return
		}
		cur = &Hospital{Name: h.Name, Fingerprint: h.Fingerprint}
		c.byKey[key] = cur
		c.order = append(c.order, key)
	}
	for _, a := range addrs {
		if len(cur.Addrs) < maxAddrs && !contains(cur.Addrs, a) {
			cur.Addrs = append(cur.Addrs, a)
		}
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func (c *collector) list() []Hospital {
	out := make([]Hospital, 0, len(c.order))
	for _, k := range c.order {
		h := *c.byKey[k]
		sort.SliceStable(h.Addrs, func(i, j int) bool {
			return strings.Count(h.Addrs[i], ":") < strings.Count(h.Addrs[j], ":") // IPv4 first
		})
		out = append(out, h)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// parseTXT reads the TXT fields of an announcement. It accepts only our
// layout version and a non-empty name; an unreadable fingerprint is
// dropped rather than shown.
func parseTXT(fields []string) (Hospital, bool) {
	var h Hospital
	version := ""
	for _, f := range fields {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			continue
		}
		switch k {
		case "v":
			version = v
		case "name":
			h.Name = cleanName(v)
		case "fp":
			if fp, err := cleanFingerprint(v); err == nil {
				h.Fingerprint = fp
			}
		}
	}
	if version != txtVersion || h.Name == "" {
		return Hospital{}, false
	}
	return h, true
}

// cleanName keeps the printable characters of a name, collapses spaces and
// cuts it to MaxNameLen characters.
func cleanName(s string) string {
	var b strings.Builder
	n := 0
	space := false
	for _, r := range s {
		if n >= MaxNameLen {
			break
		}
		if unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if !unicode.IsPrint(r) || r == '=' {
			continue
		}
		if space {
			b.WriteByte(' ')
			n++
			space = false
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// cleanFingerprint normalises a fingerprint (identity.ParseFingerprint:
// 32 digits, or 16 from older versions) to lower-case hex without
// separators, as it travels in the TXT record. "" stays "".
func cleanFingerprint(s string) (string, error) {
	if strings.TrimSpace(s) == "" {
		return "", nil
	}
	fp, err := identity.ParseFingerprint(s)
	if err != nil {
		return "", fmt.Errorf("nearby: %w", err)
	}
	return strings.ReplaceAll(fp, " ", ""), nil
}
