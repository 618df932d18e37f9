package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"qkdchat/qkd"
)

// Bar draws a run's transmission progress on one terminal line,
// for runs that last over a second: nothing before that, then at most
// five redraws a second. Alice and Bob both report; the bar follows the
// further one. It is safe for concurrent use.
type Bar struct {
	w     io.Writer
	now   func() time.Time
	total int // pulses of a run
	runs  int

	mu    sync.Mutex
	run   int // from 1
	start time.Time
	last  time.Time
	sent  int
	drawn bool
}

// Delay is how long a run goes before its bar appears.
const Delay = time.Second

// New returns the bar for runs of total pulses, or nil when it
// should stay hidden: force (--progress) shows it anywhere; otherwise it
// shows only on a terminal and never with --json.
func New(w io.Writer, force, asJSON bool, total, runs int) *Bar {
	if !force && (asJSON || !isTerminal(w)) {
		return nil
	}
	return &Bar{w: w, now: time.Now, total: total, runs: runs}
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// StartRun resets the bar for run (from 1) of total pulses.
func (b *Bar) StartRun(run, total int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.run, b.total, b.start, b.sent = run, total, b.now(), 0
}

// Update is a qkd.Config.Progress callback.
func (b *Bar) Update(p qkd.Progress) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sent = max(b.sent, p.Sent)
	now := b.now()
	if now.Sub(b.start) < Delay || (b.drawn && now.Sub(b.last) < 200*time.Millisecond && b.sent < b.total) {
		return
	}
	b.last, b.drawn = now, true
	fmt.Fprintf(b.w, "\r%s", line(b.run, b.runs, b.sent, b.total, now.Sub(b.start)))
}

// Finish ends the bar's line if it drew one.
func (b *Bar) Finish() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.drawn {
		fmt.Fprintln(b.w)
		b.drawn = false
	}
}

// line is the bar's text: run, a 30-cell bar, the share of pulses
// sent, the rate and the time left at that rate.
func line(run, runs, sent, total int, elapsed time.Duration) string {
	frac := 0.0
	if total > 0 {
		frac = min(1, float64(sent)/float64(total))
	}
	const cells = 30
	full := int(frac * cells)
	rate := float64(sent) / max(elapsed.Seconds(), 1e-9)
	left := "?"
	if rate > 0 {
		left = time.Duration(float64(total-sent) / rate * float64(time.Second)).Round(time.Second).String()
	}
	return fmt.Sprintf("run %d/%d [%s%s] %3.0f%%  %.3g/%.3g pulses  %.3g pulses/s  %s left ",
		run, runs, strings.Repeat("#", full), strings.Repeat("-", cells-full), 100*frac, float64(sent), float64(total), rate, left)
}
