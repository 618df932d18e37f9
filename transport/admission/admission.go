package admission

import (
	"net"
	"net/netip"
	"sync"
)

// Refusal is why the admission of a connection failed or a handshake was
// shed, as counted in the listener's log summary.
type Refusal string

// Refusals, with their reason codes in the log.
const (
	RefusedSourceLimit Refusal = "source_limit"  // the source has too many handshakes in progress
	RefusedFull        Refusal = "listener_full" // every slot holds an authenticated handshake
	RefusedShed        Refusal = "shed"          // an idle handshake made room for a new connection
)

// String says what the refusal means, for the log.
func (r Refusal) String() string {
	switch r {
	case RefusedSourceLimit:
		return "too many handshakes in progress from this address"
	case RefusedFull:
		return "the listener is full of authenticated handshakes"
	case RefusedShed:
		return "idle handshake closed to make room for a new connection"
	default:
		return string(r)
	}
}

// Source names the source a connection counts against: its IPv4
// address, or the /64 prefix of its IPv6 address (one host commonly owns
// a whole /64, so counting single IPv6 addresses would limit nothing).
func Source(a net.Addr) string {
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

// Gate decides which connections a listener handles. Unproven
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
type Gate struct {
	general, reserve, perSource int

	mu       sync.Mutex
	clock    uint64
	nGeneral int // entries counted in the general slots, proven ones included
	nReserve int
	bySource map[string]map[*Ticket]struct{} // unproven entries by source
}

// Ticket is one connection's place in the Gate. Its fields belong to the
// Gate that issued it.
type Ticket struct {
	src       string
	last      uint64 // clock at its last step
	proven    bool
	inReserve bool
	gone      bool // released or shed
	shed      bool
	interrupt func() // stops the handshake; set before the entry is visible
}

// New returns a Gate with maxTotal slots, reserved of them kept for
// proven handshakes (at most maxTotal-1), and at most perSource
// unproven handshakes per source.
func New(maxTotal, reserved, perSource int) *Gate {
	if reserved >= maxTotal {
		reserved = maxTotal - 1
	}
	return &Gate{
		general:   maxTotal - reserved,
		reserve:   reserved,
		perSource: perSource,
		bySource:  map[string]map[*Ticket]struct{}{},
	}
}

// Admit reserves a slot for a new connection from src. If a handshake
// must be shed to make room, its interrupt is called (it must not block).
// On refusal it returns nil and the reason.
func (a *Gate) Admit(src string, interrupt func()) (*Ticket, Refusal) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.bySource[src]) >= a.perSource {
		return nil, RefusedSourceLimit
	}
	if a.nGeneral >= a.general {
		v := a.victim()
		if v == nil {
			return nil, RefusedFull
		}
		a.drop(v)
		v.shed = true
		v.interrupt()
	}
	a.clock++
	e := &Ticket{src: src, last: a.clock, interrupt: interrupt}
	m := a.bySource[src]
	if m == nil {
		m = map[*Ticket]struct{}{}
		a.bySource[src] = m
	}
	m[e] = struct{}{}
	a.nGeneral++
	return e, ""
}

// victim picks the handshake to shed: among the sources holding the most
// unproven handshakes, the one that has been idle longest.
func (a *Gate) victim() *Ticket {
	most := 0
	for _, m := range a.bySource {
		most = max(most, len(m))
	}
	var v *Ticket
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
func (a *Gate) drop(e *Ticket) {
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

func (a *Gate) unlink(e *Ticket) {
	m := a.bySource[e.src]
	delete(m, e)
	if len(m) == 0 {
		delete(a.bySource, e.src)
	}
}

// Progress records that e's peer completed a step of the handshake.
func (a *Gate) Progress(e *Ticket) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.clock++
	e.last = a.clock
}

// Prove records that e's peer proved who it is: e can no longer be shed,
// no longer counts against its source, and moves into the reserve if
// there is room there. It reports false if e was shed already.
func (a *Gate) Prove(e *Ticket) bool {
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

// Release frees e's slot; it reports whether e had been shed.
func (a *Gate) Release(e *Ticket) (shed bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.drop(e)
	return e.shed
}

// WasShed reports whether e was shed to make room.
func (a *Gate) WasShed(e *Ticket) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return e.shed
}

// Counts returns the slots in use: general, reserve, and unproven by src.
func (a *Gate) Counts(src string) (general, reserve, fromSrc int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.nGeneral, a.nReserve, len(a.bySource[src])
}
