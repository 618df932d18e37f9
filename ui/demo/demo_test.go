package demo

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"qkdchat/ui"
)

// eventually polls cond under the UI lock until it holds, or fails.
func eventually(t *testing.T, th *ui.Thread, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(40 * time.Second)
	for {
		var ok bool
		th.Run(func() { ok = cond() })
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestDemoEveCaughtAboveThreshold runs the real demo headless: a first
// key with Eve idle, then Eve's slider at 100% and Re-key: the QBER climbs
// to about 25% and the exchange refuses to make a key.
func TestDemoEveCaughtAboveThreshold(t *testing.T) {
	a := test.NewTempApp(t)
	seed := uint64(3)
	d, err := Start(context.Background(), a, Options{Dir: t.TempDir(), Seed: &seed})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := d.Close(); err != nil {
			t.Error(err)
		}
		d.AliceShell.Wait()
		d.BobShell.Wait()
		d.jobs.Wait()
	}()
	if len(d.Windows()) != 3 || !strings.Contains(d.EveWin.Title(), "Eve") {
		t.Fatalf("windows %v", d.Windows())
	}
	eventually(t, d.th, "the first key", func() bool { return strings.HasPrefix(d.verdict.Text, "secure") })
	// Alice's and Bob's windows show the same exchange.
	eventually(t, d.th, "the key in Alice's and Bob's windows", func() bool {
		return d.AliceShell.Staging().KeyVerdict() == "secure" && d.BobShell.Staging().KeyVerdict() == "secure"
	})
	d.th.Run(func() {
		if !strings.HasSuffix(d.qber.Text, "%") || d.qber.Text == "--" {
			t.Errorf("big QBER %q", d.qber.Text)
		}
		if !strings.HasPrefix(d.gauge.Text(), "QBER ") {
			t.Errorf("gauge %q", d.gauge.Text())
		}
		d.noise.SetValue(2)
		if got := d.Alice.BB84().Noise; got != 0.02 {
			t.Errorf("noise slider set %v, want 0.02", got)
		}
		d.intercept.SetValue(100)
		if d.interceptLbl.Text != "Eve intercepts: 100%" || !strings.Contains(d.expect.Text, "about 26%") {
			t.Errorf("labels %q / %q", d.interceptLbl.Text, d.expect.Text)
		}
		test.Tap(d.rekey)
	})
	eventually(t, d.th, "the abort", func() bool { return len(d.runs) == 2 })
	d.th.Run(func() {
		if v := d.verdict.Text; !strings.HasPrefix(v, "aborted: eavesdropper suspected, QBER ") || !strings.HasSuffix(v, "% > 11%") {
			t.Errorf("verdict %q", v)
		}
		if r := d.runs[1]; !r.Aborted || !r.EveDetected || r.QBER < 0.18 || r.QBER > 0.34 {
			t.Errorf("second run %+v, want an abort near 25%%", r)
		}
		if got := d.history.Runs(); len(got) != 2 {
			t.Errorf("history has %d runs", len(got))
		}
		if !strings.Contains(d.stats.Text, "measured") {
			t.Errorf("Eve's stats %q", d.stats.Text)
		}
	})
	eventually(t, d.th, "Alice's panel to show the abort", func() bool {
		return strings.HasPrefix(d.AliceShell.Staging().KeyVerdict(), "aborted: eavesdropper suspected")
	})
}

// TestDemoNoisyLinkMakesKeys: the noise slider is the link's calibration.
// At 5% the first key and a rekey are made (planning from a fixed 2%
// aborted them for lack of key); at 10% the demo says before any photon
// that the link itself is too noisy for a key; back at 5% keys come again.
func TestDemoNoisyLinkMakesKeys(t *testing.T) {
	a := test.NewTempApp(t)
	seed := uint64(4)
	d, err := Start(context.Background(), a, Options{Dir: t.TempDir(), Seed: &seed, Noise: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := d.Close(); err != nil {
			t.Error(err)
		}
		d.AliceShell.Wait()
		d.BobShell.Wait()
		d.jobs.Wait()
	}()
	eventually(t, d.th, "the first key at 5% noise", func() bool { return len(d.runs) == 1 && !d.rekey.Disabled() })
	d.th.Run(func() {
		if !strings.HasPrefix(d.verdict.Text, "secure") {
			t.Fatalf("first exchange at 5%% noise: %q", d.verdict.Text)
		}
		if !strings.Contains(d.expect.Text, "they measured") {
			t.Errorf("plan after the first key: %q", d.expect.Text)
		}
		test.Tap(d.rekey)
	})
	eventually(t, d.th, "the rekey at 5% noise", func() bool { return len(d.runs) == 2 && !d.rekey.Disabled() })
	d.th.Run(func() {
		if !strings.HasPrefix(d.verdict.Text, "secure") {
			t.Fatalf("rekey at 5%% noise: %q", d.verdict.Text)
		}
		d.noise.SetValue(10)
		if !strings.Contains(d.expect.Text, "At 10% no 256-bit key is possible, even without Eve") {
			t.Errorf("expectation at 10%%: %q", d.expect.Text)
		}
		test.Tap(d.rekey)
	})
	eventually(t, d.th, "the exchange at 10% noise", func() bool { return len(d.runs) == 3 && !d.rekey.Disabled() })
	d.th.Run(func() {
		if v := d.verdict.Text; !strings.Contains(v, "no 256-bit key is possible at the link's configured noise (10.0%)") {
			t.Errorf("verdict at 10%%: %q", v)
		}
		d.noise.SetValue(5)
		if !strings.Contains(d.expect.Text, "calibrated at setup") {
			t.Errorf("a recalibrated link plans afresh: %q", d.expect.Text)
		}
		test.Tap(d.rekey)
	})
	eventually(t, d.th, "the exchange back at 5% noise", func() bool { return len(d.runs) == 4 })
	d.th.Run(func() {
		if !strings.HasPrefix(d.verdict.Text, "secure") {
			t.Errorf("back at 5%% noise: %q", d.verdict.Text)
		}
	})
}
