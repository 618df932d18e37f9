package cli

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

func run(t *testing.T, args []string, extra ...Command) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Version: "1.2.3"}
	code = Main(context.Background(), env, args, extra...)
	return code, out.String(), errb.String()
}

func TestVersionPrintsVersion(t *testing.T) {
	code, out, _ := run(t, []string{"version"})
	if code != 0 || out != "qkdchat 1.2.3\n" {
		t.Fatalf("version: code %d, stdout %q", code, out)
	}
}

func TestUnknownCommandExits2WithUsage(t *testing.T) {
	code, out, errOut := run(t, []string{"nosuchcmd"})
	if code != 2 {
		t.Fatalf("exit code %d, want 2", code)
	}
	if out != "" {
		t.Fatalf("unexpected stdout %q", out)
	}
	if !strings.Contains(errOut, `unknown command "nosuchcmd"`) || !strings.Contains(errOut, "Usage: qkdchat") {
		t.Fatalf("stderr lacks error and usage:\n%s", errOut)
	}
}

func TestUnknownFlagExits2(t *testing.T) {
	code, _, errOut := run(t, []string{"version", "--bogus"})
	if code != 2 || !strings.Contains(errOut, "bogus") {
		t.Fatalf("code %d, stderr %q", code, errOut)
	}
}

func TestHelpListsExtraCommands(t *testing.T) {
	extra := Command{Name: "demo", Summary: "open the demo", Run: func(context.Context, *Env, []string) error { return nil }}
	code, out, _ := run(t, []string{"help"}, extra)
	if code != 0 || !strings.Contains(out, "demo") || !strings.Contains(out, "version") {
		t.Fatalf("help: code %d, out:\n%s", code, out)
	}
}

func TestErrorsMapToExitCodes(t *testing.T) {
	cases := []struct {
		err  error
		code int
	}{
		{nil, 0},
		{Usagef("need an address"), 2},
		{&ExitError{Code: 1, Err: errors.New("block 3 is bad")}, 1},
		{&ExitError{Code: 3}, 3},
		{errors.New("disk full"), 1},
	}
	for _, c := range cases {
		cmd := Command{Name: "x", Run: func(context.Context, *Env, []string) error { return c.err }}
		if got, _, _ := run(t, []string{"x"}, cmd); got != c.code {
			t.Errorf("error %v: exit %d, want %d", c.err, got, c.code)
		}
	}
}

func TestParseAllowsPositionalsAnywhere(t *testing.T) {
	env := &Env{Stderr: &bytes.Buffer{}}
	fs := NewFlagSet(env, "t", "ADDR")
	n := fs.Int("n", 0, "")
	if err := Parse(fs, []string{"host:1", "-n", "5", "extra"}); err != nil {
		t.Fatal(err)
	}
	if *n != 5 || strings.Join(fs.Args(), ",") != "host:1,extra" {
		t.Fatalf("n=%d args=%v", *n, fs.Args())
	}
}
