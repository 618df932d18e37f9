package loglimit

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"
)

// SummaryMessage is the message of a Limiter's summary lines.
const SummaryMessage = "connections refused or failed (summary; each one is not logged)"

// Limiter bounds the log lines that remote peers can trigger. The
// first event of a quiet period is logged in full; the events after it,
// until a whole interval passes without any, are counted by reason and
// written as one summary line per interval. A flood therefore costs one
// line per interval, whatever its rate, and nothing is silently lost:
// every event is either logged or counted.
type Limiter struct {
	log      *slog.Logger
	interval time.Duration

	mu     sync.Mutex
	active bool           // an event was logged or counted in the current interval
	counts map[string]int // events not logged in full, by reason
	timer  *time.Timer
	closed bool
}

// New returns a Limiter writing to log with one summary per interval.
func New(log *slog.Logger, interval time.Duration) *Limiter {
	return &Limiter{log: log, interval: interval, counts: map[string]int{}}
}

// Event logs msg with attrs at level, or counts it under reason when a
// line was already written in this interval.
func (r *Limiter) Event(level slog.Level, reason, msg string, attrs ...any) {
	r.mu.Lock()
	if r.active || r.closed {
		r.counts[reason]++
		r.mu.Unlock()
		return
	}
	r.active = true
	r.timer = time.AfterFunc(r.interval, r.tick)
	r.mu.Unlock()
	r.log.Log(context.Background(), level, msg, append(attrs, "reason_code", reason)...)
}

// tick ends an interval: it writes the summary of what was counted, or,
// after a quiet interval, lets the next event be logged in full.
func (r *Limiter) tick() {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	if len(r.counts) == 0 {
		r.active = false
		r.mu.Unlock()
		return
	}
	attrs := r.takeLocked()
	r.timer = time.AfterFunc(r.interval, r.tick)
	r.mu.Unlock()
	r.log.Warn(SummaryMessage, attrs...) // outside mu: a slow log never stalls Event
}

// takeLocked returns the summary's attributes and resets the counts, or
// nil when nothing was counted. Caller holds mu.
func (r *Limiter) takeLocked() []any {
	if len(r.counts) == 0 {
		return nil
	}
	total := 0
	attrs := []any{"interval", r.interval}
	for _, k := range slices.Sorted(maps.Keys(r.counts)) {
		total += r.counts[k]
		attrs = append(attrs, k, r.counts[k])
	}
	clear(r.counts)
	return append([]any{"count", total}, attrs...)
}

// Close writes the last summary and stops the timer.
func (r *Limiter) Close() {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.closed = true
	if r.timer != nil {
		r.timer.Stop()
	}
	attrs := r.takeLocked()
	r.mu.Unlock()
	if attrs != nil {
		r.log.Warn(SummaryMessage, attrs...)
	}
}

// Pending returns how many events of reason were counted since the last
// summary, not yet written.
func (r *Limiter) Pending(reason string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.counts[reason]
}
