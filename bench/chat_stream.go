package bench

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// streamConfig is the message stream of one chat round: every peer sends
// n messages, either from conc goroutines that each wait for their last
// message to arrive (closed loop: the most the path carries), or at a
// fixed rate (open loop: the latency a user sees at that load).
type streamConfig struct {
	peers, n, conc int
	rate           float64 // messages/s over all peers; 0 for a closed loop of conc senders
}

// chatRound is what one round (nodes or baseline) measured.
type chatRound struct {
	firstKey   time.Duration
	keyTimes   []time.Duration
	keyAborts  int
	firstAbort string
	elapsed    time.Duration // first send to the last arrival
	latency    []time.Duration
	lost       int
	duplicated int
	rejected   int
	firstRej   string
	ledgersOK  bool
}

// arrivals records when each message of a round was sent and when it
// first arrived. The receiving end calls arrived and refused; stream
// drives the senders and reads the result.
type arrivals struct {
	slots              [][]slot // by peer and message number
	want               int64
	received, dups     atomic.Int64
	rejected           atomic.Int64
	firstRej           atomic.Value // string
	all                chan struct{}
	closeAll           sync.Once
	peers, perPeerMsgs int
}

type slot struct {
	sent, recv atomic.Int64  // Unix nanoseconds; recv 0 until it arrives
	got        chan struct{} // closed at the first arrival
}

func newArrivals(peers, n int) *arrivals {
	a := &arrivals{slots: make([][]slot, peers), want: int64(peers * n), all: make(chan struct{}), peers: peers, perPeerMsgs: n}
	for p := range a.slots {
		a.slots[p] = make([]slot, n)
		for i := range a.slots[p] {
			a.slots[p][i].got = make(chan struct{})
		}
	}
	return a
}

// arrived records a message with this text received at at. Texts that are
// not this round's messages are ignored.
func (a *arrivals) arrived(text string, at time.Time) {
	p, i, ok := parseStreamText(text, a.peers, a.perPeerMsgs)
	if !ok {
		return
	}
	sl := &a.slots[p][i]
	if !sl.recv.CompareAndSwap(0, at.UnixNano()) {
		a.dups.Add(1)
		return
	}
	close(sl.got)
	if a.received.Add(1) == a.want {
		a.closeAll.Do(func() { close(a.all) })
	}
}

// refused records a message the receiving end refused.
func (a *arrivals) refused(reason string) {
	a.rejected.Add(1)
	a.firstRej.CompareAndSwap(nil, reason)
}

// stream has every peer send its messages through send as cfg says, waits
// for them to arrive, and fills in r's elapsed time, latencies and counts.
// send(ctx, p, i) sends message i of peer p with text streamText(p, i).
func (a *arrivals) stream(ctx context.Context, cfg streamConfig, send func(ctx context.Context, p, i int) error, r *chatRound) error {
	begin := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, cfg.peers*max(cfg.conc, cfg.n))
	trySend := func(p, i int) bool {
		if err := send(ctx, p, i); err != nil {
			errs <- fmt.Errorf("peer %d message %d: %w", p, i, err)
			return false
		}
		return true
	}
	for p := range cfg.peers {
		if cfg.rate > 0 {
			wg.Go(func() {
				paceSends(ctx, begin, cfg.rate/float64(cfg.peers), cfg.n, func(i int, due time.Time) {
					// Latency counts from when the message was due, not
					// when a busy sender got to it, so a stall is not
					// hidden (coordinated omission).
					a.slots[p][i].sent.Store(due.UnixNano())
					wg.Go(func() { trySend(p, i) })
				})
			})
			continue
		}
		var next atomic.Int64
		for range cfg.conc {
			wg.Go(func() {
				for {
					i := int(next.Add(1) - 1)
					if i >= cfg.n || ctx.Err() != nil {
						return
					}
					a.slots[p][i].sent.Store(time.Now().UnixNano())
					if !trySend(p, i) {
						return
					}
					select {
					case <-a.slots[p][i].got:
					case <-ctx.Done():
						return
					case <-time.After(10 * time.Second):
						// Lost: counted below.
					}
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	select {
	case <-a.all:
	case <-ctx.Done():
		// Count what arrived; the rest is lost.
	case <-time.After(30 * time.Second):
	}
	var last int64
	for p := range a.slots {
		for i := range a.slots[p] {
			sl := &a.slots[p][i]
			recv := sl.recv.Load()
			if recv == 0 {
				r.lost++
				continue
			}
			last = max(last, recv)
			r.latency = append(r.latency, time.Duration(recv-sl.sent.Load()))
		}
	}
	r.elapsed = time.Unix(0, last).Sub(begin)
	r.duplicated = int(a.dups.Load())
	r.rejected = int(a.rejected.Load())
	r.firstRej, _ = a.firstRej.Load().(string)
	return nil
}

// paceSends calls send for messages 0..n-1 at rate per second from begin,
// with each message's due time. A late call is made at once, not skipped.
func paceSends(ctx context.Context, begin time.Time, rate float64, n int, send func(i int, due time.Time)) {
	interval := time.Duration(float64(time.Second) / rate)
	t := time.NewTimer(0)
	defer t.Stop()
	for i := range n {
		due := begin.Add(time.Duration(i) * interval)
		if wait := time.Until(due); wait > 0 {
			t.Reset(wait)
			select {
			case <-t.C:
			case <-ctx.Done():
				return
			}
		}
		send(i, due)
	}
}

// streamText is the text of message i of peer p.
func streamText(p, i int) string { return "bench " + strconv.Itoa(p) + " " + strconv.Itoa(i) }

// parseStreamText inverts streamText for a round of peers x n messages.
func parseStreamText(s string, peers, n int) (p, i int, ok bool) {
	rest, found := strings.CutPrefix(s, "bench ")
	if !found {
		return 0, 0, false
	}
	a, b, found := strings.Cut(rest, " ")
	if !found {
		return 0, 0, false
	}
	p, err1 := strconv.Atoi(a)
	i, err2 := strconv.Atoi(b)
	if err1 != nil || err2 != nil || p < 0 || p >= peers || i < 0 || i >= n {
		return 0, 0, false
	}
	return p, i, true
}
