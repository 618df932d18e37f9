package cli

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"qkdchat/bench"
)

// benchRunner runs one `qkdchat bench NAME` benchmark with its own flags.
type benchRunner struct {
	summary string
	run     func(ctx context.Context, env *Env, args []string) error
}

// benchmarks lists the benchmarks of `qkdchat bench`. Each one measures its
// own baseline in the same run, so results compare like with like; the
// measuring is package bench's, this file parses flags and prints.
func benchmarks() map[string]benchRunner {
	return map[string]benchRunner{
		"chat":     {summary: "key establishment, message rate and latency between nodes on loopback vs the same sealed stream over bare transport", run: runBenchChat},
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

// benchUsage turns a benchmark's complaint about an option into a usage
// error naming its flag; other errors pass through.
func benchUsage(err error) error {
	if oe, ok := errors.AsType[*bench.OptionError](err); ok {
		return Usagef("--%s %s", oe.Option, oe.Problem)
	}
	return err
}

func runBenchChat(ctx context.Context, env *Env, args []string) error {
	fs := NewFlagSet(env, "bench chat", "")
	var o bench.ChatOptions
	fs.IntVar(&o.N, "n", 2000, "messages each peer sends")
	fs.IntVar(&o.Peers, "peers", 1, "peers connecting to the one listener")
	fs.IntVar(&o.Concurrency, "concurrency", 64, "messages in flight per peer: senders that each wait for their last message to arrive")
	fs.IntVar(&o.Rekeys, "rekeys", 20, "on-demand rekeys to time (on the first peer's session)")
	fs.IntVar(&o.KeyBits, "key-bits", 256, "BB84 final key length in bits")
	fs.Float64Var(&o.Noise, "noise", 0.02, "simulated channel error rate; also the link calibration the first exchange is planned for (rekeys follow the measured QBER)")
	fs.IntVar(&o.RekeyMessages, "rekey-messages", 1000, "rekey after this many messages, as in a real session")
	fs.Float64Var(&o.Rate, "rate", bench.TargetMsgsPerS, "offered load, messages/s over all peers, at which to measure latency")
	timeout := fs.Duration("timeout", 5*time.Minute, "give up after this long")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := Parse(fs, args); err != nil {
		return err
	}
	switch {
	case fs.NArg() != 0:
		return Usagef("bench chat takes no arguments")
	case *timeout <= 0:
		return Usagef("--timeout must be positive")
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	res, err := bench.Chat(ctx, o)
	if err != nil {
		return benchUsage(err)
	}
	if *asJSON {
		err = printJSON(env.Stdout, res)
	} else {
		printChatTable(env, res)
	}
	if err == nil && !res.Intact() {
		err = &ExitError{Code: 1, Err: fmt.Errorf("messages lost (%d) or duplicated (%d), or a ledger does not verify", res.Lost, res.Duplicated)}
	}
	return err
}

func runBenchLedger(ctx context.Context, env *Env, args []string) error {
	fs := NewFlagSet(env, "bench ledger", "")
	var o bench.LedgerOptions
	fs.StringVar(&o.Dir, "data", "", "data directory to build the ledger in and leave it (default: a temporary directory, removed)")
	fs.IntVar(&o.N, "n", 20000, "transactions appended by the concurrent writers")
	fs.IntVar(&o.Writers, "writers", 16, "concurrent writers")
	fs.IntVar(&o.Single, "single", 300, "transactions appended by a lone writer (and raw bbolt updates)")
	fs.IntVar(&o.Payload, "payload", 256, "plaintext bytes per message (encrypted into a Fernet token)")
	fs.Int64Var(&o.ProveAt, "prove-at", 0, "grow the ledger to this many transactions (untimed, without fsync) before timing proofs")
	fs.IntVar(&o.Proofs, "proofs", 1000, "inclusion proofs to time")
	fs.IntVar(&o.PerOpen, "per-open", 50, "proofs timed after each fresh Open of the ledger")
	fs.IntVar(&o.VerifyRounds, "verify-rounds", 5, "rounds of full verify vs bare Ed25519; the medians are reported")
	fs.BoolVar(&o.ProofsOnly, "proofs-only", false, "only time proofs: on the ledger in --data as it is (grown to --prove-at), without the append and verify measurements")
	asJSON := fs.Bool("json", false, "print JSON")
	usage := fs.Usage
	fs.Usage = func() {
		usage()
		fmt.Fprint(fs.Output(), benchLedgerHelp)
	}
	if err := Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return Usagef("bench ledger takes no arguments")
	}
	res, err := bench.Ledger(ctx, o)
	if err != nil {
		return benchUsage(err)
	}
	if *asJSON {
		return printJSON(env.Stdout, res)
	}
	printLedgerTable(env, res, o.ProofsOnly)
	return nil
}

func runBenchQKD(ctx context.Context, env *Env, args []string) error {
	fs := NewFlagSet(env, "bench qkd", "")
	var o bench.QKDOptions
	fs.IntVar(&o.Qubits, "qubits", 1_000_000, "photons per run of the phase timings")
	fs.Float64Var(&o.Noise, "noise", 0.02, "channel error rate of the phase timings, in [0,0.11)")
	fs.IntVar(&o.AbortQubits, "abort-qubits", 8_000_000, "photons of the run timed to its QBER abort (intercept-resend on every photon)")
	fs.IntVar(&o.Reps, "reps", 7, "runs of each pipeline per timing; the figures are medians")
	fs.IntVar(&o.Runs, "runs", 5, "seeded Cascade trials per key size and QBER")
	cascadeBits := fs.String("cascade-bits", "10000,100000", "comma-separated key sizes of the Cascade trials")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return Usagef("bench qkd takes no arguments")
	}
	var err error
	if o.CascadeBits, err = parseSizes(*cascadeBits); err != nil {
		return err
	}
	res, err := bench.QKD(ctx, o)
	if err != nil {
		return benchUsage(err)
	}
	if *asJSON {
		return printJSON(env.Stdout, res)
	}
	printQKDTable(env, res)
	return nil
}

// parseSizes parses --cascade-bits; bench.QKD checks the sizes' range.
func parseSizes(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, Usagef("--cascade-bits: %q is not a key size", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func runBenchWorkflow(ctx context.Context, env *Env, args []string) error {
	fs := NewFlagSet(env, "bench workflow", "")
	var o bench.WorkflowOptions
	fs.IntVar(&o.N, "n", 200, "messages per mode")
	fs.IntVar(&o.MB, "mb", 8, "attachment size in MB (at most 25)")
	fs.IntVar(&o.Runs, "runs", 3, "attachment runs; the median is reported")
	jsonOut := fs.Bool("json", false, "print the result as JSON")
	if err := Parse(fs, args); err != nil {
		return err
	}
	res, err := bench.Workflow(ctx, o)
	if err != nil {
		return benchUsage(err)
	}
	if *jsonOut {
		return printJSON(env.Stdout, res)
	}
	printWorkflowTable(env, res)
	return nil
}
