//go:build unix

package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// connect's exit status is what a script sees: 0 only when every line it
// read was delivered and acknowledged by the peer, otherwise 1 with the
// count and the message IDs (on stderr, and as an "undelivered" JSON
// object with --json).

// undelivered returns the "undelivered" object connect printed before it
// exited (nil if none). Call it after the process has exited.
func undelivered(p *proc) map[string]any {
	var u map[string]any
	for e := range p.events {
		if e["type"] == "undelivered" {
			u = e
		}
	}
	return u
}

func stringsOf(v any) []string {
	var out []string
	l, _ := v.([]any)
	for _, x := range l {
		s, _ := x.(string)
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestConnectExitsOneNamingLostMessagesWhenPeerDies freezes the listener
// (SIGSTOP) so that the lines connect sends reach its socket but are never
// acknowledged, then kills it (SIGKILL). connect must exit 1 by itself and
// name every unacknowledged message, whether its input is still open
// (with --once) or already ended (redialling in vain until 30 s after the
// end of input).
func TestConnectExitsOneNamingLostMessagesWhenPeerDies(t *testing.T) {
	for _, tc := range []struct {
		name       string
		closeInput bool
	}{{"input open", false}, {"input ended", true}} {
		t.Run(tc.name, func(t *testing.T) {
			l, addr := startListener(t, t.TempDir())
			args := []string{"connect", addr, "--data", t.TempDir(), "--name", "Alice", "--role", "patient", "--code", code, "--json"}
			if !tc.closeInput {
				// With its input open, connect stays and redials a peer
				// that died (TestConnectRedialsARestartedHospital);
				// --once makes it exit when the session ends.
				args = append(args, "--once")
			}
			c := start(t, "connect", args...)
			checkKey(t, "connect", c.next("key_established", time.Minute, typeIs("key_established")))

			if err := l.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
				t.Fatalf("SIGSTOP listener: %v", err)
			}
			waitStopped(t, l)
			const n = 3
			for i := range n {
				fmt.Fprintf(c.stdin, "never acknowledged %d\n", i)
			}
			sent := map[string]bool{}
			c.next(fmt.Sprintf("%d message_sent events", n), time.Minute, func(e map[string]any) bool {
				switch e["type"] {
				case "message_sent":
					sent[str(e, "message_id")] = true
				case "delivery":
					if e["state"] == "delivered" {
						t.Fatalf("a message was acknowledged by a stopped listener: %v", e)
					}
				}
				return len(sent) == n
			})
			if tc.closeInput {
				c.stdin.Close()
			}
			if err := l.cmd.Process.Kill(); err != nil {
				t.Fatalf("SIGKILL listener: %v", err)
			}

			// The process must end on its own: wait gives it a minute.
			if got := c.wait(time.Minute); got != 1 {
				t.Fatalf("connect exited %d after the peer died with %d messages unacknowledged, want 1", got, n)
			}
			stderr := c.stderrText()
			if !strings.Contains(stderr, fmt.Sprintf("%d message(s) not acknowledged", n)) {
				t.Errorf("stderr does not give the count %d: %q", n, stderr)
			}
			for id := range sent {
				if !strings.Contains(stderr, id) {
					t.Errorf("stderr does not name unacknowledged message %s: %q", id, stderr)
				}
			}
			u := undelivered(c)
			if u == nil {
				t.Fatalf("no undelivered JSON object in connect's output")
			}
			if num(u, "count") != n || !equal(stringsOf(u["message_ids"]), keys(sent)) {
				t.Errorf("undelivered object %v, want count %d and IDs %v", u, n, keys(sent))
			}
		})
	}
}

// waitStopped waits until p is in the stopped state: kill(2) returns
// before the signal has taken effect.
func waitStopped(t *testing.T, p *proc) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if processState(t, p) == 'T' {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s did not stop on SIGSTOP", p.name)
}

// processState returns the state letter of p (R, S, T, ...), from /proc
// where there is one, else from ps.
func processState(t *testing.T, p *proc) byte {
	t.Helper()
	pid := p.cmd.Process.Pid
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		// "pid (comm) state ...": the state follows the last ')'.
		if f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:])); len(f) > 0 {
			return f[0][0]
		}
		return 0
	}
	out, err := exec.Command("ps", "-o", "stat=", "-p", strconv.Itoa(pid)).Output()
	if err != nil {
		t.Fatalf("state of %s: no /proc and ps failed: %v", p.name, err)
	}
	if s := strings.TrimSpace(string(out)); s != "" {
		return s[0]
	}
	return 0
}

func equal(a, b []string) bool {
	return strings.Join(a, ",") == strings.Join(b, ",")
}

// TestConnectExitsZeroWhenEveryLineIsDelivered sends many lines in a few
// runs: an acknowledgement can come back before connect has handled the
// message_sent event of the same message, and must still count. Every
// run must exit 0, every message_sent must precede its delivery in the
// event stream, and nothing may be reported unacknowledged.
//
// Full count: go test -count=1 -run TestConnectExitsZeroWhenEveryLineIsDelivered ./e2e/
func TestConnectExitsZeroWhenEveryLineIsDelivered(t *testing.T) {
	runs, lines := 3, 300
	if testing.Short() {
		runs = 1
	}
	overtaken := 0
	for run := range runs {
		l, addr := startListener(t, t.TempDir())
		c := start(t, "connect", "connect", addr, "--data", t.TempDir(), "--name", "Alice", "--role", "patient", "--code", code, "--json")
		for i := range lines {
			fmt.Fprintf(c.stdin, "run %d line %d\n", run, i)
		}
		c.stdin.Close()
		got := c.wait(2 * time.Minute)
		sent, delivered := map[string]bool{}, map[string]bool{}
		for e := range c.events {
			id := str(e, "message_id")
			switch {
			case e["type"] == "message_sent":
				sent[id] = true
			case e["type"] == "delivery" && e["state"] == "delivered":
				if !sent[id] {
					overtaken++
				}
				delivered[id] = true
			case e["type"] == "undelivered":
				t.Errorf("run %d: connect reported undelivered messages: %v", run, e)
			}
		}
		if got != 0 {
			t.Fatalf("run %d: connect exited %d with %d of %d lines delivered; stderr: %s", run, got, len(delivered), lines, c.stderrText())
		}
		if len(sent) != lines || len(delivered) != lines {
			t.Errorf("run %d: %d message_sent and %d delivery events for %d lines", run, len(sent), len(delivered), lines)
		}
		if strings.Contains(c.stderrText(), "not acknowledged") {
			t.Errorf("run %d: stderr: %s", run, c.stderrText())
		}
		l.stop()
	}
	if overtaken > 0 {
		t.Errorf("%d delivery events came before the message_sent event of their message", overtaken)
	}
}

// TestConnectExitsOnePromptlyWhenKeyExchangeAborts puts Eve on the quantum
// link intercepting every photon: the first key exchange aborts at the
// QBER threshold, nothing can be sent, and connect must say so and exit 1
// by itself, whether or not its input has ended (a script should not need
// its own timeout to find out).
func TestConnectExitsOnePromptlyWhenKeyExchangeAborts(t *testing.T) {
	for _, tc := range []struct {
		name       string
		closeInput bool
	}{{"input open", false}, {"input ended", true}} {
		t.Run(tc.name, func(t *testing.T) {
			l, addr := startListener(t, t.TempDir())
			_, eveAddr := startEve(t, addr, "1")
			c := start(t, "connect", "connect", eveAddr, "--data", t.TempDir(), "--name", "Alice", "--role", "patient", "--code", code, "--json")
			fmt.Fprintln(c.stdin, "this must not be delivered")
			if tc.closeInput {
				c.stdin.Close()
			}
			// A minute is far more than the exchange takes; the process
			// must exit by itself within it.
			if got := c.wait(time.Minute); got != 1 {
				t.Fatalf("connect exited %d after the key exchange aborted, want 1", got)
			}
			stderr := c.stderrText()
			if !strings.Contains(stderr, "aborted") || !strings.Contains(stderr, "QBER") {
				t.Errorf("stderr does not give the reason: %q", stderr)
			}
			u := undelivered(c)
			if u == nil || !strings.Contains(str(u, "reason"), "QBER") {
				t.Errorf("undelivered object %v, want one with the abort reason", u)
			}
			l.stop()
			for e := range l.events {
				if e["type"] == "message" {
					t.Fatalf("a message was delivered without a key: %v", e)
				}
			}
		})
	}
}
