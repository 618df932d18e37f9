package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"qkdchat/node"
)

// hospitalDir is a data directory with a hospital's profile.
func hospitalDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := node.SaveProfile(dir, node.Profile{Name: "St Mary", Role: node.RoleHospital}); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestInviteCommandOffline(t *testing.T) {
	dir := hospitalDir(t)
	code, out, errs := run(t, []string{"invite", "--data", dir, "--role", "doctor", "--name", "Dr Who", "--expires", "2h", "--json"})
	if code != 0 {
		t.Fatalf("invite exited %d: %s", code, errs)
	}
	var o map[string]any
	if err := json.Unmarshal([]byte(out), &o); err != nil {
		t.Fatalf("invite --json printed %q: %v", out, err)
	}
	if o["type"] != "invite" || !strings.HasPrefix(o["invite"].(string), "qkdchat-invite-") || o["code"] == "" || o["role"] != "doctor" || o["state"] != "open" {
		t.Errorf("invite object %v", o)
	}
	inv, err := node.ParseInvite(o["invite"].(string))
	if err != nil || string(inv.Role) != "doctor" || inv.Name != "St Mary" || inv.Code != o["code"] {
		t.Errorf("the invite parses to %+v, %v", inv, err)
	}
	// Kept in the data directory.
	n, err := node.Open(node.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := n.Invites().List()
	n.Close()
	if err != nil || len(rs) != 1 || rs[0].Code != o["code"] || rs[0].Name != "Dr Who" {
		t.Errorf("stored invites %+v, %v", rs, err)
	}
}

func TestInviteCommandRefusals(t *testing.T) {
	dir := hospitalDir(t)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--role", "hospital"}, 2, "an invite grants the role patient or doctor"},
		{[]string{}, 2, "give --role patient or --role doctor"},
		{[]string{"--role", "patient", "--expires", "-1h"}, 2, "--expires must be positive"},
	} {
		code, _, errs := run(t, append([]string{"invite", "--data", dir}, tc.args...))
		if code != tc.code || !strings.Contains(errs, tc.want) {
			t.Errorf("invite %v: exit %d, %q; want %d, %q", tc.args, code, errs, tc.code, tc.want)
		}
	}
	// Only a hospital invites.
	pat := t.TempDir()
	node.SaveProfile(pat, node.Profile{Name: "Pat", Role: node.RolePatient})
	if code, _, errs := run(t, []string{"invite", "--data", pat, "--role", "patient"}); code != 1 || !strings.Contains(errs, "only a hospital issues invites") {
		t.Errorf("a patient's invite: exit %d, %q", code, errs)
	}
	// While the app holds the data directory: say how to reach it.
	n, err := node.Open(node.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if code, _, errs := run(t, []string{"invite", "--data", dir, "--role", "patient"}); code != 1 || !strings.Contains(errs, "type /invite patient into its listen console") {
		t.Errorf("invite while running: exit %d, %q", code, errs)
	}
}

func TestConnectInviteRefusesACode(t *testing.T) {
	dir := hospitalDir(t)
	_, out, _ := run(t, []string{"invite", "--data", dir, "--role", "patient", "--json"})
	var o map[string]string
	json.Unmarshal([]byte(out), &o)
	code, _, errs := run(t, []string{"connect", o["invite"], "--code", "4-amber-falcon", "--data", t.TempDir(), "--name", "Pat"})
	if code != 2 || !strings.Contains(errs, "an invite carries its own code") {
		t.Errorf("connect INVITE --code: exit %d, %q", code, errs)
	}
	code, _, errs = run(t, []string{"connect", o["invite"][:40] + "xyz" + o["invite"][43:], "--data", t.TempDir(), "--name", "Pat"})
	if code != 1 || !strings.Contains(errs, "this invite is damaged") {
		t.Errorf("connect with a damaged invite: exit %d, %q", code, errs)
	}
}
