package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"qkdchat/qkd"
)

// TestProgressBarWaitsASecond: the bar draws nothing in a run's first
// second, then a line with the share sent; finish ends the line.
func TestProgressBarWaitsASecond(t *testing.T) {
	var out bytes.Buffer
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := t0
	b := &Bar{w: &out, now: func() time.Time { return now }, total: 1000, runs: 2}
	b.StartRun(1, 1000)
	now = t0.Add(500 * time.Millisecond)
	b.Update(qkd.Progress{Sent: 100})
	if out.Len() != 0 {
		t.Fatalf("drew before a second: %q", out.String())
	}
	now = t0.Add(2 * time.Second)
	b.Update(qkd.Progress{Sent: 250})
	b.Update(qkd.Progress{Sent: 200}) // the slower side does not move it back
	b.Finish()
	got := out.String()
	if !strings.Contains(got, "run 1/2") || !strings.Contains(got, " 25%") || !strings.Contains(got, "6s left") || !strings.HasSuffix(got, "\n") {
		t.Fatalf("bar %q", got)
	}
	if strings.Count(got, "\r") != 1 {
		t.Fatalf("redrew within 200 ms: %q", got)
	}
}

// TestProgressBarHiddenOffTerminal: no bar on a pipe or file, nor with
// --json, unless --progress asks for one.
func TestProgressBarHiddenOffTerminal(t *testing.T) {
	var buf bytes.Buffer
	if New(&buf, false, false, 10, 1) != nil || New(&buf, false, true, 10, 1) != nil {
		t.Fatal("bar on a buffer")
	}
	if New(&buf, true, true, 10, 1) == nil {
		t.Fatal("--progress did not force the bar")
	}
}
