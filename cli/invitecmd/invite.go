package invitecmd

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"qkdchat/node"
)

// UsageError is a command line that could not be understood (package
// cli exits 2 for it).
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

func usagef(format string, a ...any) error { return &UsageError{Msg: fmt.Sprintf(format, a...)} }

// Help lists the invite lines of a running listen.
const Help = `invite commands (hospital):
  /invite ROLE [NAME]         issue an invite for a patient or a doctor (printed as an event)
  /invites                    the invites issued here and what became of them
  /revoke NAMEPLATE           withdraw an open invite
  /approve PEER               put a doctor who paired with the plain code on the roster`

// Object is what 'qkdchat invite --json' and '/invites' with --json
// print for an invite.
type Object struct {
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

// ObjectOf is r as printed.
func ObjectOf(r node.InviteRecord) Object {
	return Object{Type: "invite", Invite: r.Invite, Link: r.Link, Code: r.Code, Nameplate: r.Nameplate, Role: r.Role,
		Name: r.Name, Addrs: r.Addrs, Expires: r.Expires, State: r.State}
}

// Flags are the flags of 'qkdchat invite'.
type Flags struct {
	Data, Role, Name string
	Expires          time.Duration
	JSON             bool
}

// Register adds the flags to fs.
func (f *Flags) Register(fs *flag.FlagSet) {
	fs.StringVar(&f.Data, "data", "", "data directory (default: the per-user config directory)")
	fs.StringVar(&f.Role, "role", "", "the role the invite grants: patient or doctor (required)")
	fs.StringVar(&f.Name, "name", "", "whom the invite is for (a label for your list)")
	fs.DurationVar(&f.Expires, "expires", node.DefaultInviteTTL, "how long the invite works")
	fs.BoolVar(&f.JSON, "json", false, "print the invite as one JSON object")
}

// Run issues an invite in the data directory dir, whose node must not be
// running (a running one is told to take /invite instead), and prints it.
func Run(f Flags, dir string, stdout, stderr io.Writer) error {
	r, err := Role(f.Role)
	if err != nil {
		return err
	}
	if f.Expires <= 0 {
		return usagef("--expires must be positive, like 72h or 30m")
	}
	n, err := node.Open(node.Options{Dir: dir, Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if errors.Is(err, node.ErrInUse) {
		return fmt.Errorf("QKD Chat is running on %s: type /invite %s into its listen console (or use the app's Invite tab) instead: %w", dir, r, err)
	}
	if err != nil {
		return err
	}
	defer n.Close()
	if p := n.Profile(); p.Role != node.RoleHospital {
		return fmt.Errorf("this profile (%s) is a %s: only a hospital issues invites", p.Name, p.Role)
	}
	rec, err := n.Invites().Create(r, f.Name, f.Expires)
	if err != nil {
		return err
	}
	if f.JSON {
		return json.NewEncoder(stdout).Encode(ObjectOf(rec))
	}
	_, err = fmt.Fprintf(stdout, "invite %d for a %s, valid until %s:\n%s\n\nlink: %s\ncode: %s (with 'connect ADDR --code CODE')\naddresses: %s\nIt is kept in the data directory; 'qkdchat listen' serves it when it next starts.\n",
		rec.Nameplate, rec.Role, rec.Expires.Local().Format("2006-01-02 15:04"), rec.Invite, rec.Link, rec.Code, strings.Join(rec.Addrs, ", "))
	return err
}

// Role reads the role an invite grants.
func Role(s string) (node.Role, error) {
	if s == "" {
		return "", usagef("give --role patient or --role doctor")
	}
	r, err := node.ParseRole(s)
	if err != nil || (r != node.RolePatient && r != node.RoleDoctor) {
		return "", usagef("an invite grants the role patient or doctor, not %q", s)
	}
	return r, nil
}

// Console is what the slash commands need of a running listen: its node,
// and how it prints a note or a JSON object.
type Console struct {
	Node *node.Node
	JSON bool
	Note func(format string, a ...any)
	Out  io.Writer
}

// Command runs an invite slash command; handled is false for a word that
// is not one. /invite prints through the invite event it publishes.
func (c Console) Command(word, rest string) (handled bool, err error) {
	n := c.Node
	switch word {
	case "invite":
		roleWord, name, _ := strings.Cut(rest, " ")
		r, err := Role(roleWord)
		if err != nil {
			return true, errors.New("usage: /invite patient|doctor [NAME]")
		}
		_, err = n.Invites().Create(r, strings.TrimSpace(name), 0)
		return true, err
	case "invites":
		rs, err := n.Invites().List()
		if err != nil {
			return true, err
		}
		if len(rs) == 0 {
			c.Note("no invites yet: /invite patient|doctor [NAME]")
		}
		for _, r := range rs {
			if c.JSON {
				b, _ := json.Marshal(ObjectOf(r))
				c.Out.Write(append(b, '\n'))
				continue
			}
			c.Note("%s (code %s)", r.Summary(), r.Code)
		}
		return true, nil
	case "revoke":
		np, err := strconv.Atoi(strings.TrimSpace(rest))
		if err != nil {
			return true, errors.New("usage: /revoke NAMEPLATE (the number /invites shows)")
		}
		return true, n.Invites().Revoke(np)
	case "approve":
		if rest == "" {
			return true, errors.New("usage: /approve PEER (fingerprint or name)")
		}
		_, err := n.Clinic().Approve(rest)
		return true, err
	}
	return false, nil
}

// Describe renders an invite event as text ("" for other events).
func Describe(e node.Event) string {
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

// Connect checks the target of 'connect' against its flags. It reports
// whether target is an invite; an invite carries its code and grants its
// role, so code must be empty and role, if given, the invite's. role is
// what --role should be: on a first run (hasProfile false) the invite's.
func Connect(target, code, role string, hasProfile bool) (isInvite bool, roleOut string, err error) {
	inv, err := node.ParseInvite(target)
	if errors.Is(err, node.ErrNotInvite) {
		return false, role, nil
	}
	if err != nil {
		return false, role, err
	}
	if code != "" {
		return false, role, usagef("an invite carries its own code: give the invite without --code")
	}
	if role == "" {
		if !hasProfile {
			role = string(inv.Role)
		}
		return true, role, nil
	}
	r, err := node.ParseRole(role)
	if err != nil {
		return false, role, usagef("%v", err)
	}
	if r != node.Role(inv.Role) {
		return false, role, fmt.Errorf("this invite from %s is for a %s; --role %s cannot change that: the role is granted by the invite (leave --role out, or ask for a %s invite)", inv.Name, inv.Role, r, r)
	}
	return true, role, nil
}
