package cli

import (
	"context"
	"strings"
	"testing"
)

// TestConnectOverLaserLink: connect with --source wcp and decoys makes a
// key with a listener over a 25 km laser link and prints the source, each
// intensity's gain and the single-photon bound; without decoys at 40 km
// it says that no key is possible and why, and exits 1 with --once.
func TestConnectOverLaserLink(t *testing.T) {
	addr := listenHospital(t, t.TempDir())
	connect := func(name, lines string, flags ...string) (int, string, string) {
		out, errOut := new(syncBuffer), new(syncBuffer)
		args := []string{"connect", "--data", t.TempDir(), "--name", name, "--role", "patient", "--code", "7-amber-falcon", "--once"}
		args = append(append(args, flags...), addr)
		c := Main(context.Background(), &Env{Stdin: strings.NewReader(lines), Stdout: out, Stderr: errOut}, args)
		return c, out.String(), errOut.String()
	}
	c, out, errOut := connect("Pat", "hello\n", "--source", "wcp", "--decoy", "vacuum+weak", "--fiber-km", "25")
	if c != 0 {
		t.Fatalf("laser link with decoys: exit %d\n%s\n%s", c, out, errOut)
	}
	for _, want := range []string{"key established", "source: weak laser pulses, mu 0.48, decoys vacuum+weak", "weak pulses (mu 0.1):", "the decoy pulses bound the single photons"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	c, out, errOut = connect("Sam", "hello\n", "--source", "wcp", "--fiber-km", "40")
	if c != 1 || !strings.Contains(out, "ABORTED, no key made: no 256-bit key is possible on this 40 km laser link without decoy states") {
		t.Fatalf("laser link without decoys at 40 km: exit %d\n%s\n%s", c, out, errOut)
	}
}
