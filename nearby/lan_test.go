package nearby

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// inNetns is set in the environment of the copy of this test binary that
// TestHospitalIsFoundOnALAN runs inside a network namespace.
const inNetns = "QKDCHAT_NEARBY_NETNS"

// TestHospitalIsFoundOnALAN announces a hospital and browses for it over
// real multicast, in a network namespace of its own (so nothing leaves the
// machine and nothing on the machine's networks answers): it builds the
// namespace, enables multicast on its loopback, and runs itself again
// inside it. It needs root and iproute2, as on the CI machine.
func TestHospitalIsFoundOnALAN(t *testing.T) {
	if os.Getenv(inNetns) != "" {
		hospitalFoundInsideNetns(t)
		return
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to create a network namespace; the record and parser tests above cover the logic")
	}
	ipPath, err := exec.LookPath("ip")
	if err != nil {
		t.Skip("needs iproute2's ip to create a network namespace")
	}
	ns := fmt.Sprintf("qkdnearby%d", os.Getpid())
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(ipPath, args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	run("netns", "add", ns)
	t.Cleanup(func() { exec.Command(ipPath, "netns", "del", ns).Run() })
	run("-n", ns, "link", "set", "lo", "up")
	run("-n", ns, "link", "set", "lo", "multicast", "on")
	run("-n", ns, "route", "add", "224.0.0.0/4", "dev", "lo")

	cmd := exec.Command(ipPath, "netns", "exec", ns, os.Args[0], "-test.run", "^TestHospitalIsFoundOnALAN$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), inNetns+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestHospitalIsFoundOnALAN") {
		t.Fatalf("inside the namespace: %v\n%s", err, out)
	}
	t.Logf("inside the namespace:\n%s", out)
}

func hospitalFoundInsideNetns(t *testing.T) {
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		t.Fatal(err)
	}
	ips := LocalIPs(lo)
	if len(ips) == 0 {
		t.Fatalf("no address on %s", lo.Name)
	}
	ann, err := Announce(Announcement{Name: "St. Mary's", Port: 7450, Fingerprint: fp128, Iface: lo, Host: "hospital"})
	if err != nil {
		t.Fatal(err)
	}
	defer ann.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var found []Hospital
	for attempt := 0; attempt < 5 && len(found) == 0; attempt++ {
		found, err = Browse(ctx, BrowseOptions{Timeout: 2 * time.Second, Iface: lo})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(found) != 1 {
		t.Fatalf("found %+v, want St. Mary's once", found)
	}
	h := found[0]
	if h.Name != "St. Mary's" || h.Fingerprint != "3f2a9c0177be04d5aa10bb20cc30dd40" || len(h.Addrs) == 0 || h.Addrs[0] != "127.0.0.1:7450" {
		t.Fatalf("found %+v", h)
	}

	// Once the hospital stops announcing, a new browse finds nobody.
	if err := ann.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := Browse(ctx, BrowseOptions{Timeout: time.Second, Iface: lo})
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != 0 {
		t.Fatalf("after Close, browse found %+v", again)
	}
}
