package cli

import (
	"context"
	"flag"
	"fmt"
	"time"

	"qkdchat/cli/lan"
	"qkdchat/node"
)

// connectTarget checks that connect was given where to connect: an
// address, or --nearby NAME, not both.
func connectTarget(fs *flag.FlagSet, near string) error {
	switch {
	case near != "" && fs.NArg() > 0:
		return Usagef("give either HOST:PORT, an invite or --nearby NAME, not two")
	case near == "" && fs.NArg() != 1:
		return Usagef("give the address to connect to, as HOST:PORT, or an invite (or --nearby NAME)")
	}
	return nil
}

// status prints where a listener can be reached (text mode).
func (c *console) status(st node.ReachStatus) {
	for _, l := range lan.StatusLines(st) {
		if !c.json {
			fmt.Fprintln(c.env.Stdout, l)
		}
	}
}

// presenceLine renders a presence event. Call with c.mu held.
func (c *console) presenceLine(e node.Event) string {
	was := c.offline[e.Peer]
	if e.Presence != nil {
		c.offline[e.Peer] = !e.Presence.Online
	}
	return lan.PresenceLine(e, was, time.Now())
}

// closeLeft marks the end of the current session as printed.
func (c *console) closeLeft() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.leftClosed {
		close(c.left)
		c.leftClosed = true
	}
}

// reopenLeft waits for the end of a new session. Call with c.mu held.
func (c *console) reopenLeft() {
	if c.leftClosed {
		c.left, c.leftClosed = make(chan struct{}), false
	}
}

func runNearby(ctx context.Context, env *Env, args []string) error {
	fs := NewFlagSet(env, "nearby", "")
	cmd := lan.NearbyFlags(fs)
	if err := Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return Usagef("unexpected argument %q", fs.Arg(0))
	}
	if err := cmd.Check(); err != nil {
		return Usagef("%v", err)
	}
	return cmd.Run(ctx, env.Stdout)
}
