package delivery

import "sync"

// PeerLocks serialises, per contact, the receipt of reliable messages
// across sessions. A contact that connects again while its previous
// session is still closing has two sessions with this node for a moment,
// and both may carry the same message (a resend). Deciding whether a
// message is new, recording it and acknowledging it must then happen for
// one of them at a time, or both would find it unseen and record it
// twice. A node makes one PeerLocks and gives it to every courier.
type PeerLocks struct {
	mu    sync.Mutex
	locks map[string]*peerLock
}

type peerLock struct {
	sync.Mutex
	users int // holders and waiters; the entry goes when none are left
}

// Lock locks peer's receipts and returns the function that unlocks them.
func (l *PeerLocks) Lock(peer string) (unlock func()) {
	l.mu.Lock()
	if l.locks == nil {
		l.locks = map[string]*peerLock{}
	}
	pl := l.locks[peer]
	if pl == nil {
		pl = &peerLock{}
		l.locks[peer] = pl
	}
	pl.users++
	l.mu.Unlock()

	pl.Lock()
	return func() {
		pl.Unlock()
		l.mu.Lock()
		if pl.users--; pl.users == 0 {
			delete(l.locks, peer)
		}
		l.mu.Unlock()
	}
}
