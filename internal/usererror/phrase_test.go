package usererror

import (
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
)

// TestPhrasePeerGone: a peer that goes away in the middle of an
// exchange (its process killed, its network gone) resets the connection
// or breaks the pipe rather than closing it; the user reads that the
// connection was lost, not the socket error with its addresses.
func TestPhrasePeerGone(t *testing.T) {
	for _, errno := range []syscall.Errno{syscall.ECONNRESET, syscall.EPIPE, syscall.ECONNABORTED} {
		op := &net.OpError{Op: "read", Net: "tcp", Source: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 55312},
			Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 35733}, Err: os.NewSyscallError("read", errno)}
		err := fmt.Errorf("qkd: send pulses: %w", fmt.Errorf("transport: quantum channel: %w", op))
		got := Phrase(err)
		if strings.Contains(got, "tcp") || strings.Contains(got, "127.0.0.1") || !strings.Contains(got, "connection lost") {
			t.Errorf("%v: the user reads %q, want the connection lost in words", errno, got)
		}
	}
}

// TestPhraseOnWindows: Windows reports a refused or dropped connection
// with Winsock codes, which syscall.ECONNREFUSED and ECONNRESET do not
// match there; the user reads the same words as elsewhere. On another
// system those numbers mean something else and are left as they are.
func TestPhraseOnWindows(t *testing.T) {
	peer := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 7450}
	cases := []struct {
		op    string
		errno syscall.Errno
		want  string
	}{
		{"connectex", 10061, "connection refused"},
		{"connectex", 1225, "connection refused"},
		{"wsarecv", 10054, "connection lost"},
		{"wsasend", 10053, "connection lost"},
		{"wsarecv", 64, "connection lost"},
	}
	for _, c := range cases {
		err := fmt.Errorf("transport: %w", &net.OpError{Op: "read", Net: "tcp", Addr: peer, Err: os.NewSyscallError(c.op, c.errno)})
		if got := phrase(err, "windows"); !strings.HasPrefix(got, c.want) {
			t.Errorf("windows, %s %d: the user reads %q, want %q", c.op, c.errno, got, c.want)
		}
		if got := phrase(err, "linux"); strings.HasPrefix(got, c.want) {
			t.Errorf("linux, errno %d: read as %q, a Windows code on another system", c.errno, got)
		}
	}
}
