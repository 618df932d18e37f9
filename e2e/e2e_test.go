// Package e2e runs the real qkdchat binary: a listener and a connecting
// peer as separate processes, chatting over loopback, and again with an
// eavesdropper process on the quantum link between them. It imports
// nothing from the program; it reads what each process prints with --json.
package e2e

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The binary is built once per test run.
var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	buildLog  []byte
)

// qkdchatBinary builds the module's main package (the real, cgo Fyne
// binary) into a temporary directory. The tests skip only when no Go
// toolchain is installed; a build that fails is a test failure.
func qkdchatBinary(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no Go toolchain in PATH: cannot build qkdchat for the process-level tests")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "qkdchat-e2e-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "qkdchat")
		// The module root is the parent of this package's directory.
		wd, _ := os.Getwd()
		cmd := exec.Command(goTool, "build", "-o", binPath, "qkdchat")
		cmd.Dir = filepath.Dir(wd)
		buildLog, buildErr = cmd.CombinedOutput()
	})
	if buildErr != nil {
		t.Fatalf("go build qkdchat: %v\n%s", buildErr, buildLog)
	}
	return binPath
}

// proc is a running qkdchat process whose stdout is JSON lines.
type proc struct {
	t      *testing.T
	name   string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	events chan map[string]any // every JSON line, in order
	stderr *strings.Builder
	exited chan struct{}
	err    error // exit status, valid after exited is closed

	mu    sync.Mutex
	lines []string // everything printed on stdout
}

// start runs the binary with args; it is killed when the test ends.
func start(t *testing.T, name string, args ...string) *proc {
	t.Helper()
	return startProgram(t, name, qkdchatBinary(t), args...)
}

// startProgram runs program (qkdchat, or a wrapper that runs it) with
// args, as start does.
func startProgram(t *testing.T, name, program string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(program, args...)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), "XDG_CONFIG_HOME="+t.TempDir())
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{t: t, name: name, cmd: cmd, stdin: stdin, events: make(chan map[string]any, 100000),
		stderr: &strings.Builder{}, exited: make(chan struct{})}
	cmd.Stderr = &lockedWriter{b: p.stderr}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	read := make(chan struct{})
	go func() {
		defer close(read)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.lines = append(p.lines, line)
			p.mu.Unlock()
			var e map[string]any
			if json.Unmarshal([]byte(line), &e) == nil {
				p.events <- e
			}
		}
	}()
	go func() {
		<-read
		p.err = cmd.Wait()
		close(p.events)
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("%s stdout:\n%s\n%s stderr:\n%s", name, p.output(), name, p.stderrText())
		}
	})
	return p
}

type lockedWriter struct {
	mu sync.Mutex
	b  *strings.Builder
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}

func (p *proc) stderrText() string {
	w := p.cmd.Stderr.(*lockedWriter)
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// stop asks the process to quit (SIGINT, as Ctrl-C), then kills it.
func (p *proc) stop() {
	select {
	case <-p.exited:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-p.exited
	}
}

// wait waits for the process to exit by itself and returns its exit code.
func (p *proc) wait(limit time.Duration) int {
	p.t.Helper()
	select {
	case <-p.exited:
	case <-time.After(limit):
		p.t.Fatalf("%s did not exit within %s", p.name, limit)
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode()
	}
	if p.err != nil {
		p.t.Fatalf("%s: %v", p.name, p.err)
	}
	return 0
}

// next returns the next event that satisfies ok, failing the test if the
// process exits or limit passes first. Events before it are consumed.
func (p *proc) next(what string, limit time.Duration, ok func(map[string]any) bool) map[string]any {
	p.t.Helper()
	deadline := time.After(limit)
	for {
		select {
		case e, open := <-p.events:
			if !open {
				p.t.Fatalf("%s exited (%v) before %s", p.name, p.err, what)
			}
			if ok(e) {
				return e
			}
		case <-deadline:
			p.t.Fatalf("%s: no %s within %s", p.name, what, limit)
		}
	}
}

func typeIs(typ string) func(map[string]any) bool {
	return func(e map[string]any) bool { return e["type"] == typ }
}

func num(e map[string]any, key string) float64 {
	f, _ := e[key].(float64)
	return f
}

func str(e map[string]any, key string) string {
	s, _ := e[key].(string)
	return s
}

const code = "4-amber-falcon"

// startListener starts a hospital listening on a free loopback port and
// returns it with the address it bound.
func startListener(t *testing.T, data string) (*proc, string) {
	l := start(t, "listener", "listen", "--data", data, "--addr", "127.0.0.1:0", "--name", "Hospital", "--role", "hospital",
		"--code", code, "--json", "--rekey-interval", "0")
	e := l.next("listening event", time.Minute, typeIs("listening"))
	addr := str(e, "addr")
	if addr == "" || strings.HasSuffix(addr, ":0") {
		t.Fatalf("listening event without a bound address: %v", e)
	}
	return l, addr
}

// checkKey checks a key_established event's BB84 numbers.
func checkKey(t *testing.T, who string, e map[string]any) {
	t.Helper()
	if q := num(e, "qber"); q < 0 || q > 0.11 {
		t.Errorf("%s: key established at QBER %v", who, e["qber"])
	}
	if num(e, "sifted") < 256 || num(e, "key_bits") != 256 {
		t.Errorf("%s: key_established sifted %v key_bits %v", who, e["sifted"], e["key_bits"])
	}
	if _, ok := e["time"].(string); !ok {
		t.Errorf("%s: event without a time: %v", who, e)
	}
}

func TestListenConnectChat(t *testing.T) {
	d1, d2 := t.TempDir(), t.TempDir()
	l, addr := startListener(t, d1)

	c := start(t, "connect", "connect", addr, "--data", d2, "--name", "Alice", "--role", "patient", "--code", code, "--json")
	lines := []string{"fever since Monday", "and a headache"}
	for _, s := range lines {
		fmt.Fprintln(c.stdin, s)
	}
	c.stdin.Close()

	paired := c.next("paired", time.Minute, typeIs("paired"))
	if str(paired, "peer_name") != "Hospital" || str(paired, "peer_role") != "hospital" {
		t.Errorf("connect paired with %v", paired)
	}
	checkKey(t, "connect", c.next("key_established", time.Minute, typeIs("key_established")))
	delivered := 0
	c.next("both deliveries", time.Minute, func(e map[string]any) bool {
		if e["type"] == "delivery" && e["state"] == "delivered" {
			delivered++
		}
		return delivered == len(lines)
	})
	if code := c.wait(time.Minute); code != 0 {
		t.Fatalf("connect exited %d", code)
	}

	p := l.next("paired", time.Minute, typeIs("paired"))
	if str(p, "peer_name") != "Alice" || str(p, "peer_role") != "patient" {
		t.Errorf("listener paired with %v", p)
	}
	checkKey(t, "listener", l.next("key_established", time.Minute, typeIs("key_established")))
	for _, want := range lines {
		e := l.next("message "+want, time.Minute, typeIs("message"))
		m, _ := e["message"].(map[string]any)
		if str(m, "text") != want || str(m, "from_name") != "Alice" {
			t.Errorf("listener received %v, want %q from Alice", m, want)
		}
	}
	l.stop()
	if l.err != nil {
		t.Errorf("listener did not exit cleanly on SIGINT: %v", l.err)
	}

	// The ledgers hold the conversation and verify.
	for _, d := range []string{d1, d2} {
		v := start(t, "ledger verify", "ledger", "verify", "--data", d)
		if code := v.wait(time.Minute); code != 0 {
			t.Fatalf("ledger verify --data %s exited %d: %s", d, code, v.output())
		}
	}
	// The contact is pinned on both sides.
	cs := start(t, "contacts", "contacts", "--data", d2, "--json")
	if code := cs.wait(time.Minute); code != 0 || !strings.Contains(cs.output(), `"Hospital"`) {
		t.Fatalf("contacts exited %d: %s", code, cs.output())
	}
}

func TestWrongCodeFailsBothSides(t *testing.T) {
	l, addr := startListener(t, t.TempDir())
	c := start(t, "connect", "connect", addr, "--data", t.TempDir(), "--name", "Mallory", "--role", "patient", "--code", "4-amber-hawk", "--json")
	c.stdin.Close()
	if code := c.wait(time.Minute); code == 0 {
		t.Fatal("connect with a wrong code exited 0")
	}
	if !strings.Contains(c.stderrText()+c.output(), "pairing failed") {
		t.Errorf("connect did not say pairing failed: %s %s", c.output(), c.stderrText())
	}
	e := l.next("pairing_failed", time.Minute, typeIs("pairing_failed"))
	if !strings.Contains(str(e, "reason"), "pairing failed") {
		t.Errorf("listener reason %q", e["reason"])
	}
}

// startEve puts an eavesdropper between a connecting peer and the listener
// at forward and returns her with the address to connect to.
func startEve(t *testing.T, forward string, intercept string) (*proc, string) {
	e := start(t, "eve", "eve", "--listen", "127.0.0.1:0", "--forward", forward, "--intercept", intercept, "--seed", "7", "--json")
	ev := e.next("eve_listening", time.Minute, typeIs("eve_listening"))
	return e, str(ev, "addr")
}

func TestEveInterceptAllAbortsKey(t *testing.T) {
	d1 := t.TempDir()
	l, addr := startListener(t, d1)
	eve, eveAddr := startEve(t, addr, "1")
	c := start(t, "connect", "connect", eveAddr, "--data", t.TempDir(), "--name", "Alice", "--role", "patient", "--code", code, "--json")
	fmt.Fprintln(c.stdin, "this must not be delivered")

	for _, p := range []*proc{c, l} {
		e := p.next("key_aborted", time.Minute, func(e map[string]any) bool {
			if e["type"] == "key_established" {
				t.Fatalf("%s established a key through Eve: %v", p.name, e)
			}
			return e["type"] == "key_aborted"
		})
		if q := num(e, "qber"); q < 0.18 || q > 0.32 {
			t.Errorf("%s: aborted at QBER %v, want about 0.25", p.name, e["qber"])
		}
		if e["aborted"] != true || !strings.Contains(str(e, "reason"), "QBER") {
			t.Errorf("%s: key_aborted %v", p.name, e)
		}
	}
	// Eve reports what she measured.
	m := eve.next("eve_measured", time.Minute, func(e map[string]any) bool {
		return (e["type"] == "eve_measured" || e["type"] == "eve_summary") && num(e, "intercepted") > 0
	})
	if num(m, "intercepted") != num(m, "photons") {
		t.Errorf("eve at --intercept 1 intercepted %v of %v photons", m["intercepted"], m["photons"])
	}
	c.stdin.Close()
	c.stop()
	l.stop()
	for e := range l.events {
		if e["type"] == "message" {
			t.Fatalf("a message was delivered without a key: %v", e)
		}
	}
	v := start(t, "ledger verify", "ledger", "verify", "--data", d1)
	if code := v.wait(time.Minute); code != 0 {
		t.Fatalf("ledger verify exited %d: %s", code, v.output())
	}
}

func TestEveInterceptNoneKeepsKey(t *testing.T) {
	l, addr := startListener(t, t.TempDir())
	eve, eveAddr := startEve(t, addr, "0")
	c := start(t, "connect", "connect", eveAddr, "--data", t.TempDir(), "--name", "Alice", "--role", "patient", "--code", code, "--json")
	fmt.Fprintln(c.stdin, "through a passive relay")
	c.stdin.Close()
	checkKey(t, "connect", c.next("key_established", time.Minute, typeIs("key_established")))
	checkKey(t, "listener", l.next("key_established", time.Minute, typeIs("key_established")))
	e := l.next("message", time.Minute, typeIs("message"))
	if m, _ := e["message"].(map[string]any); str(m, "text") != "through a passive relay" {
		t.Errorf("listener received %v", e)
	}
	if code := c.wait(time.Minute); code != 0 {
		t.Fatalf("connect exited %d", code)
	}
	eve.stop()
	var last map[string]any
	for e := range eve.events {
		last = e
	}
	if last == nil || num(last, "photons") == 0 || num(last, "intercepted") != 0 {
		t.Errorf("eve's summary at --intercept 0: %v", last)
	}
}
