package session

import (
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
)

// TestUserErrorPeerGone: a peer that goes away in the middle of an
// exchange (its process killed, its network gone) resets the connection
// or breaks the pipe rather than closing it; the user reads that the
// connection was lost, not the socket error with its addresses.
func TestUserErrorPeerGone(t *testing.T) {
	for _, errno := range []syscall.Errno{syscall.ECONNRESET, syscall.EPIPE, syscall.ECONNABORTED} {
		op := &net.OpError{Op: "read", Net: "tcp", Source: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 55312},
			Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 35733}, Err: os.NewSyscallError("read", errno)}
		err := fmt.Errorf("qkd: send pulses: %w", fmt.Errorf("transport: quantum channel: %w", op))
		got := UserError(err)
		if strings.Contains(got, "tcp") || strings.Contains(got, "127.0.0.1") || !strings.Contains(got, "connection lost") {
			t.Errorf("%v: the user reads %q, want the connection lost in words", errno, got)
		}
	}
}
