package transport

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"
)

// DefaultLogInterval is how often a listener summarises the connections
// it refused (Config.LogInterval).
const DefaultLogInterval = 10 * time.Second

// summaryMessage is the message of the limiter's summary lines.
const summaryMessage = "connections refused or failed (summary; each one is not logged)"

// logLimiter bounds the log lines that remote peers can trigger. The
// first event of a quiet period is logged in full; the events after it,
// until a whole interval passes without any, are counted by reason and
// written as one summary line per interval. A flood therefore costs one
// line per interval, whatever its rate, and nothing is silently lost:
// every event is either logged or counted.
type logLimiter struct {
	log      *slog.Logger
	interval time.Duration

	mu     sync.Mutex
	active bool           // an event was logged or counted in the current interval
	counts map[string]int // events not logged in full, by reason
	timer  *time.Timer
	closed bool
}

func newLogLimiter(log *slog.Logger, interval time.Duration) *logLimiter {
	return &logLimiter{log: log, interval: interval, counts: map[string]int{}}
}

// event logs msg with attrs at level, or counts it under reason when a
// line was already written in this interval.
func (r *logLimiter) event(level slog.Level, reason, msg string, attrs ...any) {
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
func (r *logLimiter) tick() {
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
	r.log.Warn(summaryMessage, attrs...) // outside mu: a slow log never stalls event
}

// takeLocked returns the summary's attributes and resets the counts, or
// nil when nothing was counted. Caller holds mu.
func (r *logLimiter) takeLocked() []any {
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

// close writes the last summary and stops the timer.
func (r *logLimiter) close() {
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
		r.log.Warn(summaryMessage, attrs...)
	}
}
