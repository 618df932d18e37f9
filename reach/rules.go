package reach

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"qkdchat/nearby"
)

// Status is what a node's status area shows: whether it listens, where,
// and the addresses to hand out.
type Status struct {
	Listening bool   `json:"listening"`
	Addr      string `json:"addr,omitempty"` // the bound address
	// Remembered is the address the node listens on from start-up.
	Remembered string `json:"remembered,omitempty"`
	// LAN are the addresses to hand out: the port on each of the
	// machine's LAN addresses (or on the one address listened on).
	LAN        []string `json:"lan,omitempty"`
	Code       string   `json:"code,omitempty"` // the pairing code, for the local user only
	Announcing bool     `json:"announcing,omitempty"`
	// AnnounceError says why a hospital that should announce itself
	// does not.
	AnnounceError string `json:"announce_error,omitempty"`
}

// ShouldAnnounce reports whether a node of role listening on host
// announces itself on the LAN: only a hospital does (patients and doctors
// announce nothing), and only when it listens where the LAN can reach it,
// on every address or on one that is not loopback.
func ShouldAnnounce(role, host string) bool {
	if role != "hospital" {
		return false
	}
	if host == "" {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	if ip == nil {
		return host != "localhost"
	}
	return !ip.IsLoopback()
}

// AnnounceIPs are the addresses to announce for a listen host: every LAN
// address (nil, nearby's default) for an unspecified host, else the host
// itself.
func AnnounceIPs(host string) []net.IP {
	ip := net.ParseIP(strings.Trim(host, "[]"))
	if ip == nil || ip.IsUnspecified() {
		return nil
	}
	return []net.IP{ip}
}

// HandOut lists the addresses a person can be told to connect to for a
// listener on host and port: the port on each of local (the machine's
// LAN addresses) when the host is unspecified, else host:port.
func HandOut(host string, port int, local []net.IP) []string {
	ip := net.ParseIP(strings.Trim(host, "[]"))
	if host != "" && (ip == nil || !ip.IsUnspecified()) {
		return []string{net.JoinHostPort(strings.Trim(host, "[]"), strconv.Itoa(port))}
	}
	out := make([]string, 0, len(local))
	for _, l := range local {
		out = append(out, net.JoinHostPort(l.String(), strconv.Itoa(port)))
	}
	return out
}

// Remember is the address to remember for a listener asked to listen on
// asked that bound bound: the host as asked (so "every address" stays
// every address) with the port it really got (so port 0 is not picked
// anew at each start).
func Remember(asked string, bound net.Addr) (string, error) {
	host, _, err := net.SplitHostPort(asked)
	if err != nil {
		return "", fmt.Errorf("listen address %q: %w", asked, err)
	}
	_, port, err := net.SplitHostPort(bound.String())
	if err != nil {
		return "", fmt.Errorf("bound address %q: %w", bound, err)
	}
	return net.JoinHostPort(host, port), nil
}

// NoHospitalError reports that no nearby hospital matches a name.
type NoHospitalError struct {
	Name  string
	Found []string // the names that did answer
}

func (e *NoHospitalError) Error() string {
	if len(e.Found) == 0 {
		return fmt.Sprintf("no hospital answered nearby, so none is called %q: is it running and on this network?", e.Name)
	}
	return fmt.Sprintf("no nearby hospital is called %q (found: %s)", e.Name, strings.Join(e.Found, ", "))
}

// AmbiguousError reports that several nearby hospitals answer to a name.
type AmbiguousError struct {
	Name         string
	Fingerprints []string
}

func (e *AmbiguousError) Error() string {
	return fmt.Sprintf("%d nearby hospitals are called %q; give the start of the fingerprint you expect instead (%s)",
		len(e.Fingerprints), e.Name, strings.Join(e.Fingerprints, ", "))
}

// PickHospital chooses the hospital a person named among those found:
// by name, ignoring case and surrounding spaces, or by the start of its
// fingerprint (at least 4 hex digits, spaces ignored). Several matches
// are refused: an announcement is not authenticated, so a second
// hospital with the same name may be an impostor.
func PickHospital(found []nearby.Hospital, name string) (nearby.Hospital, error) {
	want := strings.ToLower(strings.TrimSpace(name))
	fp := strings.ReplaceAll(want, " ", "")
	var match []nearby.Hospital
	for _, h := range found {
		if strings.ToLower(h.Name) == want || (len(fp) >= 4 && h.Fingerprint != "" && strings.HasPrefix(h.Fingerprint, fp)) {
			match = append(match, h)
		}
	}
	switch len(match) {
	case 1:
		if len(match[0].Addrs) == 0 {
			return nearby.Hospital{}, &NoHospitalError{Name: name}
		}
		return match[0], nil
	case 0:
		e := &NoHospitalError{Name: name}
		for _, h := range found {
			e.Found = append(e.Found, h.Name)
		}
		return nearby.Hospital{}, e
	}
	e := &AmbiguousError{Name: name}
	for _, h := range match {
		e.Fingerprints = append(e.Fingerprints, h.Fingerprint)
	}
	return nearby.Hospital{}, e
}
