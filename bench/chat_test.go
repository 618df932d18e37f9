package bench

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"
)

func chatOptions() ChatOptions {
	// Noise 1%, below the 2% the first exchange is planned for: at 2% a
	// first exchange falls short of its key about once in 50 runs (by
	// design, see qkd.RequiredQubits), which failed this test in CI.
	return ChatOptions{Peers: 1, N: 60, Concurrency: 8, Rekeys: 3, KeyBits: 256, Noise: 0.01, RekeyMessages: 1000, Rate: 500}
}

// TestChatReport runs the four rounds small and checks that every figure
// is measured, the baseline included, and that the ratio and the targets
// verdict are computed from the measured figures.
func TestChatReport(t *testing.T) {
	if testing.Short() {
		t.Skip("runs BB84 sessions between nodes")
	}
	o := chatOptions()
	r, err := Chat(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if r.N != 60 || r.Peers != 1 || r.Rekeys != 3 || r.KeyBits != 256 || r.Noise != 0.01 || r.RatePerS != 500 || r.Concurrency != 8 || r.Cores < 1 {
		t.Errorf("parameters echoed wrong: %+v", r)
	}
	if r.Lost != 0 || r.Duplicated != 0 || r.Rejected != 0 || !r.LedgersOK || !r.Intact() {
		t.Errorf("lost %d duplicated %d rejected %d (%q) ledgers ok %v", r.Lost, r.Duplicated, r.Rejected, r.FirstReject, r.LedgersOK)
	}
	if r.KeyEstablishMSP50 <= 0 || r.KeyEstablishMSMax < r.KeyEstablishMSP50 || r.KeyAborts != 0 || r.FirstKeyMS <= 0 {
		t.Errorf("key establishment: first %v, p50 %v max %v aborts %d", r.FirstKeyMS, r.KeyEstablishMSP50, r.KeyEstablishMSMax, r.KeyAborts)
	}
	for name, v := range map[string]float64{"msgs_per_s": r.MsgsPerS, "latency p50": r.LatencyMSP50, "saturated p50": r.SaturatedLatencyMSP50,
		"no_ledger_msgs_per_s": r.NoLedgerMsgsPerS, "no_ledger p50": r.NoLedgerLatencyMSP50, "no_ledger saturated p99": r.NoLedgerSaturatedLatencyMSP99} {
		if !(v > 0) {
			t.Errorf("%s = %v", name, v)
		}
	}
	if r.LatencyMSP99 < r.LatencyMSP50 || r.NoLedgerLatencyMSP99 < r.NoLedgerLatencyMSP50 || r.SaturatedLatencyMSP99 < r.SaturatedLatencyMSP50 {
		t.Errorf("p99 below p50: %+v", r)
	}
	if r.LedgerCostRatio != r.MsgsPerS/r.NoLedgerMsgsPerS {
		t.Errorf("ledger_throughput_ratio %v, want msgs_per_s / no_ledger_msgs_per_s = %v", r.LedgerCostRatio, r.MsgsPerS/r.NoLedgerMsgsPerS)
	}
	met := r.KeyEstablishMSP50 <= TargetKeyMS && r.MsgsPerS >= TargetMsgsPerS && r.LatencyMSP99 <= TargetLatencyMS
	if r.TargetsMet != met {
		t.Errorf("targets_met %v, but the figures say %v: %+v", r.TargetsMet, met, r)
	}
	t.Logf("nodes %.0f msgs/s, baseline %.0f msgs/s, ratio %.2f", r.MsgsPerS, r.NoLedgerMsgsPerS, r.LedgerCostRatio)
}

// TestChatNoisyLinkRekeys: a 5% noise makes every key. The noise is the
// link's calibration, which the first exchange is planned for, and the
// rekeys follow the QBER measured; planning from a fixed 2% aborted them
// all for lack of key.
func TestChatNoisyLinkRekeys(t *testing.T) {
	if testing.Short() {
		t.Skip("runs BB84 sessions between nodes")
	}
	o := chatOptions()
	o.Noise, o.N, o.Rekeys, o.Concurrency, o.Rate = 0.05, 20, 4, 4, 400
	r, err := Chat(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if r.Noise != 0.05 || r.KeyAborts != 0 || r.FirstAbort != "" || r.KeyEstablishMSP50 <= 0 || r.FirstKeyMS <= 0 {
		t.Errorf("at 5%% noise: %d of %d rekeys aborted (%q), first key %v ms, p50 %v ms", r.KeyAborts, r.Rekeys, r.FirstAbort, r.FirstKeyMS, r.KeyEstablishMSP50)
	}
}

// The baseline carries the whole stream of several peers, closed and open
// loop, and times every message.
func TestSealedRound(t *testing.T) {
	for _, cfg := range []streamConfig{{peers: 2, n: 30, conc: 4}, {peers: 2, n: 30, rate: 600}} {
		r, err := runSealedRound(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if r.lost != 0 || r.duplicated != 0 || r.rejected != 0 || len(r.latency) != 60 || r.elapsed <= 0 {
			t.Errorf("%+v: lost %d dup %d rejected %d (%q), %d latencies, elapsed %v", cfg, r.lost, r.duplicated, r.rejected, r.firstRej, len(r.latency), r.elapsed)
		}
		if cfg.rate > 0 && r.elapsed < 29*time.Second/600 {
			t.Errorf("open loop at 600/s over 2 peers finished 30 messages each in %v, before the last was due", r.elapsed)
		}
	}
}

func TestChatOptionsValidate(t *testing.T) {
	if err := chatOptions().Validate(); err != nil {
		t.Fatalf("good options: %v", err)
	}
	for _, c := range []struct {
		option string
		change func(*ChatOptions)
	}{
		{"n", func(o *ChatOptions) { o.N = 0 }},
		{"peers", func(o *ChatOptions) { o.Peers = -1 }},
		{"concurrency", func(o *ChatOptions) { o.Concurrency = 1025 }},
		{"rekeys", func(o *ChatOptions) { o.Rekeys = -1 }},
		{"key-bits", func(o *ChatOptions) { o.KeyBits = 4 }},
		{"noise", func(o *ChatOptions) { o.Noise = 0.2 }},
		{"rekey-messages", func(o *ChatOptions) { o.RekeyMessages = 0 }},
		{"rate", func(o *ChatOptions) { o.Rate = 0 }},
		{"rate", func(o *ChatOptions) { o.Rate = math.NaN() }},
	} {
		o := chatOptions()
		c.change(&o)
		var oe *OptionError
		if err := o.Validate(); !errors.As(err, &oe) || oe.Option != c.option {
			t.Errorf("%+v: %v, want an OptionError for %s", o, err, c.option)
		}
		if _, err := Chat(context.Background(), o); !errors.As(err, &oe) {
			t.Errorf("Chat ran with %+v: %v", o, err)
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
	if p, i, ok := parseStreamText(streamText(3, 17), 4, 20); !ok || p != 3 || i != 17 {
		t.Errorf("parseStreamText = %d %d %v", p, i, ok)
	}
	for _, s := range []string{"bench 4 1", "bench 1 20", "bench x 1", "hello", "bench 1"} {
		if _, _, ok := parseStreamText(s, 4, 20); ok {
			t.Errorf("parseStreamText(%q) accepted", s)
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
