package loglimit

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"
)

// recorder is a slog.Handler that counts lines and keeps the count
// attributes of each summary line.
type recorder struct {
	mu        sync.Mutex
	lines     int
	summaries []map[string]int64
}

func (h *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (h *recorder) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *recorder) WithGroup(string) slog.Handler            { return h }

func (h *recorder) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.lines++
	if r.Message == SummaryMessage {
		m := map[string]int64{}
		r.Attrs(func(a slog.Attr) bool {
			if a.Value.Kind() == slog.KindInt64 {
				m[a.Key] = a.Value.Int64()
			}
			return true
		})
		h.summaries = append(h.summaries, m)
	}
	return nil
}

func (h *recorder) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.lines
}

// TestLimiter: one line for the first event of a quiet period, one
// summary with counts by reason per interval after it, nothing lost.
func TestLimiter(t *testing.T) {
	h := &recorder{}
	r := New(slog.New(h), time.Hour) // ticks are driven by hand
	defer r.Close()
	r.Event(slog.LevelInfo, "preamble", "connection refused")
	for range 500 {
		r.Event(slog.LevelInfo, "source_limit", "connection refused")
	}
	r.Event(slog.LevelInfo, "shed", "connection refused")
	if got := h.count(); got != 1 {
		t.Fatalf("%d lines after 502 events in one interval, want 1", got)
	}
	r.tick()
	if got, sum := h.count(), h.summaries; got != 2 || len(sum) != 1 || sum[0]["count"] != 501 || sum[0]["source_limit"] != 500 || sum[0]["shed"] != 1 {
		t.Fatalf("after the interval: %d lines, summaries %v; want one summary of 501 (500 source_limit, 1 shed)", got, sum)
	}
	r.Event(slog.LevelInfo, "tls", "connection refused") // still in a busy period: counted
	r.tick()
	r.tick() // a quiet interval: the next event is logged in full
	r.Event(slog.LevelInfo, "tls", "connection refused")
	if got := h.count(); got != 4 || h.summaries[1]["tls"] != 1 {
		t.Fatalf("%d lines, summaries %v; want 4 lines, the second summary counting 1 tls", got, h.summaries)
	}
	r.Event(slog.LevelWarn, "accept_error", "accept failed")
	r.Close()
	if got := h.count(); got != 5 || h.summaries[2]["accept_error"] != 1 {
		t.Fatalf("close: %d lines, summaries %v; want the last summary written", got, h.summaries)
	}
}

func TestLimiterPending(t *testing.T) {
	r := New(slog.New(&recorder{}), time.Hour)
	defer r.Close()
	r.Event(slog.LevelInfo, "tls", "connection refused") // logged in full
	r.Event(slog.LevelInfo, "tls", "connection refused")
	r.Event(slog.LevelInfo, "shed", "connection refused")
	if a, b := r.Pending("tls"), r.Pending("shed"); a != 1 || b != 1 {
		t.Fatalf("pending tls %d, shed %d; want 1, 1", a, b)
	}
	r.tick()
	if n := r.Pending("tls"); n != 0 {
		t.Fatalf("pending tls %d after the summary, want 0", n)
	}
}
