package transport

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"
)

func TestCodeGuard(t *testing.T) {
	g := newCodeGuard("code-one", 3, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := context.Background()
	// Three attempts may run at once; a fourth waits for a slot.
	var slots []pairSlot
	for range 3 {
		s, err := g.acquire(ctx)
		if err != nil || s.code != "code-one" {
			t.Fatal(s.code, err)
		}
		slots = append(slots, s)
	}
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := g.acquire(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("fourth concurrent attempt: %v, want to wait", err)
	}
	got := make(chan error, 1)
	go func() {
		s, err := g.acquire(ctx)
		if err == nil {
			s.release(true)
		}
		got <- err
	}()
	slots[0].release(true)  // success frees its slot
	slots[0].release(false) // and a second release is ignored
	if err := <-got; err != nil {
		t.Fatalf("waiter after a success: %v", err)
	}
	slots[1].release(false)
	slots[2].release(false)
	if g.current() != "code-one" {
		t.Fatal("two failures of three must not disable the code")
	}
	s, err := g.acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s.release(false)
	if g.current() != "" {
		t.Error("the code must be disabled after three failures")
	}
	if _, err := g.acquire(ctx); !errors.Is(err, ErrCodeExhausted) {
		t.Errorf("acquire on a disabled code: %v", err)
	}
	g.set("code-two")
	if s, err := g.acquire(ctx); err != nil || s.code != "code-two" {
		t.Errorf("after set: %q %v", s.code, err)
	}

	// Under contention the number of attempts in flight never exceeds max.
	g = newCodeGuard("code", 3, slog.New(slog.DiscardHandler))
	var mu sync.Mutex
	inflight, peak := 0, 0
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := g.acquire(ctx)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			inflight++
			peak = max(peak, inflight)
			mu.Unlock()
			time.Sleep(time.Millisecond)
			mu.Lock()
			inflight--
			mu.Unlock()
			s.release(true)
		}()
	}
	wg.Wait()
	if peak > 3 || peak < 1 {
		t.Errorf("peak concurrent attempts %d, want 1..3", peak)
	}
}
