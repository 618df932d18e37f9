//go:build unix

package e2e

import (
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestInterruptedConnectLeavesCleanly: Ctrl-C is how a person ends
// connect. It must still leave through the final checkpoint exchange, so
// that each side holds the other's signed checkpoint of everything the
// session recorded; before, the session was cut at once and both sides
// logged "final checkpoint exchange incomplete".
func TestInterruptedConnectLeavesCleanly(t *testing.T) {
	l, addr := startListener(t, t.TempDir())
	c := start(t, "connect", "connect", addr, "--data", t.TempDir(), "--name", "Alice", "--role", "patient", "--code", code, "--json")
	checkKey(t, "connect", c.next("key_established", time.Minute, typeIs("key_established")))
	c.stdin.Write([]byte("hello before Ctrl-C\n"))
	c.next("the delivery", time.Minute, func(e map[string]any) bool { return e["type"] == "delivery" && e["state"] == "delivered" })
	if err := c.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if got := c.wait(time.Minute); got != 0 {
		t.Fatalf("connect exited %d after Ctrl-C with everything delivered, want 0", got)
	}
	l.next("the session's end", time.Minute, typeIs("disconnected"))
	for who, p := range map[string]*proc{"connect": c, "listen": l} {
		if s := p.stderrText(); strings.Contains(s, "final checkpoint exchange incomplete") {
			t.Errorf("%s: the final checkpoint exchange did not complete after Ctrl-C:\n%s", who, s)
		}
	}
}

// TestSecondInterruptEndsConnectAtOnce: the first Ctrl-C waits for the
// peer's final checkpoint exchange (up to 10 s, plus the goodbye). With the
// peer frozen that wait runs out in full; a second Ctrl-C must end the
// process at once instead of being swallowed.
func TestSecondInterruptEndsConnectAtOnce(t *testing.T) {
	l, addr := startListener(t, t.TempDir())
	c := start(t, "connect", "connect", addr, "--data", t.TempDir(), "--name", "Alice", "--role", "patient", "--code", code, "--json")
	checkKey(t, "connect", c.next("key_established", time.Minute, typeIs("key_established")))
	if err := l.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatalf("SIGSTOP listener: %v", err)
	}
	waitStopped(t, l)
	t.Cleanup(func() { l.cmd.Process.Signal(syscall.SIGCONT) })

	if err := c.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.exited:
		t.Fatalf("connect left at once on the first Ctrl-C with a frozen peer, without waiting for the final exchange")
	case <-time.After(time.Second):
	}
	if err := c.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	// The first interrupt alone keeps it 10 s or more; the second must end
	// it well before that.
	select {
	case <-c.exited:
	case <-time.After(6 * time.Second):
		t.Fatal("connect was still running 6 s after a second Ctrl-C")
	}
}

// TestInterruptedListenLeavesCleanly: Ctrl-C on the listener closes each
// session through its final checkpoint exchange too.
func TestInterruptedListenLeavesCleanly(t *testing.T) {
	l, addr := startListener(t, t.TempDir())
	c := start(t, "connect", "connect", addr, "--data", t.TempDir(), "--name", "Alice", "--role", "patient", "--code", code, "--json")
	checkKey(t, "connect", c.next("key_established", time.Minute, typeIs("key_established")))
	c.stdin.Write([]byte("hello before the hospital stops\n"))
	c.next("the delivery", time.Minute, func(e map[string]any) bool { return e["type"] == "delivery" && e["state"] == "delivered" })
	if err := l.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if got := l.wait(time.Minute); got != 0 {
		t.Fatalf("listen exited %d after Ctrl-C, want 0", got)
	}
	c.next("the session's end", time.Minute, typeIs("disconnected"))
	for who, p := range map[string]*proc{"connect": c, "listen": l} {
		if s := p.stderrText(); strings.Contains(s, "final checkpoint exchange incomplete") {
			t.Errorf("%s: the final checkpoint exchange did not complete after the listener's Ctrl-C:\n%s", who, s)
		}
	}
}
