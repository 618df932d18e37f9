package cli

import (
	"context"
	"errors"

	"qkdchat/cli/invitecmd"
	"qkdchat/node"
)

// runInvite is 'qkdchat invite' (package invitecmd).
func runInvite(_ context.Context, env *Env, args []string) error {
	var f invitecmd.Flags
	fs := NewFlagSet(env, "invite", "")
	f.Register(fs)
	if err := Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return Usagef("unexpected argument %q", fs.Arg(0))
	}
	dir, err := dataDir(f.Data)
	if err != nil {
		return err
	}
	return usageOf(invitecmd.Run(f, dir, env.Stdout, env.Stderr))
}

// usageOf makes invitecmd's usage errors the command line's (exit 2).
func usageOf(err error) error {
	var u *invitecmd.UsageError
	if errors.As(err, &u) {
		return Usagef("%s", u.Msg)
	}
	return err
}

// takeInvite reports whether target is an invite, checked against the
// command line (invitecmd.Connect); on a first run the role is the
// invite's.
func (p *peerFlags) takeInvite(target string) (bool, error) {
	dir, err := dataDir(p.data)
	if err != nil {
		return false, err
	}
	_, perr := node.LoadProfile(dir)
	isInvite, role, err := invitecmd.Connect(target, p.code, p.role, !errors.Is(perr, node.ErrNoProfile))
	p.role = role
	return isInvite, usageOf(err)
}
