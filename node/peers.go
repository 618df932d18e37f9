package node

import (
	"sort"
	"sync"

	"qkdchat/transport"
)

// peers is a node's live sessions, by peer fingerprint, and its
// listeners. wg counts the goroutines that serve them.
type peers struct {
	mu        sync.Mutex
	sessions  map[string]*Session
	listeners []*transport.Listener
	closed    bool
	wg        sync.WaitGroup
}

// addListener keeps l, unless the node is closed (false).
func (p *peers) addListener(l *transport.Listener) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.listeners = append(p.listeners, l)
	return true
}

// listenerList returns the listeners.
func (p *peers) listenerList() []*transport.Listener {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*transport.Listener(nil), p.listeners...)
}

// put files s as the session with fp and returns the one it replaces;
// ok is false if the node is closed (s is not filed: nothing would
// close it).
func (p *peers) put(fp string, s *Session) (old *Session, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, false
	}
	old = p.sessions[fp]
	p.sessions[fp] = s
	return old, true
}

// drop removes s, if it is still the session with fp.
func (p *peers) drop(fp string, s *Session) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.sessions[fp] == s {
		delete(p.sessions, fp)
	}
}

// list returns the live sessions, by peer name.
func (p *peers) list() []*Session {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]*Session, 0, len(p.sessions))
	for _, s := range p.sessions {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Peer().Name < out[j].Peer().Name })
	return out
}

// find returns the session with the peer whose fingerprint or name is
// given.
func (p *peers) find(peer string) (*Session, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if s, ok := p.sessions[peer]; ok {
		return s, true
	}
	for _, s := range p.sessions {
		if s.Peer().Name == peer {
			return s, true
		}
	}
	return nil, false
}

// shutdown marks the node closed and returns its listeners and sessions;
// ok is false if it was closed already.
func (p *peers) shutdown() (ls []*transport.Listener, ss []*Session, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, nil, false
	}
	p.closed = true
	for _, s := range p.sessions {
		ss = append(ss, s)
	}
	return p.listeners, ss, true
}
