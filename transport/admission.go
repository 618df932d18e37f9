package transport

import (
	"net"
	"net/netip"
	"sync"
)

// Defaults for the listener's admission limits.
const (
	// DefaultMaxHandshakes bounds the connections a listener handles
	// before they become sessions, the reserve included.
	DefaultMaxHandshakes = 512
	// DefaultReservedHandshakes of those slots are kept for handshakes
	// whose peer has proved who it is (a pinned contact's signature, or
	// the pairing code): attackers cannot take them.
	DefaultReservedHandshakes = 64
	// DefaultMaxHandshakesPerSource bounds the handshakes in progress
	// from one source address (one IPv4 address, or one IPv6 /64).
	DefaultMaxHandshakesPerSource = 128
)

// refusal is why the admission of a connection failed or a handshake was
// shed, as counted in the listener's log summary.
type refusal string

const (
	refusedSourceLimit refusal = "source_limit"  // the source has too many handshakes in progress
	refusedFull        refusal = "listener_full" // every slot holds an authenticated handshake
	refusedShed        refusal = "shed"          // an idle handshake made room for a new connection
)

// String says what the refusal means, for the log.
func (r refusal) String() string {
	switch r {
	case refusedSourceLimit:
		return "too many handshakes in progress from this address"
	case refusedFull:
		return "the listener is full of authenticated handshakes"
	case refusedShed:
		return "idle handshake closed to make room for a new connection"
	default:
		return string(r)
	}
}

// sourceOf names the source a connection counts against: its IPv4
// address, or the /64 prefix of its IPv6 address (one host commonly owns
// a whole /64, so counting single IPv6 addresses would limit nothing).
func sourceOf(a net.Addr) string {
	var ip netip.Addr
	if ta, ok := a.(*net.TCPAddr); ok {
		ip = ta.AddrPort().Addr()
	} else if ap, err := netip.ParseAddrPort(a.String()); err == nil {
		ip = ap.Addr()
	} else {
		return a.String()
	}
	ip = ip.Unmap()
	if ip.Is4() {
		return ip.String()
	}
	p, err := ip.Prefix(64)
	if err != nil {
		return ip.String()
	}
	return p.String()
}

// admission decides which connections a listener handles. Unproven
// handshakes share the general slots; when those are full a new
// connection takes the place of the most idle handshake of the source
// holding the most, so a source that hogs the listener loses its own
// stale handshakes first and one that holds few keeps them. A handshake
// whose peer proved who it is moves into the reserve and is never shed.
// No source may hold more than perSource unproven handshakes: beyond
// that its new connections are refused.
//
// "Idle" is measured in events, not time: every admission and every step
// a handshake completes (preamble, TLS, each handshake message) takes the
// next number of a counter, and the handshake with the lowest number is
// the one that has waited longest for its peer.
type admission struct {
	general, reserve, perSource int

	mu       sync.Mutex
	clock    uint64
	nGeneral int // entries counted in the general slots, proven ones included
	nReserve int
	bySource map[string]map[*hsEntry]struct{} // unproven entries by source
}

// hsEntry is one connection's place in the admission.
type hsEntry struct {
	src       string
	last      uint64 // clock at its last step
	proven    bool
	inReserve bool
	gone      bool // released or shed
	shed      bool
	interrupt func() // stops the handshake; set before the entry is visible
}

func newAdmission(maxTotal, reserved, perSource int) *admission {
	if reserved >= maxTotal {
		reserved = maxTotal - 1
	}
	return &admission{
		general:   maxTotal - reserved,
		reserve:   reserved,
		perSource: perSource,
		bySource:  map[string]map[*hsEntry]struct{}{},
	}
}

// admit reserves a slot for a new connection from src. If a handshake
// must be shed to make room, its interrupt is called (it must not block).
// On refusal it returns nil and the reason.
func (a *admission) admit(src string, interrupt func()) (*hsEntry, refusal) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.bySource[src]) >= a.perSource {
		return nil, refusedSourceLimit
	}
	if a.nGeneral >= a.general {
		v := a.victim()
		if v == nil {
			return nil, refusedFull
		}
		a.drop(v)
		v.shed = true
		v.interrupt()
	}
	a.clock++
	e := &hsEntry{src: src, last: a.clock, interrupt: interrupt}
	m := a.bySource[src]
	if m == nil {
		m = map[*hsEntry]struct{}{}
		a.bySource[src] = m
	}
	m[e] = struct{}{}
	a.nGeneral++
	return e, ""
}

// victim picks the handshake to shed: among the sources holding the most
// unproven handshakes, the one that has been idle longest.
func (a *admission) victim() *hsEntry {
	most := 0
	for _, m := range a.bySource {
		most = max(most, len(m))
	}
	var v *hsEntry
	for _, m := range a.bySource {
		if len(m) != most {
			continue
		}
		for e := range m {
			if v == nil || e.last < v.last {
				v = e
			}
		}
	}
	return v
}

// drop removes e from the counts. Caller holds mu.
func (a *admission) drop(e *hsEntry) {
	if e.gone {
		return
	}
	e.gone = true
	if e.inReserve {
		a.nReserve--
	} else {
		a.nGeneral--
	}
	if !e.proven {
		a.unlink(e)
	}
}

func (a *admission) unlink(e *hsEntry) {
	m := a.bySource[e.src]
	delete(m, e)
	if len(m) == 0 {
		delete(a.bySource, e.src)
	}
}

// progress records that e's peer completed a step of the handshake.
func (a *admission) progress(e *hsEntry) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.clock++
	e.last = a.clock
}

// prove records that e's peer proved who it is: e can no longer be shed,
// no longer counts against its source, and moves into the reserve if
// there is room there. It reports false if e was shed already.
func (a *admission) prove(e *hsEntry) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if e.gone {
		return false
	}
	if e.proven {
		return true
	}
	e.proven = true
	a.unlink(e)
	if a.nReserve < a.reserve {
		a.nReserve++
		a.nGeneral--
		e.inReserve = true
	}
	return true
}

// release frees e's slot; it reports whether e had been shed.
func (a *admission) release(e *hsEntry) (shed bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.drop(e)
	return e.shed
}

// wasShed reports whether e was shed to make room.
func (a *admission) wasShed(e *hsEntry) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return e.shed
}

// counts returns the slots in use: general, reserve, and unproven by src.
func (a *admission) counts(src string) (general, reserve, fromSrc int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.nGeneral, a.nReserve, len(a.bySource[src])
}
