package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestBenchChatJSON(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two BB84 sessions")
	}
	var out, errOut bytes.Buffer
	env := &Env{Stdout: &out, Stderr: &errOut}
	code := Main(context.Background(), env, []string{"bench", "chat", "--n", "60", "--rekeys", "3", "--concurrency", "8", "--rate", "500", "--json"})
	// The targets depend on the machine; the exit code only on loss,
	// duplication and ledger verification.
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var r chatBenchResult
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if r.N != 60 || r.Peers != 1 || r.Rekeys != 3 || r.KeyBits != 256 || r.Noise != 0.02 || r.RatePerS != 500 || r.Concurrency != 8 {
		t.Errorf("parameters echoed wrong: %+v", r)
	}
	if r.Lost != 0 || r.Duplicated != 0 || r.Rejected != 0 || !r.LedgersOK {
		t.Errorf("lost %d duplicated %d rejected %d ledgers ok %v", r.Lost, r.Duplicated, r.Rejected, r.LedgersOK)
	}
	if r.KeyEstablishMSP50 <= 0 || r.KeyEstablishMSMax < r.KeyEstablishMSP50 || r.KeyAborts != 0 {
		t.Errorf("key establishment p50 %v max %v aborts %d", r.KeyEstablishMSP50, r.KeyEstablishMSMax, r.KeyAborts)
	}
	for name, v := range map[string]float64{"msgs_per_s": r.MsgsPerS, "latency p50": r.LatencyMSP50, "saturated p50": r.SaturatedLatencyMSP50,
		"no_ledger_msgs_per_s": r.NoLedgerMsgsPerS, "no_ledger p50": r.NoLedgerLatencyMSP50} {
		if v <= 0 {
			t.Errorf("%s = %v", name, v)
		}
	}
	if r.LatencyMSP99 < r.LatencyMSP50 || r.NoLedgerLatencyMSP99 < r.NoLedgerLatencyMSP50 || r.SaturatedLatencyMSP99 < r.SaturatedLatencyMSP50 {
		t.Errorf("p99 below p50: %+v", r)
	}
	for _, k := range []string{`"key_establish_ms_p50"`, `"msgs_per_s"`, `"latency_ms_p50"`, `"latency_ms_p99"`, `"no_ledger_msgs_per_s"`, `"rate_per_s"`, `"saturated_latency_ms_p99"`} {
		if !strings.Contains(out.String(), k) {
			t.Errorf("JSON lacks %s", k)
		}
	}
}

func TestBenchChatBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"bench", "chat", "--n", "0"},
		{"bench", "chat", "--noise", "0.2"},
		{"bench", "chat", "--peers", "-1"},
		{"bench", "chat", "extra"},
		{"bench", "chat", "--rate", "0"},
		{"bench", "chat", "--rate", "NaN"},
	} {
		var out, errOut bytes.Buffer
		if code := Main(context.Background(), &Env{Stdout: &out, Stderr: &errOut}, args); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, errOut.String())
		}
	}
}

func TestQuantile(t *testing.T) {
	var d []time.Duration
	for i := 100; i >= 1; i-- {
		d = append(d, time.Duration(i))
	}
	if q := quantile(d, 0.5); q != 50 {
		t.Errorf("median of 1..100 = %d", q)
	}
	if q := quantile(d, 0.99); q != 99 {
		t.Errorf("p99 of 1..100 = %d", q)
	}
	if q := quantile(d[:1], 0.99); q != 100 {
		t.Errorf("p99 of one = %d", q)
	}
	if q := quantile(nil, 0.5); q != 0 {
		t.Errorf("quantile of none = %d", q)
	}
	if p, i, ok := parseBenchText(benchText(3, 17), 4, 20); !ok || p != 3 || i != 17 {
		t.Errorf("parseBenchText = %d %d %v", p, i, ok)
	}
	for _, s := range []string{"bench 4 1", "bench 1 20", "bench x 1", "hello", "bench 1"} {
		if _, _, ok := parseBenchText(s, 4, 20); ok {
			t.Errorf("parseBenchText(%q) accepted", s)
		}
	}
}

// TestPaceSends checks the open loop's schedule: every message once, in
// order, each due 1/rate after the one before, and never called early.
func TestPaceSends(t *testing.T) {
	begin := time.Now()
	var got []int
	var dues []time.Time
	paceSends(context.Background(), begin, 1000, 20, func(i int, due time.Time) {
		if now := time.Now(); now.Before(due) {
			t.Errorf("message %d sent %v before it was due", i, due.Sub(now))
		}
		got = append(got, i)
		dues = append(dues, due)
	})
	if len(got) != 20 {
		t.Fatalf("%d messages paced, want 20", len(got))
	}
	for i := range got {
		if got[i] != i || !dues[i].Equal(begin.Add(time.Duration(i)*time.Millisecond)) {
			t.Fatalf("message %d: index %d due %v after begin", i, got[i], dues[i].Sub(begin))
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	n := 0
	paceSends(ctx, time.Now(), 1, 5, func(int, time.Time) { n++ })
	if n != 1 {
		t.Errorf("a cancelled pace sent %d messages, want only the one due at once", n)
	}
}
