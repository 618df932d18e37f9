package transport

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"regexp"
	"sync"
	"testing"
	"time"
)

func TestWordList(t *testing.T) {
	words := pairingWords()
	if len(words) != 256 {
		t.Fatalf("%d words, want 256", len(words))
	}
	seen := map[string]bool{}
	for _, w := range words {
		if seen[w] || !regexp.MustCompile(`^[a-z]{3,8}$`).MatchString(w) {
			t.Errorf("word %q repeated or not 3 to 8 lower-case letters", w)
		}
		seen[w] = true
	}
}

func TestNewPairingCode(t *testing.T) {
	words := map[string]bool{}
	for _, w := range pairingWords() {
		words[w] = true
	}
	re := regexp.MustCompile(`^([0-9]{1,2})-([a-z]+)-([a-z]+)$`)
	codes := map[string]bool{}
	for range 200 {
		c, err := NewPairingCode()
		if err != nil {
			t.Fatal(err)
		}
		m := re.FindStringSubmatch(c)
		if m == nil || !words[m[2]] || !words[m[3]] {
			t.Fatalf("code %q is not number-word-word from the list", c)
		}
		if n, err := NormalizeCode(c); err != nil || n != c {
			t.Fatalf("a generated code is not normal: %q -> %q %v", c, n, err)
		}
		codes[c] = true
	}
	// 200 draws from 6.5 million codes collide with probability ~0.3%;
	// more than 2 collisions would mean a broken generator.
	if len(codes) < 198 {
		t.Errorf("only %d distinct codes in 200", len(codes))
	}
}

func TestNormalizeCode(t *testing.T) {
	for in, want := range map[string]string{
		"4-amber-falcon":        "4-amber-falcon",
		" 4 Amber  FALCON ":     "4-amber-falcon",
		"4_amber.falcon":        "4-amber-falcon",
		"--4--amber--falcon--":  "4-amber-falcon",
		"correct horse battery": "correct-horse-battery",
	} {
		if got, err := NormalizeCode(in); err != nil || got != want {
			t.Errorf("NormalizeCode(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "4-ab", "4-amber-falcón", "4;amber;falcon", string(make([]byte, 70))} {
		if got, err := NormalizeCode(in); err == nil {
			t.Errorf("NormalizeCode(%q) = %q, want an error", in, got)
		}
	}
}

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
