package cli

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// benchRunner runs one `qkdchat bench NAME` benchmark with its own flags.
type benchRunner struct {
	summary string
	run     func(ctx context.Context, env *Env, args []string) error
}

// benchmarks lists the benchmarks of `qkdchat bench`. Each one measures its
// own baseline in the same run, so results compare like with like.
func benchmarks() map[string]benchRunner {
	return map[string]benchRunner{
		"chat":     {summary: "key establishment, message rate and latency between peers on loopback, ledger on vs off", run: runBenchChat},
		"qkd":      {summary: "BB84 phase times and qubits/s to an abort vs the reference pipeline, Cascade efficiency", run: runBenchQKD},
		"ledger":   {summary: "durable appends, full verify and proofs of the ledger vs raw bbolt and Ed25519", run: runBenchLedger},
		"workflow": {summary: "outbox delivery and attachment transfer vs the direct chat path", run: runBenchWorkflow},
	}
}

func runBench(ctx context.Context, env *Env, args []string) error {
	all := benchmarks()
	names := make([]string, 0, len(all))
	for n := range all {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		var b strings.Builder
		b.WriteString("Usage: qkdchat bench NAME [flags]\n\nBenchmarks:\n")
		for _, n := range names {
			fmt.Fprintf(&b, "  %-8s %s\n", n, all[n].summary)
		}
		if len(args) == 0 {
			return Usagef("name a benchmark\n%s", b.String())
		}
		fmt.Fprint(env.Stderr, b.String())
		return nil
	}
	r, ok := all[args[0]]
	if !ok {
		return Usagef("unknown benchmark %q (have: %s)", args[0], strings.Join(names, ", "))
	}
	return r.run(ctx, env, args[1:])
}
