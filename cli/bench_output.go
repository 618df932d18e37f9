package cli

import (
	"fmt"
	"strings"

	"qkdchat/bench"
)

// What `qkdchat bench NAME` prints: the tables shown without --json, and
// the help that names the JSON fields.

func printChatTable(env *Env, res bench.ChatReport) {
	w := env.Stdout
	fmt.Fprintf(w, "chat benchmark: %d peer(s) x %d messages, %d concurrent sends per peer, loopback TCP, %d cores\n", res.Peers, res.N, res.Concurrency, res.Cores)
	fmt.Fprintf(w, "  first key (connect, pairing, BB84): %8.1f ms\n", res.FirstKeyMS)
	fmt.Fprintf(w, "  rekey, %d-bit key at %.0f%% noise:  %8.1f ms median over %d, max %.1f ms, %d aborted (target <= %d ms)\n",
		res.KeyBits, res.Noise*100, res.KeyEstablishMSP50, res.Rekeys, res.KeyEstablishMSMax, res.KeyAborts, bench.TargetKeyMS)
	fmt.Fprintf(w, "  nodes (ledger on): %8.0f msgs/s with %d in flight per peer (latency p50 %6.2f ms, p99 %6.2f ms)  (target >= %d msgs/s)\n",
		res.MsgsPerS, res.Concurrency, res.SaturatedLatencyMSP50, res.SaturatedLatencyMSP99, bench.TargetMsgsPerS)
	fmt.Fprintf(w, "                     at %.0f msgs/s offered: latency p50 %6.2f ms, p99 %6.2f ms  (target p99 <= %d ms)\n",
		res.RatePerS, res.LatencyMSP50, res.LatencyMSP99, bench.TargetLatencyMS)
	fmt.Fprintf(w, "  baseline:          %8.0f msgs/s with %d in flight per peer (latency p99 %6.2f ms); at %.0f msgs/s offered: p50 %6.2f ms, p99 %6.2f ms\n",
		res.NoLedgerMsgsPerS, res.Concurrency, res.NoLedgerSaturatedLatencyMSP99, res.RatePerS, res.NoLedgerLatencyMSP50, res.NoLedgerLatencyMSP99)
	fmt.Fprintf(w, "                     (the same sealed, signed messages over bare transport sessions: no node, no ledger, no BB84); nodes keep %.2f of its rate\n",
		res.LedgerCostRatio)
	fmt.Fprintf(w, "  lost %d, duplicated %d, rejected %d, ledgers verify: %v\n", res.Lost, res.Duplicated, res.Rejected, res.LedgersOK)
	if res.FirstAbort != "" {
		fmt.Fprintf(w, "  first aborted rekey: %s\n", res.FirstAbort)
	}
	if res.FirstReject != "" {
		fmt.Fprintf(w, "  first rejection: %s\n", res.FirstReject)
	}
}

func printLedgerTable(env *Env, res bench.LedgerReport, proofsOnly bool) {
	w := env.Stdout
	if !proofsOnly {
		fmt.Fprintf(w, "ledger benchmark: %d-byte transactions, %d cores\n", res.TxBytes, res.Cores)
		fmt.Fprintf(w, "  appends (%d writers):   %10.0f /s   raw bbolt Batch %10.0f /s   ratio %.2f (target >= 0.7)\n", res.Writers, res.AppendsPerS, res.RawBboltBatchPerS, res.BatchRatio)
		fmt.Fprintf(w, "  one writer, per append: %10.0f us   raw bbolt Update %9.0f us   ratio %.2f (target <= 1.3)\n", res.SingleAppendUS, res.RawUpdateUS, res.SingleRatio)
		fmt.Fprintf(w, "  full verify:            %10.0f /s   bare ed25519     %10.0f /s   ratio %.2f (target >= 0.9; median of %d rounds %s)\n", res.VerifyPerS, res.Ed25519VerifyPerS, res.VerifyRatio, res.VerifyRounds, fmtRatios(res.VerifyRatios))
		fmt.Fprintf(w, "                          CPU-time ratio %.2f, %d signatures per verify, bare ed25519 on 1 core %.0f /s, load average %.2f\n", res.VerifyCPURatio, res.VerifySignatures, res.Ed25519Verify1PerS, res.LoadAvg1)
	}
	fmt.Fprintf(w, "  proofs at %d transactions, medians, %d proofs after each fresh Open:\n", res.ProveSize, res.ProvePerOpen)
	fmt.Fprintf(w, "    prove + Merkle path check: %8.1f us (target <= 100 us; prove %.1f us, path check %.1f us)\n", res.ProveMerkleUS, res.ProveGenUS, res.ProvePathCheckUS)
	fmt.Fprintf(w, "    prove + VerifyInclusion:   %8.1f us (VerifyInclusion %.1f us, of which signatures and decoding %.1f us)\n", res.ProveUS, res.ProveCheckUS, res.ProveSigChecksUS)
	fmt.Fprintf(w, "    same proof again + path:   %8.1f us\n", res.ProveWarmUS)
	fmt.Fprintf(w, "    first proof after Open:    %8.1f us (loads the cached upper tree levels)\n", res.ProveFirstUS)
	if res.Dir != "" {
		fmt.Fprintf(w, "  ledger left in %s (%d transactions): qkdchat ledger verify --data %s\n", res.Dir, res.LedgerSize, res.Dir)
	}
}

func printQKDTable(env *Env, res bench.QKDReport) {
	w := env.Stdout
	fmt.Fprintf(w, "BB84 pipeline, %d qubits at %.3g noise, medians of %d runs (ms), packed vs reference:\n", res.Qubits, res.Noise, res.Reps)
	p, r := res.PhasesMS, res.ReferencePhasesMS
	for _, row := range []struct {
		name string
		a, b float64
	}{{"prepare", p.Prepare, r.Prepare}, {"transmit", p.Transmit, r.Transmit}, {"sift", p.Sift, r.Sift}, {"estimate", p.Estimate, r.Estimate},
		{"reconcile", p.Reconcile, r.Reconcile}, {"verify", p.Verify, r.Verify}, {"amplify", p.Amplify, r.Amplify}, {"total", p.Total, r.Total}} {
		fmt.Fprintf(w, "  %-10s %10.2f %10.2f\n", row.name, row.a, row.b)
	}
	fmt.Fprintf(w, "  same results: %v; verify %.1f%% of the total (target < 2%%), amplify/reconcile %.2f (target <= 1), load average %.2f\n",
		res.SameResults, 100*res.VerifyShare, res.AmplifyOverReconcile, res.LoadAvg1)
	fmt.Fprintf(w, "to the abort (%d qubits, Eve on every photon): %.3g qubits/s (%.1f ms), reference %.3g qubits/s (%.1f ms), speedup %.1f (target >= %.0g qubits/s)\n",
		res.AbortQubits, res.AbortQubitsPerS, res.AbortMS, res.ReferenceAbortQubitsPerS, res.ReferenceAbortMS, res.AbortSpeedup, bench.TargetAbortQubitsPerS)
	fmt.Fprintf(w, "Cascade, means of %d trials (baseline: the release before's Bob, same keys):\n  %8s %6s %7s %9s %11s %8s %10s %12s\n", res.Runs, "bits", "QBER", "f", "planned f", "round trips", "residual", "baseline f", "baseline RT")
	for _, c := range res.Cascade {
		fmt.Fprintf(w, "  %8d %5.0f%% %7.3f %9.3f %11.1f %8d %10.3f %12.1f\n", c.Bits, 100*c.QBER, c.F, c.PlannedF, c.RoundTrips, c.Residual, c.BaselineF, c.BaselineRoundTrips)
	}
}

func printWorkflowTable(env *Env, res bench.WorkflowReport) {
	w := env.Stdout
	fmt.Fprintf(w, "workflow delivery on loopback, %d cores\n", res.Cores)
	fmt.Fprintf(w, "  queued messages (outbox, exactly once): %8.0f msg/s, latency %6.1f ms median (%d messages)\n", res.QueuedMsgsPerS, res.QueuedLatencyMSP50, res.N)
	fmt.Fprintf(w, "  baseline, direct Session.Send:          %8.0f msg/s, latency %6.1f ms median\n", res.DirectMsgsPerS, res.DirectLatencyMSP50)
	fmt.Fprintf(w, "  %d MB attachment (chunked, acked, hash-checked): %6.1f MB/s median of %d\n", res.MB, res.AttachMBPerS, res.Runs)
	fmt.Fprintf(w, "  baseline, same bytes as direct chat messages:    %6.1f MB/s\n", res.DirectMBPerS)
}

func fmtRatios(v []float64) string {
	var b strings.Builder
	for i, x := range v {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%.2f", x)
	}
	return b.String()
}

const benchLedgerHelp = `
Output (--json field names in brackets):
  appends        durable appends per second by --writers [appends_per_s] against
                 raw bbolt DB.Batch puts of the same size [raw_bbolt_batch_per_s]
  one writer     median append latency [single_append_us] against one raw
                 DB.Update [raw_update_us]
  full verify    transactions per second of a full Ledger.Verify of the ledger,
                 closed and reopened [verify_per_s]: every signature, the whole
                 Merkle tree against the stored hashes, every block and every
                 checkpoint; against bare ed25519.Verify of as many signatures
                 (the transactions' own signed messages, so the same sizes) on
                 GOMAXPROCS goroutines, rated per transaction
                 [ed25519_verify_per_s]. The two alternate over
                 --verify-rounds rounds; the medians are reported, and
                 [verify_ratio] is the median of the rounds' ratios
                 [verify_ratios] (target >= 0.9). [verify_signatures] is the
                 signatures one verify checks, [load_avg_1] the load average
                 before the rounds: on a busy machine the ratio is noisy.
                 [verify_cpu_ratio] (Unix) is the bare checks' CPU time over
                 the full verifies' CPU time in all rounds: the work ratio,
                 which other processes' load sways much less.
  proofs         inclusion proof times after fresh Opens [prove_*_us]
`
