package bench

import (
	"context"
	"errors"
	"path/filepath"
	"runtime"
	"testing"
)

func ledgerOptions(dir string) LedgerOptions {
	return LedgerOptions{Dir: dir, N: 40, Writers: 4, Single: 4, Payload: 32, Proofs: 4, PerOpen: 2, VerifyRounds: 3}
}

// The full-verify rate is reported next to a bare Ed25519 baseline of the
// same run: as many signatures, each round's ratio, and the median; the
// append ratios are computed from the measured rates.
func TestLedgerReport(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "bench")
	res, err := Ledger(context.Background(), ledgerOptions(dir))
	if err != nil {
		t.Fatal(err)
	}
	if res.Dir != dir || res.N != 40 || res.Writers != 4 || res.Single != 4 || res.TxBytes <= 32 || !res.VerifiedOK {
		t.Errorf("parameters or verdict wrong: %+v", res)
	}
	if res.VerifyRounds != 3 || len(res.VerifyRatios) != 3 {
		t.Fatalf("verify_rounds %d, verify_ratios %v: want 3 rounds", res.VerifyRounds, res.VerifyRatios)
	}
	// One verify checks the 44 transactions' signatures, and as many
	// again as the checkpoints and cosignatures it holds.
	if res.VerifySignatures < 44 || res.LedgerSize != 44 || res.ProveSize != 44 {
		t.Fatalf("verify_signatures %d, ledger_size %d, prove_size %d: want >= 44 and 44", res.VerifySignatures, res.LedgerSize, res.ProveSize)
	}
	for name, v := range map[string]float64{"appends_per_s": res.AppendsPerS, "raw_bbolt_batch_per_s": res.RawBboltBatchPerS,
		"single_append_us": res.SingleAppendUS, "raw_update_us": res.RawUpdateUS, "verify_per_s": res.VerifyPerS,
		"ed25519_verify_per_s": res.Ed25519VerifyPerS, "ed25519_verify_1core_per_s": res.Ed25519Verify1PerS,
		"prove_gen_us": res.ProveGenUS, "prove_first_us": res.ProveFirstUS, "prove_check_us": res.ProveCheckUS} {
		if !(v > 0) {
			t.Errorf("%s = %v", name, v)
		}
	}
	if runtime.GOOS == "linux" && !(res.VerifyCPURatio > 0) {
		t.Errorf("verify_cpu_ratio %v, want a positive ratio on Linux", res.VerifyCPURatio)
	}
	if want := median(res.VerifyRatios); res.VerifyRatio != want {
		t.Errorf("verify_ratio %v is not the median of %v (%v)", res.VerifyRatio, res.VerifyRatios, want)
	}
	if res.BatchRatio != res.AppendsPerS/res.RawBboltBatchPerS || res.SingleRatio != res.SingleAppendUS/res.RawUpdateUS ||
		res.RawBboltUpdatePerS != 1e6/res.RawUpdateUS {
		t.Errorf("ratios not computed from the rates: %+v", res)
	}

	// Proofs only, on the ledger just left in dir.
	o := ledgerOptions(dir)
	o.ProofsOnly = true
	res, err = Ledger(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if res.N != 0 || res.AppendsPerS != 0 || res.VerifyPerS != 0 || res.ProveSize != 44 || !(res.ProveMerkleUS > 0) {
		t.Errorf("proofs only: %+v", res)
	}
}

func TestLedgerOptionsValidate(t *testing.T) {
	for _, c := range []struct {
		option string
		change func(*LedgerOptions)
	}{
		{"verify-rounds", func(o *LedgerOptions) { o.VerifyRounds = 0 }},
		{"verify-rounds", func(o *LedgerOptions) { o.VerifyRounds = 100 }},
		{"n", func(o *LedgerOptions) { o.N = 0 }},
		{"writers", func(o *LedgerOptions) { o.Writers = 2000 }},
		{"payload", func(o *LedgerOptions) { o.Payload = -1 }},
		{"prove-at", func(o *LedgerOptions) { o.ProveAt = -1 }},
		{"proofs", func(o *LedgerOptions) { o.Proofs = 1 }},
		{"per-open", func(o *LedgerOptions) { o.PerOpen = 1 }},
		{"proofs-only", func(o *LedgerOptions) { o.Dir, o.ProofsOnly = "", true }},
	} {
		o := ledgerOptions(t.TempDir())
		c.change(&o)
		var oe *OptionError
		if _, err := Ledger(context.Background(), o); !errors.As(err, &oe) || oe.Option != c.option {
			t.Errorf("%+v: %v, want an OptionError for %s", o, err, c.option)
		}
	}
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{0.9, 0.7, 0.8}, 0.8}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := median(c.in); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}
