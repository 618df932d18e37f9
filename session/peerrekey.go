package session

import (
	"context"
	"time"
)

// A peer's rekey requests are paced so that an authenticated but hostile
// (or buggy) peer cannot keep this side running BB84 exchanges back to
// back: after an exchange that took d, the next one the peer asks for
// starts no sooner than max(minPeerRekeyGap, peerRekeyIdle·d) after it
// ended, which bounds the share of time a peer can keep this side busy to
// 1/(1+peerRekeyIdle). A request made while a key is on its way is
// answered by that key; requests that arrive while one waits join it.
// Rekeys this side decides on (its user, its timer, its message count)
// are not paced.
const (
	minPeerRekeyGap = time.Second
	peerRekeyIdle   = 3
)

// peerRequested handles the peer's request for a new key (the initiator's
// side) without blocking the reader that received it.
func (k *keyring) peerRequested(ctx context.Context) {
	k.mu.Lock()
	queued := k.peerRekeyQueued
	k.peerRekeyQueued = true
	k.mu.Unlock()
	if !queued {
		go k.servePeerRequest(ctx)
	}
}

// servePeerRequest starts the exchange a peer asked for when the pacing
// allows, and returns when it has ended.
func (k *keyring) servePeerRequest(ctx context.Context) {
	defer func() {
		k.mu.Lock()
		k.peerRekeyQueued = false
		k.mu.Unlock()
	}()
	for {
		k.mu.Lock()
		if k.exchanging {
			onItsWay, done := k.exchangeEpoch > k.epoch, k.exchangeDone
			k.mu.Unlock()
			if onItsWay {
				return // the key being made is the one asked for
			}
			// Only finishing: its end starts the gap.
			select {
			case <-done:
				continue
			case <-ctx.Done():
				return
			}
		}
		wait := peerRekeyWait(k.exchangeStart, k.exchangeEnd, time.Now())
		k.mu.Unlock()
		if wait <= 0 {
			k.rekey(ctx)
			return
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return
		}
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
