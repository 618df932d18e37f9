package lan

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"qkdchat/node"
)

// Dial connects to addr, or to the nearby hospital called near, pairing
// with code (or as a pinned contact when code is empty).
func Dial(ctx context.Context, n *node.Node, addr, near, code string) (*node.Session, error) {
	if near == "" {
		return n.Connect(ctx, addr, code)
	}
	s, _, err := n.Reach().JoinNearby(ctx, near, code, 0)
	return s, err
}

// StatusLines say where a listener can be reached beyond the address it
// listens on, and whether it announces itself.
func StatusLines(st node.ReachStatus) []string {
	var out []string
	if len(st.LAN) > 1 || (len(st.LAN) == 1 && st.LAN[0] != st.Addr) {
		out = append(out, "reach this node at: "+strings.Join(st.LAN, ", "))
	}
	switch {
	case st.Announcing:
		out = append(out, "announcing this hospital on the local network (qkdchat nearby)")
	case st.AnnounceError != "":
		out = append(out, "not announcing on the local network: "+st.AnnounceError)
	}
	return out
}

// PresenceLine renders a presence event, given whether the peer was last
// reported offline ("" to print nothing).
func PresenceLine(e node.Event, wasOffline bool, now time.Time) string {
	p := e.Presence
	if p == nil {
		return ""
	}
	who := cmp.Or(e.PeerName, "the peer")
	switch {
	case p.Online:
		if wasOffline {
			return who + " is back online"
		}
	case p.Redialling && !p.NextTry.IsZero():
		wait := node.WaitWords(p.NextTry.Sub(now))
		if p.Failures > 1 {
			return fmt.Sprintf("%s is still offline; trying again in %s", who, wait)
		}
		return fmt.Sprintf("%s went offline; trying again in %s", who, wait)
	case !wasOffline && !p.Redialling:
		return who + " went offline"
	}
	return ""
}

// Nearby is the `nearby` command once its flags are registered.
type Nearby struct {
	json *bool
	wait *time.Duration
}

// NearbyFlags registers the flags of `nearby` on fs.
func NearbyFlags(fs *flag.FlagSet) *Nearby {
	return &Nearby{
		json: fs.Bool("json", false, "print one JSON object per hospital"),
		wait: fs.Duration("wait", 2*time.Second, "how long to listen for answers (at most 1m)"),
	}
}

// Check reports flag values that make no sense.
func (c *Nearby) Check() error {
	if *c.wait <= 0 || *c.wait > time.Minute {
		return fmt.Errorf("--wait must be between 0 and 1m, not %s", *c.wait)
	}
	return nil
}

// Run asks the LAN for hospitals and lists them on w.
func (c *Nearby) Run(ctx context.Context, w io.Writer) error {
	hs, err := node.FindNearby(ctx, *c.wait)
	if err != nil {
		return err
	}
	if *c.json {
		enc := json.NewEncoder(w)
		for _, h := range hs {
			if err := enc.Encode(h); err != nil {
				return err
			}
		}
		return nil
	}
	if len(hs) == 0 {
		fmt.Fprintf(w, "no hospital answered on the local network within %s\n", *c.wait)
		return nil
	}
	fmt.Fprintf(w, "%-32s %-32s %s\n", "NAME", "FINGERPRINT", "ADDRESSES")
	for _, h := range hs {
		fmt.Fprintf(w, "%-32s %-32s %s\n", h.Name, h.Fingerprint, strings.Join(h.Addrs, " "))
	}
	fmt.Fprintln(w, "join one with: qkdchat connect --nearby NAME --code CODE (compare the fingerprint with the one the hospital shows)")
	return nil
}
