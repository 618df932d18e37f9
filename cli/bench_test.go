package cli

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"qkdchat/bench"
)

// jsonPaths lists the field names of a JSON document: nested objects as
// "a.b", the elements of an array as "a[].b" (from its first element).
func jsonPaths(t *testing.T, doc string) []string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, doc)
	}
	var out []string
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				out = append(out, prefix+k)
				walk(prefix+k+".", e)
			}
		case []any:
			if len(x) > 0 {
				walk(strings.TrimSuffix(prefix, ".")+"[].", x[0])
			}
		}
	}
	walk("", v)
	sort.Strings(out)
	return out
}

var phaseFields = []string{"prepare", "transmit", "sift", "estimate", "reconcile", "verify", "amplify", "total"}

func prefixed(prefix string, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = prefix + n
	}
	return out
}

// The JSON field names of `qkdchat bench NAME --json` are an interface
// that scripts and the docs rely on: each run prints exactly these.
func TestBenchJSONFields(t *testing.T) {
	for _, c := range []struct {
		args   []string
		fields []string
	}{
		{[]string{"chat", "--n", "20", "--rekeys", "1", "--concurrency", "4", "--rate", "400"}, []string{"peers", "n", "concurrency", "rekeys", "key_bits", "noise",
			"cores", "first_key_ms", "key_establish_ms_p50", "key_establish_ms_max", "key_aborts", "msgs_per_s", "saturated_latency_ms_p50",
			"saturated_latency_ms_p99", "rate_per_s", "latency_ms_p50", "latency_ms_p99", "lost", "duplicated", "rejected", "ledgers_ok",
			"no_ledger_msgs_per_s", "no_ledger_saturated_latency_ms_p99", "no_ledger_latency_ms_p50", "no_ledger_latency_ms_p99",
			"ledger_throughput_ratio", "targets_met"}},
		{[]string{"ledger", "--n", "20", "--writers", "2", "--single", "2", "--proofs", "4", "--per-open", "2", "--payload", "16", "--verify-rounds", "1"},
			[]string{"n", "writers", "single", "tx_bytes", "cores", "appends_per_s", "raw_bbolt_batch_per_s", "batch_ratio", "single_append_us",
				"raw_update_us", "raw_bbolt_update_per_s", "single_ratio", "verify_per_s", "ed25519_verify_per_s", "ed25519_verify_1core_per_s",
				"verify_ratio", "verify_rounds", "verify_ratios", "verify_signatures", "verify_cpu_ratio", "load_avg_1", "prove_size", "prove_per_open",
				"prove_first_us", "prove_us", "prove_gen_us", "prove_check_us", "prove_merkle_us", "prove_warm_us", "prove_path_us", "prove_sigs_us",
				"ledger_size", "verified_ok", "raw_batch_max_delay_ms", "group_commit_max_batch"}},
		{[]string{"workflow", "--n", "3", "--mb", "1", "--runs", "1"}, []string{"n", "mb", "runs", "cores", "queued_msgs_per_s", "queued_latency_ms_p50",
			"direct_msgs_per_s", "direct_latency_ms_p50", "attach_mb_per_s", "direct_mb_per_s"}},
		{[]string{"qkd", "--qubits", "5000", "--abort-qubits", "5000", "--reps", "1", "--runs", "1", "--cascade-bits", "1000"}, slices.Concat(
			[]string{"qubits", "noise", "reps", "cores", "phases_ms", "reference_phases_ms", "sift_speedup", "estimate_speedup", "same_results",
				"abort_qubits", "abort_ms", "abort_qubits_per_s", "reference_abort_ms", "reference_abort_qubits_per_s", "abort_speedup", "runs", "cascade",
				"verify_share", "amplify_over_reconcile", "load_avg_1"},
			prefixed("phases_ms.", phaseFields), prefixed("reference_phases_ms.", phaseFields),
			prefixed("cascade[].", []string{"bits", "qber", "f", "planned_f", "round_trips", "residual_errors", "baseline_f", "baseline_round_trips", "baseline_residual_errors"}))},
	} {
		t.Run(c.args[0], func(t *testing.T) {
			if testing.Short() && (c.args[0] == "chat" || c.args[0] == "workflow") {
				t.Skip("runs nodes")
			}
			code, out, errOut := run(t, append([]string{"bench"}, append(c.args, "--json")...))
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			want := slices.Clone(c.fields)
			sort.Strings(want)
			if got := jsonPaths(t, out); !slices.Equal(got, want) {
				t.Errorf("fields\n got %v\nwant %v", got, want)
			}
		})
	}
	// --data is echoed as dir.
	dir := filepath.Join(t.TempDir(), "ledger")
	code, out, errOut := run(t, []string{"bench", "ledger", "--data", dir, "--n", "4", "--writers", "1", "--single", "1", "--proofs", "2",
		"--per-open", "2", "--payload", "0", "--verify-rounds", "1", "--json"})
	if code != 0 || !slices.Contains(jsonPaths(t, out), "dir") {
		t.Errorf("bench ledger --data: exit %d, no dir field: %s%s", code, out, errOut)
	}
}

func TestBenchBadFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"chat", "--n", "0"}, "--n must be within 1..1000000"},
		{[]string{"chat", "--noise", "0.2"}, "--noise must be within 0 and the abort threshold 0.11"},
		{[]string{"chat", "--peers", "-1"}, "--peers must be within 1..1000"},
		{[]string{"chat", "extra"}, "bench chat takes no arguments"},
		{[]string{"chat", "--rate", "0"}, "--rate must be within 1..1000000 messages/s"},
		{[]string{"chat", "--rate", "NaN"}, "--rate must be within"},
		{[]string{"chat", "--timeout", "0s"}, "--timeout must be positive"},
		{[]string{"ledger", "--verify-rounds", "0"}, "--verify-rounds must be within 1..99"},
		{[]string{"ledger", "--verify-rounds", "100"}, "--verify-rounds must be within 1..99"},
		{[]string{"ledger", "--per-open", "1"}, "--per-open must be at least 2"},
		{[]string{"ledger", "--proofs-only"}, "--proofs-only needs an existing ledger (--data) or --prove-at"},
		{[]string{"ledger", "extra"}, "bench ledger takes no arguments"},
		{[]string{"qkd", "--qubits", "10"}, "--qubits must be within 1000.."},
		{[]string{"qkd", "--qubits", "20000000"}, "--qubits must be within 1000.."},
		{[]string{"qkd", "--noise", "0.2"}, "--noise must be within [0, 0.11)"},
		{[]string{"qkd", "--noise", "NaN"}, "--noise must be within [0, 0.11)"},
		{[]string{"qkd", "--reps", "0"}, "--reps must be within 1..1000"},
		{[]string{"qkd", "--runs", "0"}, "--runs must be within 1..1000"},
		{[]string{"qkd", "--cascade-bits", "10,x"}, `--cascade-bits: "x" is not a key size`},
		{[]string{"qkd", "--cascade-bits", "1000,10"}, "--cascade-bits lists 10, not a key size within 100.."},
		{[]string{"qkd", "extra"}, "bench qkd takes no arguments"},
		{[]string{"workflow", "--mb", "30"}, "--mb must be within 1..25"},
		{[]string{"workflow", "--n", "0"}, "--n must be at least 1"},
		{[]string{"nope"}, `unknown benchmark "nope" (have: chat, ledger, qkd, workflow)`},
		{nil, "name a benchmark"},
	} {
		code, _, errOut := run(t, append([]string{"bench"}, c.args...))
		if code != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("bench %v: exit %d, want 2 and %q in:\n%s", c.args, code, c.want, errOut)
		}
	}
}

func TestBenchHelp(t *testing.T) {
	_, out, errOut := run(t, []string{"help", "bench"})
	for _, name := range []string{"chat", "ledger", "qkd", "workflow"} {
		if !strings.Contains(out+errOut, "\n  "+name+" ") {
			t.Errorf("help bench does not list %s:\n%s%s", name, out, errOut)
		}
	}
	// The ledger benchmark's help documents its fields.
	_, out, errOut = run(t, []string{"bench", "ledger", "--help"})
	for _, field := range []string{"verify_ratio", "verify_cpu_ratio", "ed25519_verify_per_s", "verify_signatures", "--verify-rounds"} {
		if !strings.Contains(out+errOut, field) {
			t.Errorf("bench ledger --help does not mention %s:\n%s%s", field, out, errOut)
		}
	}
}

// The tables name the figures the reports hold.
func TestBenchTables(t *testing.T) {
	code, out, errOut := run(t, []string{"bench", "qkd", "--qubits", "5000", "--abort-qubits", "5000", "--reps", "1", "--runs", "1", "--cascade-bits", "1000"})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, k := range []string{"sift", "estimate", "qubits/s", "Cascade", "same results: true", "verify", "load average"} {
		if !strings.Contains(out, k) {
			t.Errorf("qkd table lacks %q:\n%s", k, out)
		}
	}
	var b bytes.Buffer
	printChatTable(&Env{Stdout: &b}, bench.ChatReport{Peers: 1, N: 10, MsgsPerS: 1234, NoLedgerMsgsPerS: 4321, LedgerCostRatio: 0.2856, RatePerS: 500,
		FirstReject: "bad signature"})
	for _, k := range []string{"1234 msgs/s", "4321 msgs/s", "no node, no ledger", "keep 0.29 of its rate", "at 500 msgs/s offered", "first rejection: bad signature"} {
		if !strings.Contains(b.String(), k) {
			t.Errorf("chat table lacks %q:\n%s", k, b.String())
		}
	}
}
