//go:build linux

package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// netns creates a network namespace with only a loopback interface that
// carries multicast, so mDNS works inside it and nothing leaves it or
// reaches it from the machine's networks. It needs root and iproute2 (as
// on the CI machine), and returns the command prefix that runs a program
// inside it.
func netns(t *testing.T) []string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to create a network namespace; package reach's and nearby's tests cover the logic")
	}
	ip, err := exec.LookPath("ip")
	if err != nil {
		t.Skip("needs iproute2's ip to create a network namespace")
	}
	ns := fmt.Sprintf("qkde2e%d", os.Getpid())
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(ip, args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	run("netns", "add", ns)
	t.Cleanup(func() { exec.Command(ip, "netns", "del", ns).Run() })
	run("-n", ns, "link", "set", "lo", "up")
	run("-n", ns, "link", "set", "lo", "multicast", "on")
	run("-n", ns, "route", "add", "224.0.0.0/4", "dev", "lo")
	return []string{ip, "netns", "exec", ns}
}

// TestNearbyFindsOnlyTheHospital runs, in a network namespace of its own,
// a hospital, a patient and a doctor that all listen on every address:
// `nearby` lists the hospital alone (patients and doctors announce
// nothing), with its fingerprint and address, and a patient joins it by
// name with just the code.
func TestNearbyFindsOnlyTheHospital(t *testing.T) {
	bin := qkdchatBinary(t)
	prefix := netns(t)
	in := func(name string, args ...string) *proc {
		return startProgram(t, name, prefix[0], append(append(append([]string{}, prefix[1:]...), bin), args...)...)
	}
	listen := func(name, role string) (*proc, map[string]any) {
		p := in(name, "listen", "--data", t.TempDir(), "--addr", "0.0.0.0:0", "--name", name, "--role", role, "--code", code, "--json")
		return p, p.next("listening", time.Minute, typeIs("listening"))
	}
	h, hl := listen("St. Mary's", "hospital")
	listen("Pat", "patient")
	listen("Dr Who", "doctor")
	_, port, _ := strings.Cut(str(hl, "addr"), "]:")
	if port == "" {
		_, port, _ = strings.Cut(str(hl, "addr"), ":")
	}

	var found []map[string]any
	for attempt := 0; attempt < 5 && len(found) == 0; attempt++ {
		nb := in("nearby", "nearby", "--json", "--wait", "2s")
		if got := nb.wait(time.Minute); got != 0 {
			t.Fatalf("nearby exited %d: %s", got, nb.stderrText())
		}
		for _, line := range strings.Split(nb.output(), "\n") {
			var m map[string]any
			if json.Unmarshal([]byte(line), &m) == nil {
				found = append(found, m)
			}
		}
	}
	if len(found) != 1 || str(found[0], "name") != "St. Mary's" {
		t.Fatalf("nearby found %v, want St. Mary's alone", found)
	}
	if fp := str(found[0], "fingerprint"); len(fp) != 32 {
		t.Errorf("fingerprint %q", fp)
	}
	addrs, _ := found[0]["addrs"].([]any)
	if len(addrs) == 0 || addrs[0] != "127.0.0.1:"+port {
		t.Errorf("addresses %v, want 127.0.0.1:%s first", addrs, port)
	}

	c := in("connect", "connect", "--nearby", "st. mary's", "--code", code, "--data", t.TempDir(), "--name", "Alice", "--role", "patient", "--json")
	fmt.Fprintln(c.stdin, "found you nearby")
	c.stdin.Close()
	if paired := c.next("paired", time.Minute, typeIs("paired")); str(paired, "peer_name") != "St. Mary's" {
		t.Errorf("connect --nearby paired with %v", paired)
	}
	if got := c.wait(time.Minute); got != 0 {
		t.Fatalf("connect --nearby exited %d: %s", got, c.stderrText())
	}
	e := h.next("message", time.Minute, typeIs("message"))
	if m, _ := e["message"].(map[string]any); str(m, "text") != "found you nearby" {
		t.Errorf("hospital received %v", m)
	}
}
