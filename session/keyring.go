package session

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/fernet/fernet-go"
)

// keyring holds a session's epoch keys and the state of its BB84 runs
// (exchange.go), under one lock: a reader waiting for the key of the next
// epoch must see both whether it is installed and whether its exchange is
// still running.
type keyring struct {
	s *Session

	mu              sync.Mutex
	keys            map[uint32]*fernet.Key // current epoch and the one before it
	epoch           uint32                 // current epoch; 0 until the first key
	keyReady        chan struct{}          // closed at the first key
	keyChanged      chan struct{}          // closed and replaced when a key is installed or an exchange ends
	exchanging      bool
	exchangeDone    chan struct{}       // closed when the running exchange ends
	exchangeEpoch   uint32              // the epoch of the running (or last) exchange
	exchangeErr     error               // how the last exchange ended
	exchangeStart   time.Time           // when the running (or last) exchange began
	exchangeEnd     time.Time           // when the last exchange ended; zero before
	badLuck         int                 // initiator: exchanges in a row that failed by bad luck (retry.go)
	peerRekeyQueued bool                // a peer's rekey request waits its turn (peerrekey.go)
	peerResultIn    bool                // the peer's result of the running exchange has arrived
	nextBob         *pendingExchange    // responder: the exchange to start when this one ends
	links           map[uint32]*qkdLink // running exchange, by epoch
	results         map[uint32]chan keyResult
	sinceRekey      int
	lastRekey       time.Time
	history         []*KeyExchange
}

func newKeyring(s *Session) *keyring {
	return &keyring{
		s:          s,
		keys:       map[uint32]*fernet.Key{},
		keyReady:   make(chan struct{}),
		keyChanged: make(chan struct{}),
		links:      map[uint32]*qkdLink{},
		results:    map[uint32]chan keyResult{},
	}
}

// current returns the current epoch and its key (nil before the first).
func (k *keyring) current() (uint32, *fernet.Key) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.epoch, k.keys[k.epoch]
}

// key returns the key of epoch, nil if it is not held.
func (k *keyring) key(epoch uint32) *fernet.Key {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.keys[epoch]
}

func (k *keyring) exchanges() []*KeyExchange {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]*KeyExchange(nil), k.history...)
}

func (k *keyring) ready() <-chan struct{} {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.keyReady
}

// countMessage counts a message sealed or accepted under the current key
// and reports whether it is time to rekey.
func (k *keyring) countMessage() (needRekey bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.sinceRekey++
	return k.sinceRekey >= k.s.cfg.Settings.RekeyMessages
}

// waitKey waits for the session's first key, up to the send timeout.
func (k *keyring) waitKey(ctx context.Context) error {
	ready := k.ready()
	timeout := k.s.cfg.Settings.SendTimeout
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-ready:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-k.s.done:
		return errors.New("session has ended")
	case <-t.C:
		k.mu.Lock()
		running, last := k.exchanging, k.exchangeErr
		k.mu.Unlock()
		switch {
		case running:
			return fmt.Errorf("no key with this peer after %s: the BB84 exchange is still running", timeout)
		case last != nil:
			return fmt.Errorf("no key with this peer: the BB84 exchange has not succeeded: %w", last)
		}
		return errors.New("no key with this peer yet: the BB84 exchange has not succeeded")
	}
}

// keyFor returns the key of an epoch. A message of the next epoch can
// arrive while this side's half of that exchange is still finishing (the
// peer switched to the key as soon as it had both results); it waits for
// the key then, as long as that exchange is running.
func (k *keyring) keyFor(ctx context.Context, epoch uint32) (*fernet.Key, error) {
	var timeout <-chan time.Time
	for {
		k.mu.Lock()
		key := k.keys[epoch]
		pending := key == nil && k.exchanging && epoch == k.epoch+1
		changed := k.keyChanged
		k.mu.Unlock()
		if key != nil {
			return key, nil
		}
		if !pending {
			return nil, fmt.Errorf("no key for epoch %d", epoch)
		}
		if timeout == nil {
			timeout = time.After(exchangeTimeout)
		}
		select {
		case <-changed:
		case <-timeout:
			return nil, fmt.Errorf("no key for epoch %d: its exchange did not finish", epoch)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// changedLocked wakes readers waiting in keyFor. Call it with k.mu held
// whenever a key is installed or an exchange ends.
func (k *keyring) changedLocked() {
	close(k.keyChanged)
	k.keyChanged = make(chan struct{})
}

// rekeyTimer rekeys every RekeyInterval until ctx ends.
func (k *keyring) rekeyTimer(ctx context.Context) {
	every := k.s.cfg.Settings.RekeyInterval
	if every < 0 {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			k.rekey(ctx)
		}
	}
}
