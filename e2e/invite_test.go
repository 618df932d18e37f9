package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Invites with real processes (issue 14): roles granted by the invite, a
// used or expired invite refused, and wrong guesses that burn one invite
// and nothing else.

// issue types "/invite ROLE NAME" into a running listen and returns the
// invite event it prints.
func issue(t *testing.T, l *proc, role, name string) map[string]any {
	t.Helper()
	fmt.Fprintf(l.stdin, "/invite %s %s\n", role, name)
	e := l.next("invite event", time.Minute, func(e map[string]any) bool { return e["type"] == "invite" && e["invite"] != nil })
	if !strings.HasPrefix(str(e, "invite"), "qkdchat-invite-") || str(e, "code") == "" || str(e, "peer_role") != role {
		t.Fatalf("invite event %v", e)
	}
	return e
}

// refused runs connect with args and checks it exits 1 saying want.
func refused(t *testing.T, name, want string, args ...string) {
	t.Helper()
	c := start(t, name, append([]string{"connect"}, args...)...)
	c.stdin.Close()
	if code := c.wait(time.Minute); code != 1 {
		t.Fatalf("%s exited %d, want 1", name, code)
	}
	if !strings.Contains(c.stderrText(), want) {
		t.Fatalf("%s: stderr %q does not say %q", name, c.stderrText(), want)
	}
}

// joined runs connect with args and waits for it to pair; it returns the
// paired event and the process.
func joined(t *testing.T, name string, args ...string) (*proc, map[string]any) {
	t.Helper()
	c := start(t, name, append(append([]string{"connect"}, args...), "--json")...)
	c.stdin.Close()
	e := c.next("paired", time.Minute, typeIs("paired"))
	if code := c.wait(time.Minute); code != 0 {
		t.Fatalf("%s exited %d", name, code)
	}
	return c, e
}

func TestInviteRoleCannotBeChanged(t *testing.T) {
	l, addr := startListener(t, t.TempDir())
	doc := issue(t, l, "doctor", "Dr Who")
	pat := issue(t, l, "patient", "Pat")

	// A doctor invite cannot be used to join as a patient, and the
	// reverse: with --role, and with a saved profile of the other role.
	refused(t, "patient --role with a doctor invite", "this invite from Hospital is for a doctor; --role patient cannot change that",
		str(doc, "invite"), "--data", t.TempDir(), "--name", "Pat", "--role", "patient")
	refused(t, "doctor --role with a patient invite", "is for a patient; --role doctor cannot change that",
		str(pat, "invite"), "--data", t.TempDir(), "--name", "Dr No", "--role", "doctor")
	patDir := t.TempDir()
	os.WriteFile(filepath.Join(patDir, "profile.json"), []byte(`{"name":"Pat","role":"patient"}`), 0o600)
	refused(t, "patient profile with a doctor invite", "this invite is for a doctor; this profile is a patient",
		str(doc, "invite"), "--data", patDir)

	// A patched client dialling with the doctor invite's code while
	// claiming patient is granted doctor, not what it claims.
	_, e := joined(t, "patient claim with the doctor code", addr, "--code", str(doc, "code"), "--data", t.TempDir(), "--name", "Claimer", "--role", "patient")
	if str(e, "peer_role") != "hospital" {
		t.Errorf("paired with %v", e)
	}
	p := l.next("Claimer paired", time.Minute, func(e map[string]any) bool { return e["type"] == "paired" && e["peer_name"] == "Claimer" })
	if str(p, "peer_role") != "doctor" {
		t.Errorf("the hospital holds Claimer as %q, want doctor (the invite's grant)", str(p, "peer_role"))
	}

	// The patient invite, pasted alone on a first run: the role comes
	// from the invite.
	_, _ = joined(t, "patient joins", str(pat, "invite"), "--data", t.TempDir(), "--name", "Pat")
	p = l.next("Pat paired", time.Minute, func(e map[string]any) bool { return e["type"] == "paired" && e["peer_name"] == "Pat" })
	if str(p, "peer_role") != "patient" {
		t.Errorf("the hospital holds Pat as %q", str(p, "peer_role"))
	}
}

func TestUsedAndExpiredInvitesAreRefused(t *testing.T) {
	hosp := t.TempDir()
	l, addr := startListener(t, hosp)
	inv := issue(t, l, "patient", "Pat")
	joined(t, "first use", str(inv, "invite"), "--data", t.TempDir(), "--name", "Pat")
	refused(t, "second use", "this invite was already used: ask for a new one",
		str(inv, "invite"), "--data", t.TempDir(), "--name", "Eve")
	l.stop()

	// Issued while the app is not running, with a short life; a listener
	// started later serves it until it expires.
	ic := start(t, "invite", "invite", "--data", hosp, "--role", "doctor", "--expires", "6s", "--json")
	if code := ic.wait(time.Minute); code != 0 {
		t.Fatalf("invite exited %d: %s", code, ic.stderrText())
	}
	var off map[string]any
	select {
	case off = <-ic.events:
	default:
	}
	if str(off, "type") != "invite" || str(off, "code") == "" || !strings.HasPrefix(str(off, "invite"), "qkdchat-invite-") {
		t.Fatalf("invite --json printed %q", ic.output())
	}
	expires, err := time.Parse(time.RFC3339, str(off, "expires"))
	if err != nil {
		t.Fatal(err)
	}
	l2 := start(t, "listener again", "listen", "--data", hosp, "--addr", "127.0.0.1:0", "--json", "--rekey-interval", "0")
	addr = str(l2.next("listening event", time.Minute, typeIs("listening")), "addr")
	time.Sleep(time.Until(expires) + 500*time.Millisecond)
	refused(t, "expired invite", "this invite has expired: ask for a new one",
		str(off, "invite"), "--data", t.TempDir(), "--name", "Dr Late")
	// The same code dialled directly: the listener refuses it as expired.
	refused(t, "expired code", "this invite has expired",
		addr, "--code", str(off, "code"), "--data", t.TempDir(), "--name", "Dr Late", "--role", "doctor")
}

func TestWrongGuessesBurnOnlyThatInvite(t *testing.T) {
	l, addr := startListener(t, t.TempDir())
	pinnedDir := t.TempDir()
	joined(t, "pinned patient pairs", addr, "--code", code, "--data", pinnedDir, "--name", "Old Pat", "--role", "patient")
	a := issue(t, l, "doctor", "Dr A")
	b := issue(t, l, "patient", "Pat B")

	words, err := os.ReadFile(filepath.Join("..", "transport", "paircode", "wordlist.txt"))
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.SplitN(str(a, "code"), "-", 3)
	n := 0
	for _, w := range strings.Fields(string(words)) {
		if n == 10 {
			break
		}
		if w == parts[1] {
			continue
		}
		guess := parts[0] + "-" + w + "-" + parts[2]
		c := start(t, "guess", "connect", addr, "--code", guess, "--data", t.TempDir(), "--name", fmt.Sprintf("Guess %d", n), "--role", "doctor")
		c.stdin.Close()
		if code := c.wait(time.Minute); code != 1 {
			t.Fatalf("guess %d exited %d", n, code)
		}
		if want := map[bool]string{true: "pairing failed", false: "no longer valid"}[n == 0]; !strings.Contains(c.stderrText(), want) {
			t.Errorf("guess %d: %q, want %q", n, c.stderrText(), want)
		}
		n++
	}
	burn := l.next("the burn", time.Minute, func(e map[string]any) bool { return e["type"] == "invite" && e["invite_state"] == "burned" })
	if r := str(burn, "reason"); !strings.Contains(r, "for a doctor (Dr A) was burned by a wrong guess") || !strings.Contains(r, "issue a new one") {
		t.Errorf("burn event reason %q", r)
	}
	// The other invite works; so does the pinned contact's reconnect.
	_, e := joined(t, "invite B", str(b, "invite"), "--data", t.TempDir(), "--name", "Pat B")
	if str(e, "peer_name") != "Hospital" {
		t.Errorf("invite B paired with %v", e)
	}
	_, e = joined(t, "pinned reconnect", addr, "--data", pinnedDir)
	if str(e, "reason") != "pinned contact" {
		t.Errorf("reconnect: %v", e)
	}
	refused(t, "burned invite", "no longer valid", str(a, "invite"), "--data", t.TempDir(), "--name", "Dr A")
	// Nor did the guesses count against the listener's own code.
	joined(t, "listener code", addr, "--code", code, "--data", t.TempDir(), "--name", "New Pat", "--role", "patient")
}
