package session

import (
	"sync"
	"time"
)

// Hub fans events out to subscribers. Publishing never blocks on a slow
// subscriber: each subscriber has its own unbounded queue, so a UI that
// lags behind a burst of BB84 progress events loses nothing and stalls no
// protocol goroutine.
type Hub struct {
	mu     sync.Mutex
	subs   map[*subscriber]struct{}
	closed bool
}

type subscriber struct {
	mu    sync.Mutex
	cond  *sync.Cond
	queue []Event
	done  bool
	out   chan Event
	quit  chan struct{} // closed by stop, releases a pump blocked on send
}

// NewHub returns an empty hub.
func NewHub() *Hub { return &Hub{subs: map[*subscriber]struct{}{}} }

// Subscribe returns a channel that receives every event published after
// the call, in order, and a function that ends the subscription. The
// channel is closed when the subscription ends or the hub is closed.
func (h *Hub) Subscribe() (<-chan Event, func()) {
	s := &subscriber{out: make(chan Event), quit: make(chan struct{})}
	s.cond = sync.NewCond(&s.mu)
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		close(s.out)
		return s.out, func() {}
	}
	h.subs[s] = struct{}{}
	h.mu.Unlock()
	go s.pump()
	var once sync.Once
	return s.out, func() {
		once.Do(func() {
			h.mu.Lock()
			delete(h.subs, s)
			h.mu.Unlock()
			s.stop()
		})
	}
}

// Publish sends e to every subscriber. A zero Time is set to now.
func (h *Hub) Publish(e Event) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		s.push(e)
	}
}

// Close ends every subscription.
func (h *Hub) Close() {
	h.mu.Lock()
	subs := h.subs
	h.subs = map[*subscriber]struct{}{}
	h.closed = true
	h.mu.Unlock()
	for s := range subs {
		s.stop()
	}
}

func (s *subscriber) push(e Event) {
	s.mu.Lock()
	if !s.done {
		s.queue = append(s.queue, e)
		s.cond.Signal()
	}
	s.mu.Unlock()
}

func (s *subscriber) stop() {
	s.mu.Lock()
	if !s.done {
		s.done = true
		close(s.quit)
		s.cond.Signal()
	}
	s.mu.Unlock()
}

// pump delivers queued events in order until the subscription stops, then
// closes the channel.
func (s *subscriber) pump() {
	defer close(s.out)
	for {
		s.mu.Lock()
		for len(s.queue) == 0 && !s.done {
			s.cond.Wait()
		}
		if s.done {
			s.mu.Unlock()
			return
		}
		e := s.queue[0]
		s.queue[0] = Event{}
		s.queue = s.queue[1:]
		s.mu.Unlock()
		select {
		case s.out <- e:
		case <-s.quit:
			return
		}
	}
}
