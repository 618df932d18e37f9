package demo

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"qkdchat/node"
	"qkdchat/nodetest"
	"qkdchat/ui"
)

// eventually polls cond under the UI lock until it holds, or fails.
func eventually(t *testing.T, th *ui.Thread, what string, cond func() bool) {
	t.Helper()
	nodetest.Eventually(t, what, nodetest.Under(th.Run, cond))
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
	eventually(t, d.th, "the first key", func() bool { return strings.HasPrefix(d.verdict.Text, "A fresh 256-bit key was made") })
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
		if v := d.verdict.Text; !strings.HasPrefix(v, "The check found ") || !strings.Contains(v, "above the 11% limit") ||
			!strings.Contains(v, "someone was probably listening") {
			t.Errorf("verdict %q", v)
		}
		if r := d.runs[1]; !r.Aborted || !r.EveDetected || r.QBER < 0.18 || r.QBER > 0.34 {
			t.Errorf("second run %+v, want an abort near 25%%", r)
		}
		if got := d.history.Runs(); len(got) != 2 {
			t.Errorf("history has %d runs", len(got))
		}
		// Eve's counters are those of this run: at 100% she measured
		// every photon of it (counted across runs she would not have, as
		// she measured none of the first run's).
		var seen, measured, right int
		if _, err := fmt.Sscanf(d.stats.Text, "In the last exchange Eve saw %d photons and measured %d of them; she guessed the right basis for %d",
			&seen, &measured, &right); err != nil || seen == 0 || measured != seen || right < seen/3 || right > 2*seen/3 {
			t.Errorf("Eve's counters for the second run: %q (%v)", d.stats.Text, err)
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
		if !strings.HasPrefix(d.verdict.Text, "A fresh 256-bit key was made") {
			t.Fatalf("first exchange at 5%% noise: %q", d.verdict.Text)
		}
		if !strings.Contains(d.expect.Text, "they measured") {
			t.Errorf("plan after the first key: %q", d.expect.Text)
		}
		test.Tap(d.rekey)
	})
	eventually(t, d.th, "the rekey at 5% noise", func() bool { return len(d.runs) == 2 && !d.rekey.Disabled() })
	d.th.Run(func() {
		if !strings.HasPrefix(d.verdict.Text, "A fresh 256-bit key was made") {
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
		if v := d.verdict.Text; v != "At 10% errors no 256-bit key is possible, even without an eavesdropper: the link itself is too noisy." {
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
		if !strings.HasPrefix(d.verdict.Text, "A fresh 256-bit key was made") {
			t.Errorf("back at 5%% noise: %q", d.verdict.Text)
		}
	})
}

// TestEveRunCounters: Eve's counters are shown per exchange; a snapshot
// older than the last exchange's end is not shown as a new run.
func TestEveRunCounters(t *testing.T) {
	base := node.EveStats{Photons: 1000, Intercepted: 0, BasisMatched: 0}
	cases := []struct {
		cur  node.EveStats
		want node.EveStats
		ok   bool
	}{
		{node.EveStats{Photons: 1800, Intercepted: 800, BasisMatched: 410}, node.EveStats{Photons: 800, Intercepted: 800, BasisMatched: 410}, true},
		{base, node.EveStats{}, true},
		{node.EveStats{Photons: 600}, node.EveStats{}, false},
	}
	for _, c := range cases {
		got, ok := eveRun(c.cur, base)
		if got != c.want || ok != c.ok {
			t.Errorf("eveRun(%+v) = %+v, %v; want %+v, %v", c.cur, got, ok, c.want, c.ok)
		}
	}
}

// TestEveLateSnapshotKeepsLastRun: a snapshot of Eve's counters that
// arrives after the exchange's outcome, with nothing new since, leaves
// the last exchange's counters on screen (it read "Eve has seen no
// photon" under load).
func TestEveLateSnapshotKeepsLastRun(t *testing.T) {
	test.NewTempApp(t)
	d := &Demo{stats: widget.NewLabel("")}
	end := node.EveStats{Photons: 800, Intercepted: 800, BasisMatched: 410}
	d.showEveRun(end, true)
	want := d.stats.Text
	if !strings.HasPrefix(want, "In the last exchange Eve saw 800 photons") {
		t.Fatalf("after the outcome: %q", want)
	}
	d.showEveRun(end, false)
	if d.stats.Text != want {
		t.Errorf("a late snapshot replaced %q with %q", want, d.stats.Text)
	}
	d.showEveRun(node.EveStats{Photons: 900, Intercepted: 850, BasisMatched: 430}, false)
	if !strings.HasPrefix(d.stats.Text, "In this exchange Eve has seen 100 photons") {
		t.Errorf("the next exchange: %q", d.stats.Text)
	}
}
