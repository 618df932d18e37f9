package transport

import (
	"crypto/ed25519"
	"sync"
)

// Pins tells the transport which identity keys belong to pinned contacts.
// A pinned key may reconnect without a pairing code.
type Pins interface {
	Pinned(pub ed25519.PublicKey) bool
}

// NamePins is optionally implemented by a Pins. When it is, a peer that
// presents the name and role of a pinned contact with a different key is
// refused with identity.ErrChanged, in both modes, before any session
// exists. Without it, such a peer is merely unknown in pinned mode.
type NamePins interface {
	Pins
	// PinnedKey returns the key pinned for the contact with this name and role.
	PinnedKey(name, role string) (ed25519.PublicKey, bool)
}

// PinSet is an in-memory NamePins, safe for concurrent use.
type PinSet struct {
	mu   sync.Mutex
	keys map[string]ed25519.PublicKey // by name + "\x00" + role
	set  map[string]bool              // by string(key)
}

// Pin records pub as the key of the contact called name with role.
func (p *PinSet) Pin(name, role string, pub ed25519.PublicKey) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.keys == nil {
		p.keys = map[string]ed25519.PublicKey{}
		p.set = map[string]bool{}
	}
	if old, ok := p.keys[name+"\x00"+role]; ok {
		delete(p.set, string(old))
	}
	k := append(ed25519.PublicKey(nil), pub...)
	p.keys[name+"\x00"+role] = k
	p.set[string(k)] = true
}

// Pinned implements Pins.
func (p *PinSet) Pinned(pub ed25519.PublicKey) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.set[string(pub)]
}

// PinnedKey implements NamePins.
func (p *PinSet) PinnedKey(name, role string) (ed25519.PublicKey, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	k, ok := p.keys[name+"\x00"+role]
	return k, ok
}
