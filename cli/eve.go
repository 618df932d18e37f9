package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"qkdchat/node"
)

func runEve(ctx context.Context, env *Env, args []string) error {
	fs := NewFlagSet(env, "eve", "")
	listen := fs.String("listen", "127.0.0.1:7451", "address the victim connects to")
	forward := fs.String("forward", "", "address of the real listener (required)")
	intercept := fs.Float64("intercept", 1, "fraction of photons to intercept and resend (0-1)")
	seed := fs.Int64("seed", -1, "seed for Eve's basis choices (-1: random)")
	jsonOut := fs.Bool("json", false, "print JSON lines")
	if err := Parse(fs, args); err != nil {
		return err
	}
	if *forward == "" {
		return Usagef("--forward is required")
	}
	if *intercept < 0 || *intercept > 1 {
		return Usagef("--intercept must be between 0 and 1, not %g", *intercept)
	}
	opts := node.EveOptions{Listen: *listen, Forward: *forward, Intercept: *intercept}
	if *seed >= 0 {
		s := uint64(*seed)
		opts.Seed = &s
	}
	eve, err := node.NewEve(opts)
	if err != nil {
		return err
	}
	print := func(kind string, st node.EveStats) {
		if *jsonOut {
			b, _ := json.Marshal(struct {
				Type string    `json:"type"`
				Time time.Time `json:"time"`
				node.EveStats
			}{kind, time.Now(), st})
			fmt.Fprintln(env.Stdout, string(b))
			return
		}
		fmt.Fprintf(env.Stdout, "eve: %d photons seen, %d intercepted and resent, %d measured in the right basis (%d quantum links, %d TLS connections relayed unread)\n",
			st.Photons, st.Intercepted, st.BasisMatched, st.Links, st.Relayed)
	}
	if *jsonOut {
		b, _ := json.Marshal(map[string]any{"type": "eve_listening", "time": time.Now(), "addr": eve.Addr().String(), "forward": *forward, "intercept": *intercept})
		fmt.Fprintln(env.Stdout, string(b))
	} else {
		fmt.Fprintf(env.Stdout, "eve: listening on %s, forwarding to %s, intercepting %.0f%% of photons\n", eve.Addr(), *forward, *intercept*100)
	}
	done := make(chan error, 1)
	go func() { done <- eve.Serve(ctx) }()
	// Report at most twice a second, so a 10,000-photon exchange prints a
	// line or two rather than hundreds.
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	var last, shown node.EveStats
	for {
		select {
		case st := <-eve.Updates():
			last = st
		case <-tick.C:
			if last != shown {
				print("eve_measured", last)
				shown = last
			}
		case err := <-done:
			print("eve_summary", eve.Stats())
			return err
		}
	}
}
