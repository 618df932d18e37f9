package cli

import (
	"encoding/json"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// The full-verify rate is reported next to a bare Ed25519 baseline of the
// same run: as many signatures, each round's ratio, and the median.
func TestBenchLedgerVerifyBaseline(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "bench")
	code, out, errOut := run(t, []string{"bench", "ledger", "--data", dir, "--n", "40", "--writers", "4", "--single", "4",
		"--proofs", "4", "--per-open", "2", "--payload", "32", "--verify-rounds", "3", "--json"})
	if code != 0 {
		t.Fatalf("bench ledger: %d %s", code, errOut)
	}
	var res ledgerBenchResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("bench output is not JSON: %v\n%s", err, out)
	}
	if res.VerifyRounds != 3 || len(res.VerifyRatios) != 3 {
		t.Fatalf("verify_rounds %d, verify_ratios %v: want 3 rounds", res.VerifyRounds, res.VerifyRatios)
	}
	// One verify checks the 44 transactions' signatures, and as many
	// again as the checkpoints and cosignatures it holds.
	if res.VerifySignatures < 44 || res.LedgerSize != 44 {
		t.Fatalf("verify_signatures %d, ledger_size %d: want >= 44 and 44", res.VerifySignatures, res.LedgerSize)
	}
	if !(res.VerifyPerS > 0 && res.Ed25519VerifyPerS > 0 && res.Ed25519Verify1PerS > 0) {
		t.Fatalf("rates: verify %v, ed25519 %v, 1 core %v", res.VerifyPerS, res.Ed25519VerifyPerS, res.Ed25519Verify1PerS)
	}
	if runtime.GOOS == "linux" && !(res.VerifyCPURatio > 0) {
		t.Errorf("verify_cpu_ratio %v, want a positive ratio on Linux", res.VerifyCPURatio)
	}
	if want := medianF(res.VerifyRatios); res.VerifyRatio != want {
		t.Fatalf("verify_ratio %v is not the median of %v (%v)", res.VerifyRatio, res.VerifyRatios, want)
	}
	for _, args := range [][]string{{"--verify-rounds", "0"}, {"--verify-rounds", "100"}} {
		if code, _, _ := run(t, append([]string{"bench", "ledger"}, args...)); code != 2 {
			t.Fatalf("bench ledger %v: exit %d, want 2", args, code)
		}
	}
	// The help documents the fields.
	_, out, errOut = run(t, []string{"bench", "ledger", "--help"})
	for _, field := range []string{"verify_ratio", "verify_cpu_ratio", "ed25519_verify_per_s", "verify_signatures", "--verify-rounds"} {
		if !strings.Contains(out+errOut, field) {
			t.Errorf("bench ledger --help does not mention %s:\n%s%s", field, out, errOut)
		}
	}
}

func TestMedianF(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{0.9, 0.7, 0.8}, 0.8}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := medianF(c.in); got != c.want {
			t.Errorf("medianF(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}
