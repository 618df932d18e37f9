package usererror

import (
	"context"
	"errors"
	"io"
	"net"
	"runtime"
	"strings"
	"syscall"

	"qkdchat/identity"
	"qkdchat/transport"
)

// Phrase phrases err in words a user understands, for the UI and the
// CLI. The full error stays in the log.
func Phrase(err error) string { return phrase(err, runtime.GOOS) }

// Windows reports a refused or dropped connection with its own codes
// (Winsock's WSAECONNREFUSED, WSAECONNRESET, ...), which syscall's
// ECONNREFUSED and ECONNRESET do not match there.
var (
	windowsRefused = []syscall.Errno{10061, 1225}      // WSAECONNREFUSED, ERROR_CONNECTION_REFUSED
	windowsLost    = []syscall.Errno{10054, 10053, 64} // WSAECONNRESET, WSAECONNABORTED, ERROR_NETNAME_DELETED
)

// isErrno reports whether err is one of codes, on goos only.
func isErrno(err error, goos, on string, codes []syscall.Errno) bool {
	if goos != on {
		return false
	}
	for _, c := range codes {
		if errors.Is(err, c) {
			return true
		}
	}
	return false
}

// phrase is Phrase for the operating system goos.
func phrase(err error, goos string) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, syscall.ECONNREFUSED), isErrno(err, goos, "windows", windowsRefused):
		return "connection refused: nobody is listening at that address"
	case errors.Is(err, transport.ErrPairingFailed):
		return "pairing failed: wrong code (or someone is in the middle)"
	case errors.Is(err, identity.ErrChanged):
		return "this contact's identity key changed: refusing to connect; if they reinstalled, remove the contact and pair again"
	case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed):
		return "connection closed"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ECONNABORTED),
		isErrno(err, goos, "windows", windowsLost):
		return "connection lost: the peer went away"
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timed out"
	}
	msg := err.Error()
	if strings.Contains(msg, "no such host") {
		return "unknown host: check the address"
	}
	return msg
}
