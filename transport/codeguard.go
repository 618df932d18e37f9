package transport

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
)

// codeGuard limits online guessing of a listener's pairing code: at most
// max attempts may be failed or in progress at once, and after max
// failures the code is disabled until a new one is set. Because attempts
// in progress count, concurrent connections cannot get more guesses than
// max; a peer beyond that waits for a slot.
type codeGuard struct {
	log *slog.Logger
	max int

	mu       sync.Mutex
	code     string
	gen      uint64 // bumped by set, so old attempts do not count against a new code
	failures int
	inflight int
	changed  chan struct{} // closed and replaced on every change
}

func newCodeGuard(code string, max int, log *slog.Logger) *codeGuard {
	return &codeGuard{log: log, max: max, code: code, changed: make(chan struct{})}
}

// current returns the code, or "" once it is disabled.
func (g *codeGuard) current() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.failures >= g.max {
		return ""
	}
	return g.code
}

// rawCode returns the code, disabled or not.
func (g *codeGuard) rawCode() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.code
}

// set replaces the code and forgets past failures.
func (g *codeGuard) set(code string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.code = code
	g.gen++
	g.failures, g.inflight = 0, 0
	g.notify()
}

func (g *codeGuard) notify() {
	close(g.changed)
	g.changed = make(chan struct{})
}

// acquire waits for a pairing attempt slot.
func (g *codeGuard) acquire(ctx context.Context) (pairSlot, error) {
	for {
		g.mu.Lock()
		if g.code == "" || g.failures >= g.max {
			g.mu.Unlock()
			return pairSlot{}, fmt.Errorf("listener: %w", ErrCodeExhausted)
		}
		if g.failures+g.inflight < g.max {
			g.inflight++
			gen, code := g.gen, g.code
			g.mu.Unlock()
			var once sync.Once
			return pairSlot{code: code, release: func(ok bool) {
				once.Do(func() { g.release(gen, ok) })
			}}, nil
		}
		ch := g.changed
		g.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return pairSlot{}, fmt.Errorf("waiting for a pairing slot: %w", ctx.Err())
		}
	}
}

func (g *codeGuard) release(gen uint64, ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if gen != g.gen {
		return
	}
	g.inflight--
	if !ok {
		g.failures++
		if g.failures == g.max {
			g.log.Warn("pairing code disabled after too many failed attempts; a new code is needed", "failures", g.failures)
		}
	}
	g.notify()
}
