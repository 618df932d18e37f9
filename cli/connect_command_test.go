package cli

import (
	"context"
	"io"
	"strings"
	"testing"
)

// TestConnectExitsOneWhenACommandLineFails: a script pipes lines into
// connect, one of which starts with '/' but is no command (a path, a
// typo). It is neither sent nor run; connect printed an error and exited
// 0 as if every line read had been delivered. It must exit 1 and count
// the line as never sent. A command that works still leaves exit 0.
func TestConnectExitsOneWhenACommandLineFails(t *testing.T) {
	hdir, pdir := t.TempDir(), t.TempDir()
	addr := listenHospital(t, hdir)
	connect := func(lines string, code ...string) (int, string, string) {
		out, errOut := new(syncBuffer), new(syncBuffer)
		args := []string{"connect", "--data", pdir, "--name", "Pat", "--role", "patient"}
		args = append(append(args, code...), addr)
		c := Main(context.Background(), &Env{Stdin: strings.NewReader(lines), Stdout: out, Stderr: errOut}, args)
		return c, out.String(), errOut.String()
	}
	if c, out, errOut := connect("hello\n/peers\n\nbye\n", "--code", "7-amber-falcon"); c != 0 {
		t.Fatalf("two lines and a working command: exit %d\n%s\n%s", c, out, errOut)
	}
	c, out, errOut := connect("hello\n/etc/hosts is where the names are\nbye\n")
	if c != 1 {
		t.Fatalf("a line that is neither a message nor a command: exit %d, want 1\n%s\n%s", c, out, errOut)
	}
	if !strings.Contains(errOut, "1 message(s) not acknowledged") || !strings.Contains(errOut, "(1 line(s) never sent)") {
		t.Fatalf("stderr %q: want the failed line counted as never sent", errOut)
	}
}

// listenHospital runs `listen` as the hospital St Mary on data directory
// dir at a free 127.0.0.1 port with the code 7-amber-falcon until the test
// ends, and returns its address.
func listenHospital(t *testing.T, dir string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := new(syncBuffer)
	done := make(chan int)
	go func() {
		done <- Main(ctx, &Env{Stdin: strings.NewReader(""), Stdout: out, Stderr: io.Discard},
			[]string{"listen", "--data", dir, "--name", "St Mary", "--role", "hospital", "--addr", "127.0.0.1:0", "--code", "7-amber-falcon"})
	}()
	t.Cleanup(func() { cancel(); <-done })
	return waitOutput(t, out, `listening on (\S+),`)[1]
}
