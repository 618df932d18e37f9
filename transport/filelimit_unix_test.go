//go:build unix

package transport

import (
	"syscall"
	"testing"
)

// raiseFileLimit lifts the soft limit on open files toward want (up to
// the hard limit) and returns the limit now in force.
func raiseFileLimit(t *testing.T, want uint64) uint64 {
	t.Helper()
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		t.Fatalf("getrlimit: %v", err)
	}
	if rl.Cur < want {
		old := rl.Cur
		rl.Cur = min(want, rl.Max)
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
			t.Logf("setrlimit: %v", err)
			rl.Cur = old
		} else {
			t.Cleanup(func() {
				rl.Cur = old
				syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl)
			})
		}
	}
	return rl.Cur
}
