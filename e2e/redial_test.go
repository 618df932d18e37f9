package e2e

import (
	"fmt"
	"testing"
	"time"
)

// TestConnectRedialsARestartedHospital kills the hospital (SIGKILL) while
// a patient's connect keeps running with its input open; connect must not
// exit, must say the hospital is offline and when it tries again, and when
// the hospital is restarted on the same data directory (with no address:
// it listens on the one it remembers), a line typed after the restart is
// delivered within 30 s with nobody reconnecting by hand.
func TestConnectRedialsARestartedHospital(t *testing.T) {
	hdir := t.TempDir()
	l, addr := startListener(t, hdir)
	c := start(t, "connect", "connect", addr, "--data", t.TempDir(), "--name", "Alice", "--role", "patient", "--code", code, "--json")
	checkKey(t, "connect", c.next("key_established", time.Minute, typeIs("key_established")))
	fmt.Fprintln(c.stdin, "before the restart")
	c.next("delivery before the restart", time.Minute, func(e map[string]any) bool {
		return e["type"] == "delivery" && e["state"] == "delivered"
	})

	if err := l.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-l.exited
	off := c.next("offline presence with a next try", time.Minute, func(e map[string]any) bool {
		p, _ := e["presence"].(map[string]any)
		return e["type"] == "presence" && p["online"] == false && p["redialling"] == true && str(p, "next_try") != ""
	})
	if str(off, "peer_name") != "Hospital" {
		t.Errorf("presence event names %v", off["peer_name"])
	}
	select {
	case <-c.exited:
		t.Fatalf("connect exited (%v) when the hospital died", c.err)
	default:
	}

	l2 := start(t, "restarted listener", "listen", "--data", hdir, "--json", "--rekey-interval", "0")
	if got := str(l2.next("listening", time.Minute, typeIs("listening")), "addr"); got != addr {
		t.Fatalf("restarted hospital listens on %s, want the remembered %s", got, addr)
	}
	typed := time.Now()
	fmt.Fprintln(c.stdin, "after the restart")
	var id string
	c.next("the line typed after the restart delivered", 30*time.Second, func(e map[string]any) bool {
		if m, _ := e["message"].(map[string]any); e["type"] == "message_sent" && str(m, "text") == "after the restart" {
			id = str(e, "message_id")
		}
		return id != "" && e["type"] == "delivery" && e["state"] == "delivered" && str(e, "message_id") == id
	})
	t.Logf("delivered %s after it was typed", time.Since(typed).Round(time.Millisecond))
	e := l2.next("message", time.Minute, typeIs("message"))
	if m, _ := e["message"].(map[string]any); str(m, "text") != "after the restart" || str(m, "from_name") != "Alice" {
		t.Errorf("restarted hospital received %v", m)
	}
	c.stdin.Close()
	if got := c.wait(time.Minute); got != 0 {
		t.Fatalf("connect exited %d after every line was delivered", got)
	}
}
