package fanout

import "sync"

// Hub fans values out to subscribers. Publishing never blocks on a slow
// subscriber: each subscriber has its own unbounded queue, so a UI that
// lags behind a burst of BB84 progress events loses nothing and stalls no
// protocol goroutine.
type Hub[T any] struct {
	mu     sync.Mutex
	subs   map[*subscriber[T]]struct{}
	closed bool
}

type subscriber[T any] struct {
	mu    sync.Mutex
	cond  *sync.Cond
	queue []T
	done  bool
	out   chan T
	quit  chan struct{} // closed by stop, releases a pump blocked on send
}

// New returns an empty hub.
func New[T any]() *Hub[T] { return &Hub[T]{subs: map[*subscriber[T]]struct{}{}} }

// Subscribe returns a channel that receives every event published after
// the call, in order, and a function that ends the subscription. The
// channel is closed when the subscription ends or the hub is closed.
func (h *Hub[T]) Subscribe() (<-chan T, func()) {
	s := &subscriber[T]{out: make(chan T), quit: make(chan struct{})}
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

// Publish sends v to every subscriber.
func (h *Hub[T]) Publish(v T) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		s.push(v)
	}
}

// Close ends every subscription.
func (h *Hub[T]) Close() {
	h.mu.Lock()
	subs := h.subs
	h.subs = map[*subscriber[T]]struct{}{}
	h.closed = true
	h.mu.Unlock()
	for s := range subs {
		s.stop()
	}
}

func (s *subscriber[T]) push(v T) {
	s.mu.Lock()
	if !s.done {
		s.queue = append(s.queue, v)
		s.cond.Signal()
	}
	s.mu.Unlock()
}

func (s *subscriber[T]) stop() {
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
func (s *subscriber[T]) pump() {
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
		var zero T
		s.queue[0] = zero
		s.queue = s.queue[1:]
		s.mu.Unlock()
		select {
		case s.out <- e:
		case <-s.quit:
			return
		}
	}
}
