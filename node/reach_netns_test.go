//go:build linux

package node

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"qkdchat/nearby"
)

// inNetns is set in the environment of the copy of this test binary that
// TestOnlyAHospitalAnnouncesOnEveryAddress runs inside a namespace.
const inNetns = "QKDCHAT_NODE_NETNS"

// TestOnlyAHospitalAnnouncesOnEveryAddress: a hospital, a patient and a
// doctor listen on every address (in a network namespace of their own, so
// nothing is exposed on the machine's networks); through the Announce
// hook, the hospital announces itself once, with its name, fingerprint
// and the port it got, and the patient and the doctor announce nothing.
// It needs root and iproute2, as nearby's LAN test does.
func TestOnlyAHospitalAnnouncesOnEveryAddress(t *testing.T) {
	if os.Getenv(inNetns) != "" {
		onlyHospitalAnnouncesInsideNetns(t)
		return
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to create a network namespace; package reach's ShouldAnnounce table covers the rule")
	}
	ip, err := exec.LookPath("ip")
	if err != nil {
		t.Skip("needs iproute2's ip to create a network namespace")
	}
	ns := fmt.Sprintf("qkdnode%d", os.Getpid())
	if out, err := exec.Command(ip, "netns", "add", ns).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command(ip, "netns", "del", ns).Run() })
	if out, err := exec.Command(ip, "-n", ns, "link", "set", "lo", "up").CombinedOutput(); err != nil {
		t.Fatalf("ip link set lo up: %v\n%s", err, out)
	}
	cmd := exec.Command(ip, "netns", "exec", ns, os.Args[0], "-test.run", "^TestOnlyAHospitalAnnouncesOnEveryAddress$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), inNetns+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestOnlyAHospitalAnnouncesOnEveryAddress") {
		t.Fatalf("inside the namespace: %v\n%s", err, out)
	}
}

func onlyHospitalAnnouncesInsideNetns(t *testing.T) {
	for _, role := range []Role{RoleHospital, RolePatient, RoleDoctor} {
		dir := t.TempDir()
		if err := SaveProfile(dir, Profile{Name: "St. Mary's", Role: role}); err != nil {
			t.Fatal(err)
		}
		var got []nearby.Announcement
		n, err := Open(Options{Dir: dir, Announce: func(a nearby.Announcement) (io.Closer, error) {
			got = append(got, a)
			return io.NopCloser(nil), nil
		}})
		if err != nil {
			t.Fatal(err)
		}
		st, err := n.Reach().Listen(context.Background(), "0.0.0.0:0", "")
		n.Close()
		if err != nil {
			t.Fatal(err)
		}
		_, port, _ := net.SplitHostPort(st.Addr)
		switch {
		case role != RoleHospital && (len(got) != 0 || st.Announcing):
			t.Errorf("a %s announced %+v", role, got)
		case role == RoleHospital && (len(got) != 1 || !st.Announcing || got[0].Name != "St. Mary's" ||
			strconv.Itoa(got[0].Port) != port || got[0].Fingerprint != n.Fingerprint() || got[0].IPs != nil):
			t.Errorf("the hospital announced %+v (status %+v), want itself once on port %s", got, st, port)
		}
	}
}
