package session

import (
	"context"
	"time"
)

// A peer's rekey requests are paced so that an authenticated but hostile
// (or buggy) peer cannot keep the initiator (this side, which runs Alice
// and decides when exchanges run) running BB84 exchanges back to back:
// after an exchange that took d, the next one the peer asks for starts no
// sooner than max(minPeerRekeyGap, peerRekeyIdle·d) after it
// ended, which bounds the share of time a peer can keep this side busy to
// 1/(1+peerRekeyIdle). A request made while a key is on its way is
// answered by that key; one made once the peer may hold that key (its
// result has arrived here) asks for the next; requests that arrive while
// one waits join it. The message-count rekey that the peer's own messages
// trigger is paced the same way (pipeline.go). Rekeys this side decides
// on (its user, its timer, the messages it sends) are not paced.
const (
	minPeerRekeyGap = time.Second
	peerRekeyIdle   = 3
)

// peerRequested handles the peer's request for a new key (the initiator's
// side) without blocking the reader that received it. At most one
// goroutine waits to serve the peer's requests (beside one running the
// exchange it started); both end with ctx.
func (k *keyring) peerRequested(ctx context.Context) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.keyOnItsWayLocked() || k.peerRekeyQueued {
		return
	}
	k.peerRekeyQueued = true
	go k.servePeerRequest(ctx)
}

// keyOnItsWayLocked reports whether an exchange is running whose key the
// peer cannot hold yet: its result has not arrived (the peer installs the
// key only after, and its request follows its result on the channel).
// Call it with k.mu held.
func (k *keyring) keyOnItsWayLocked() bool {
	return k.exchanging && k.exchangeEpoch > k.epoch && !k.peerResultIn
}

// servePeerRequest starts the exchange a peer asked for when the pacing
// allows, and returns when it has ended (or ctx has). The request stops
// being queued when its exchange starts, so that a request made from then
// on is judged afresh.
func (k *keyring) servePeerRequest(ctx context.Context) {
	for {
		k.mu.Lock()
		if k.keyOnItsWayLocked() {
			// Another exchange (this side's) brings the key asked for.
			k.peerRekeyQueued = false
			k.mu.Unlock()
			return
		}
		if k.exchanging {
			// Only finishing: its end starts the gap.
			done := k.exchangeDone
			k.mu.Unlock()
			if !k.waitOrDrop(ctx, done, nil) {
				return
			}
			continue
		}
		wait := peerRekeyWait(k.exchangeStart, k.exchangeEnd, time.Now())
		if wait <= 0 {
			k.peerRekeyQueued = false
			epoch, link := k.startLocked()
			k.mu.Unlock()
			retryAfter(ctx, k.runExchange(ctx, epoch, link), k.rekey)
			return
		}
		k.mu.Unlock()
		t := time.NewTimer(wait)
		ok := k.waitOrDrop(ctx, nil, t.C)
		t.Stop()
		if !ok {
			return
		}
	}
}

// waitOrDrop waits for done or tick (either may be nil), and reports true; or
// for ctx to end, and then drops the queued request and reports false.
func (k *keyring) waitOrDrop(ctx context.Context, done <-chan struct{}, tick <-chan time.Time) bool {
	select {
	case <-done:
		return true
	case <-tick:
		return true
	case <-ctx.Done():
		k.mu.Lock()
		k.peerRekeyQueued = false
		k.mu.Unlock()
		return false
	}
}

// peerRekeyWait is how long after now a peer-requested exchange may
// start, given when the last one started and ended (zero if none has).
func peerRekeyWait(start, end, now time.Time) time.Duration {
	if end.IsZero() {
		return 0
	}
	gap := time.Duration(peerRekeyIdle) * end.Sub(start)
	if gap < minPeerRekeyGap {
		gap = minPeerRekeyGap
	}
	return end.Add(gap).Sub(now)
}
