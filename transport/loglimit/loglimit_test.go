package loglimit

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"testing"
	"time"
)

// jsonLog reads back what a slog.JSONHandler wrote: the number of lines,
// and the numeric attributes of each summary line. The tests drive the
// limiter's ticks by hand, from one goroutine, so the buffer needs no lock.
type jsonLog struct {
	t   *testing.T
	buf bytes.Buffer
}

func (l *jsonLog) logger() *slog.Logger { return slog.New(slog.NewJSONHandler(&l.buf, nil)) }

func (l *jsonLog) read() (lines int, summaries []map[string]float64) {
	l.t.Helper()
	dec := json.NewDecoder(bytes.NewReader(l.buf.Bytes()))
	for dec.More() {
		var rec map[string]any
		if err := dec.Decode(&rec); err != nil {
			l.t.Fatalf("log line %d: %v", lines+1, err)
		}
		lines++
		if rec["msg"] != SummaryMessage {
			continue
		}
		nums := map[string]float64{}
		for k, v := range rec {
			if f, ok := v.(float64); ok {
				nums[k] = f
			}
		}
		summaries = append(summaries, nums)
	}
	return lines, summaries
}

// TestLimiter: one line for the first event of a quiet period, one
// summary with counts by reason per interval after it, nothing lost.
func TestLimiter(t *testing.T) {
	h := &jsonLog{t: t}
	r := New(h.logger(), time.Hour) // ticks are driven by hand
	defer r.Close()
	r.Event(slog.LevelInfo, "preamble", "connection refused")
	for range 500 {
		r.Event(slog.LevelInfo, "source_limit", "connection refused")
	}
	r.Event(slog.LevelInfo, "shed", "connection refused")
	if got, _ := h.read(); got != 1 {
		t.Fatalf("%d lines after 502 events in one interval, want 1", got)
	}
	r.tick()
	if got, sum := h.read(); got != 2 || len(sum) != 1 || sum[0]["count"] != 501 || sum[0]["source_limit"] != 500 || sum[0]["shed"] != 1 {
		t.Fatalf("after the interval: %d lines, summaries %v; want one summary of 501 (500 source_limit, 1 shed)", got, sum)
	}
	r.Event(slog.LevelInfo, "tls", "connection refused") // still in a busy period: counted
	r.tick()
	r.tick() // a quiet interval: the next event is logged in full
	r.Event(slog.LevelInfo, "tls", "connection refused")
	if got, sum := h.read(); got != 4 || len(sum) != 2 || sum[1]["tls"] != 1 {
		t.Fatalf("%d lines, summaries %v; want 4 lines, the second summary counting 1 tls", got, sum)
	}
	r.Event(slog.LevelWarn, "accept_error", "accept failed")
	r.Close()
	if got, sum := h.read(); got != 5 || len(sum) != 3 || sum[2]["accept_error"] != 1 {
		t.Fatalf("close: %d lines, summaries %v; want the last summary written", got, sum)
	}
}

func TestLimiterPending(t *testing.T) {
	h := &jsonLog{t: t}
	r := New(h.logger(), time.Hour)
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
