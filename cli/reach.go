package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"strings"
	"time"

	"qkdchat/node"
)

// connectTarget checks that connect was given where to connect: an
// address, or --nearby NAME, not both.
func connectTarget(fs *flag.FlagSet, near string) error {
	switch {
	case near != "" && fs.NArg() > 0:
		return Usagef("give either HOST:PORT or --nearby NAME, not both")
	case near == "" && fs.NArg() != 1:
		return Usagef("give the address to connect to, as HOST:PORT (or --nearby NAME)")
	}
	return nil
}

// dialTarget connects to addr, or to the nearby hospital called near,
// pairing with code (or as a pinned contact when code is empty).
func dialTarget(ctx context.Context, n *node.Node, addr, near, code string) (*node.Session, error) {
	if near == "" {
		return n.Connect(ctx, addr, code)
	}
	s, _, err := n.Reach().JoinNearby(ctx, near, code, 0)
	return s, err
}

// status prints where a listener can be reached (text mode: the
// listening event says the rest).
func (c *console) status(st node.ReachStatus) {
	if c.json {
		return
	}
	if len(st.LAN) > 0 && (len(st.LAN) > 1 || st.LAN[0] != st.Addr) {
		fmt.Fprintf(c.env.Stdout, "reach this node at: %s\n", strings.Join(st.LAN, ", "))
	}
	switch {
	case st.Announcing:
		fmt.Fprintln(c.env.Stdout, "announcing this hospital on the local network (qkdchat nearby)")
	case st.AnnounceError != "":
		fmt.Fprintf(c.env.Stdout, "not announcing on the local network: %s\n", st.AnnounceError)
	}
}

// presenceLine renders a presence event ("" to print nothing). Call with
// c.mu held.
func (c *console) presenceLine(e node.Event) string {
	p := e.Presence
	if p == nil {
		return ""
	}
	who := cmp.Or(e.PeerName, "the peer")
	was := c.offline[e.Peer]
	c.offline[e.Peer] = !p.Online
	switch {
	case p.Online:
		if was {
			return who + " is back online"
		}
		return ""
	case p.Redialling && !p.NextTry.IsZero():
		wait := int(math.Max(1, math.Round(time.Until(p.NextTry).Seconds())))
		if p.Failures > 1 {
			return fmt.Sprintf("%s is still offline; trying again in %d s", who, wait)
		}
		return fmt.Sprintf("%s went offline; trying again in %d s", who, wait)
	case !was && !p.Redialling:
		return who + " went offline"
	}
	return ""
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

// nearbyHospital is one line of `nearby --json`.
type nearbyHospital struct {
	Name        string   `json:"name"`
	Fingerprint string   `json:"fingerprint,omitempty"`
	Addrs       []string `json:"addrs"`
}

func runNearby(ctx context.Context, env *Env, args []string) error {
	fs := NewFlagSet(env, "nearby", "")
	jsonOut := fs.Bool("json", false, "print one JSON object per hospital")
	wait := fs.Duration("wait", 2*time.Second, "how long to listen for answers")
	if err := Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return Usagef("unexpected argument %q", fs.Arg(0))
	}
	if *wait <= 0 || *wait > time.Minute {
		return Usagef("--wait must be between 0 and 1m")
	}
	hs, err := node.FindNearby(ctx, *wait)
	if err != nil {
		return err
	}
	if *jsonOut {
		enc := json.NewEncoder(env.Stdout)
		for _, h := range hs {
			enc.Encode(nearbyHospital{Name: h.Name, Fingerprint: h.Fingerprint, Addrs: h.Addrs})
		}
		return nil
	}
	if len(hs) == 0 {
		fmt.Fprintf(env.Stdout, "no hospital answered on the local network within %s\n", *wait)
		return nil
	}
	fmt.Fprintf(env.Stdout, "%-32s %-32s %s\n", "NAME", "FINGERPRINT", "ADDRESSES")
	for _, h := range hs {
		fmt.Fprintf(env.Stdout, "%-32s %-32s %s\n", h.Name, h.Fingerprint, strings.Join(h.Addrs, " "))
	}
	fmt.Fprintln(env.Stdout, "join one with: qkdchat connect --nearby NAME --code CODE (compare the fingerprint with the one the hospital shows)")
	return nil
}
