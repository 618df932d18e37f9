package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"qkdchat/node"
)

// Invites on the command line: 'qkdchat invite' when the app is not
// running, and /invite, /invites, /revoke and /approve typed into a
// running listen.

const inviteHelp = `invite commands (hospital):
  /invite ROLE [NAME]         issue an invite for a patient or a doctor (printed as an event)
  /invites                    the invites issued here and what became of them
  /revoke NAMEPLATE           withdraw an open invite
  /approve PEER               put a doctor who paired with the plain code on the roster`

// inviteJSON is what 'qkdchat invite --json' prints.
type inviteJSON struct {
	Type      string    `json:"type"` // "invite"
	Invite    string    `json:"invite"`
	Link      string    `json:"link"`
	Code      string    `json:"code"`
	Nameplate int       `json:"nameplate"`
	Role      node.Role `json:"role"`
	Name      string    `json:"name,omitempty"`
	Addrs     []string  `json:"addrs"`
	Expires   time.Time `json:"expires"`
	State     string    `json:"state"`
}

func inviteObject(r node.InviteRecord) inviteJSON {
	return inviteJSON{Type: "invite", Invite: r.Invite, Link: r.Link, Code: r.Code, Nameplate: r.Nameplate, Role: r.Role,
		Name: r.Name, Addrs: r.Addrs, Expires: r.Expires, State: r.State}
}

func runInvite(_ context.Context, env *Env, args []string) error {
	fs := NewFlagSet(env, "invite", "")
	data := fs.String("data", "", "data directory (default: the per-user config directory)")
	role := fs.String("role", "", "the role the invite grants: patient or doctor (required)")
	name := fs.String("name", "", "whom the invite is for (a label for your list)")
	expires := fs.Duration("expires", node.DefaultInviteTTL, "how long the invite works")
	jsonOut := fs.Bool("json", false, "print the invite as one JSON object")
	if err := Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return Usagef("unexpected argument %q", fs.Arg(0))
	}
	r, err := inviteRole(*role)
	if err != nil {
		return err
	}
	if *expires <= 0 {
		return Usagef("--expires must be positive, like 72h or 30m")
	}
	dir, err := dataDir(*data)
	if err != nil {
		return err
	}
	n, err := node.Open(node.Options{Dir: dir, Logger: slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if errors.Is(err, node.ErrInUse) {
		return fmt.Errorf("QKD Chat is running on %s: type /invite %s into its listen console (or use the app's Invite button) instead: %w", dir, r, err)
	}
	if err != nil {
		return err
	}
	defer n.Close()
	if n.Profile().Role != node.RoleHospital {
		return fmt.Errorf("this profile (%s) is a %s: only a hospital issues invites", n.Profile().Name, n.Profile().Role)
	}
	rec, err := n.Invites().Create(r, *name, *expires)
	if err != nil {
		return err
	}
	if *jsonOut {
		return json.NewEncoder(env.Stdout).Encode(inviteObject(rec))
	}
	fmt.Fprintf(env.Stdout, "invite %d for a %s, valid until %s:\n%s\n\nlink: %s\ncode: %s (with 'connect ADDR --code CODE')\naddresses: %s\n",
		rec.Nameplate, rec.Role, rec.Expires.Local().Format("2006-01-02 15:04"), rec.Invite, rec.Link, rec.Code, strings.Join(rec.Addrs, ", "))
	fmt.Fprintln(env.Stdout, "It is kept in the data directory; 'qkdchat listen' serves it when it next starts.")
	return nil
}

// inviteRole reads the role an invite grants.
func inviteRole(s string) (node.Role, error) {
	if s == "" {
		return "", Usagef("give --role patient or --role doctor")
	}
	r, err := node.ParseRole(s)
	if err != nil || (r != node.RolePatient && r != node.RoleDoctor) {
		return "", Usagef("an invite grants the role patient or doctor, not %q", s)
	}
	return r, nil
}

// inviteCommand runs an invite slash command; handled is false for a
// word that is not one.
func (c *console) inviteCommand(word, rest string) (handled bool, err error) {
	n := c.n
	switch word {
	case "invite":
		roleWord, name, _ := strings.Cut(rest, " ")
		r, err := inviteRole(roleWord)
		if err != nil {
			return true, errors.New("usage: /invite patient|doctor [NAME]")
		}
		// Printed by the invite event it publishes.
		_, err = n.Invites().Create(r, strings.TrimSpace(name), 0)
		return true, err
	case "invites":
		rs, err := n.Invites().List()
		if err != nil {
			return true, err
		}
		if len(rs) == 0 {
			c.note("no invites yet: /invite patient|doctor [NAME]")
		}
		for _, r := range rs {
			if c.json {
				b, _ := json.Marshal(inviteObject(r))
				c.env.Stdout.Write(append(b, '\n'))
				continue
			}
			c.note("%s (code %s)", r.Summary(), r.Code)
		}
		return true, nil
	case "revoke":
		np, err := strconv.Atoi(strings.TrimSpace(rest))
		if err != nil {
			return true, errors.New("usage: /revoke NAMEPLATE (the number of /invites)")
		}
		if err := n.Invites().Revoke(np); err != nil {
			return true, err
		}
		return true, nil
	case "approve":
		if rest == "" {
			return true, errors.New("usage: /approve PEER (fingerprint or name)")
		}
		_, err := n.Clinic().Approve(rest)
		return true, err
	}
	return false, nil
}

// describeInvite renders an invite event.
func describeInvite(e node.Event) string {
	switch e.Type {
	case node.EventInvite:
		if e.Invite != "" {
			return fmt.Sprintf("%s:\n%s\nlink: %s\ncode: %s", e.Reason, e.Invite, e.Link, e.Code)
		}
		return e.Reason
	case node.EventRoleApproved:
		return e.Reason
	}
	return ""
}

// takeInvite reports whether target is an invite, and checks it against
// the command line: an invite carries its code and grants its role, so
// --code is refused, and so is a --role other than the invite's. On a
// first run (no profile yet) the role is the invite's.
func (p *peerFlags) takeInvite(target string) (bool, error) {
	inv, err := node.ParseInvite(target)
	if errors.Is(err, node.ErrNotInvite) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if p.code != "" {
		return false, Usagef("an invite carries its own code: give the invite without --code")
	}
	if p.role != "" {
		r, err := node.ParseRole(p.role)
		if err != nil {
			return false, Usagef("%v", err)
		}
		if r != node.Role(inv.Role) {
			return false, fmt.Errorf("this invite from %s is for a %s; --role %s cannot change that: the role is granted by the invite (leave --role out, or ask for a %s invite)", inv.Name, inv.Role, r, r)
		}
		return true, nil
	}
	dir, err := dataDir(p.data)
	if err != nil {
		return false, err
	}
	if _, err := node.LoadProfile(dir); errors.Is(err, node.ErrNoProfile) {
		p.role = string(inv.Role)
	}
	return true, nil
}
