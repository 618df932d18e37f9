package session

import (
	"context"
	"errors"
	"math"
	"testing"

	"qkdchat/qkd"
)

// TestKeyExchangeDesignNoisyLinkMakesKeys is the regression of planning
// from a fixed 2%: on a link whose own noise is 5% (configured, as a
// demo's slider or `bench chat --noise 0.05` sets it) the first exchange
// and a rekey must make keys, not abort for lack of key.
func exchangeOf(t *testing.T, b BB84Settings, past []*KeyExchange, seed uint64) *KeyExchange {
	t.Helper()
	b.WithDefaults()
	cfg, plan, err := b.plannedConfig(past)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Seed = &seed
	rep, err := qkd.Simulate(context.Background(), cfg)
	if rep == nil {
		t.Fatal(err)
	}
	return &KeyExchange{Epoch: uint32(len(past) + 1), Role: "alice", OK: !rep.Aborted, Reason: rep.AbortReason, Report: rep, Plan: &plan}
}

// TestDesignPlanBlindToEve is the attack on planning: if the plan read the
// simulated channel's eavesdropper, the number of photons would tell
// Alice that Eve is there. With the same seed the photons sent are the
// same with Eve at 0 and at 30%, for a first exchange and for a later one
// whose predecessor measured the same QBER; the predecessor's simulator
// truths (true QBER, Eve's fraction and knowledge) do not matter either.
func TestDesignPlanBlindToEve(t *testing.T) {
	honest := BB84Settings{Noise: 0.01}
	eve := BB84Settings{Noise: 0.01, Eve: 0.3}
	h1, e1 := exchangeOf(t, honest, nil, 7), exchangeOf(t, eve, nil, 7)
	if h1.Report.QubitsSent != e1.Report.QubitsSent || *h1.Plan != *e1.Plan {
		t.Fatalf("first exchange: %d photons without Eve, %d with (plans %+v / %+v)", h1.Report.QubitsSent, e1.Report.QubitsSent, *h1.Plan, *e1.Plan)
	}
	if !(e1.Report.QBEREstimate > h1.Report.QBEREstimate+0.03) {
		t.Fatalf("Eve is not on the channel: QBER %.3f with her, %.3f without", e1.Report.QBEREstimate, h1.Report.QBEREstimate)
	}
	// A predecessor with the same disclosed figures, whatever its truths.
	same := *e1.Report
	same.QBERTrue, same.EveFraction, same.EveInfoBits, same.EveFinalInfoBits = 0, 0, 0, 0
	pred := []*KeyExchange{e1}
	predHonestTruths := []*KeyExchange{{Epoch: 1, Role: "alice", Report: &same, Plan: e1.Plan}}
	h2, e2 := exchangeOf(t, honest, pred, 8), exchangeOf(t, eve, predHonestTruths, 8)
	if h2.Report.QubitsSent != e2.Report.QubitsSent || *h2.Plan != *e2.Plan {
		t.Fatalf("second exchange: %d photons without Eve, %d with (plans %+v / %+v)", h2.Report.QubitsSent, e2.Report.QubitsSent, *h2.Plan, *e2.Plan)
	}
	if h2.Plan.Source != PlanMeasured || h2.Plan.MeasuredQBER != e1.Report.QBEREstimate {
		t.Fatalf("second plan %+v is not from the measured %.4f", *h2.Plan, e1.Report.QBEREstimate)
	}
}

// TestDesignHiddenEveRaisesPlanOnlyByMeasuredQBER: Eve intercepts 28% of
// the photons, unknown to Alice and Bob. Exchange 1, planned for the
// calibrated 1%, measures about 8% and cannot make a 256-bit key. Exchange
// 2 is planned for that measured QBER (disclosed data), exactly as after
// an honest 8% link, and makes a key that privacy amplification leaves
// Eve nothing of. When she then intercepts everything, the QBER is above
// the threshold and the exchange still aborts, and the next plan ignores
// that run.
func TestDesignHiddenEveRaisesPlanOnlyByMeasuredQBER(t *testing.T) {
	b := BB84Settings{Noise: 0.01, Eve: 0.28}
	x1 := exchangeOf(t, b, nil, 11)
	q1 := x1.Report.QBEREstimate
	if x1.OK || !(q1 > 0.06 && q1 < 0.10) || x1.Plan.Source != PlanConfigured {
		t.Fatalf("exchange 1: ok %v, QBER %.4f, plan %+v; want an abort for lack of key near 8%%", x1.OK, q1, *x1.Plan)
	}
	past := []*KeyExchange{x1}
	x2 := exchangeOf(t, b, past, 12)
	// The same disclosed figures from an honest link give the same plan.
	honestRep := qkd.Report{QBEREstimate: q1, SampleSize: x1.Report.SampleSize, QBERTrue: q1}
	_, honestPlan, err := BB84Settings{Noise: 0.01, Threshold: 0.11, TraceQubits: 32, KeyBits: 256}.plannedConfig(
		[]*KeyExchange{{Epoch: 1, Role: "alice", Report: &honestRep, Plan: x1.Plan}})
	if err != nil {
		t.Fatal(err)
	}
	if *x2.Plan != honestPlan || x2.Plan.Source != PlanMeasured || !(x2.Plan.DesignQBER > q1) {
		t.Fatalf("exchange 2 plan %+v, after an honest %.4f %+v", *x2.Plan, q1, honestPlan)
	}
	if x2.Report.QubitsSent <= x1.Report.QubitsSent {
		t.Fatalf("exchange 2 sent %d photons, exchange 1 %d", x2.Report.QubitsSent, x1.Report.QubitsSent)
	}
	if !x2.OK || x2.Report.EveFinalInfoBits != 0 {
		t.Fatalf("exchange 2: ok %v (%s), Eve knows %d final bits", x2.OK, x2.Reason, x2.Report.EveFinalInfoBits)
	}
	past = append(past, x2)

	full := b
	full.Eve = 1
	x3 := exchangeOf(t, full, past, 13)
	if x3.OK || !(x3.Report.QBEREstimate > 0.11) {
		t.Fatalf("exchange 3 with Eve on every photon: ok %v, QBER %.4f", x3.OK, x3.Report.QBEREstimate)
	}
	if *x3.Plan != *planFor(t, b, past) {
		t.Fatalf("exchange 3 plan %+v", *x3.Plan)
	}
	if p4 := planFor(t, b, append(past, x3)); *p4 != *x3.Plan {
		t.Fatalf("the aborted run above the threshold changed the plan: %+v, was %+v", *p4, *x3.Plan)
	}
}

func planFor(t *testing.T, b BB84Settings, past []*KeyExchange) *ExchangePlan {
	t.Helper()
	b.WithDefaults()
	_, p, err := b.plannedConfig(past)
	if err != nil {
		t.Fatal(err)
	}
	return &p
}

func TestDesignPlanRules(t *testing.T) {
	rep := func(q float64, sample int) *qkd.Report { return &qkd.Report{QBEREstimate: q, SampleSize: sample} }
	at := func(initial float64, r *qkd.Report) *KeyExchange {
		return &KeyExchange{Report: r, Plan: &ExchangePlan{Initial: initial}}
	}
	sd := func(q float64, n int) float64 { return math.Sqrt(q * (1 - q) / float64(n)) }
	for _, c := range []struct {
		name   string
		b      BB84Settings
		past   []*KeyExchange
		design float64
		source PlanSource
		pooled int
	}{
		{"default", BB84Settings{}, nil, 0.02, PlanConfigured, 0},
		{"calibrated noise", BB84Settings{Noise: 0.05}, nil, 0.05, PlanCalibration, 0},
		{"Eve is not calibration", BB84Settings{Noise: 0.01, Eve: 0.5}, nil, 0.02, PlanConfigured, 0},
		{"configured above noise", BB84Settings{Noise: 0.01, DesignQBER: 0.03}, nil, 0.03, PlanConfigured, 0},
		{"measured", BB84Settings{}, []*KeyExchange{at(0.02, rep(0.08, 2000))}, 0.08 + sd(0.08, 2000), PlanMeasured, 1},
		{"floor", BB84Settings{}, []*KeyExchange{at(0.02, rep(0, 2000))}, 0.02, PlanMeasured, 1},
		{"configured is the floor", BB84Settings{DesignQBER: 0.04}, []*KeyExchange{at(0.04, rep(0.01, 2000))}, 0.04, PlanMeasured, 1},
		{"pooled", BB84Settings{}, []*KeyExchange{at(0.02, rep(0.04, 1000)), at(0.02, rep(0.06, 3000))}, 0.055 + sd(0.055, 4000), PlanMeasured, 2},
		{"window of three", BB84Settings{}, []*KeyExchange{at(0.02, rep(0.3, 1000)), at(0.02, rep(0.05, 1000)), at(0.02, rep(0.05, 1000)), at(0.02, rep(0.05, 1000))},
			0.05 + sd(0.05, 3000), PlanMeasured, 3},
		{"above threshold left out", BB84Settings{}, []*KeyExchange{at(0.02, rep(0.05, 1000)), at(0.02, rep(0.2, 1000))}, 0.05 + sd(0.05, 1000), PlanMeasured, 1},
		{"no sample left out", BB84Settings{}, []*KeyExchange{at(0.02, nil), at(0.02, rep(0, 0))}, 0.02, PlanConfigured, 0},
		{"recalibrated", BB84Settings{Noise: 0.05}, []*KeyExchange{at(0.02, rep(0.02, 1000))}, 0.05, PlanCalibration, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.b.WithDefaults()
			p := planDesign(c.b, c.past)
			if math.Abs(p.DesignQBER-c.design) > 1e-12 || p.Source != c.source || p.Measured != c.pooled {
				t.Fatalf("plan %+v, want design %.5f from %s pooling %d", p, c.design, c.source, c.pooled)
			}
		})
	}
}

// TestDesignPlanProbesWhenMeasuredTooHigh: a measured QBER that would need
// more photons than a run may send does not stop the parties from ever
// measuring again: the run is a probe planned as the first was.
func TestDesignPlanProbesWhenMeasuredTooHigh(t *testing.T) {
	b := BB84Settings{Noise: 0.01}
	b.WithDefaults()
	_, p, err := b.plannedConfig([]*KeyExchange{{Report: &qkd.Report{QBEREstimate: 0.105, SampleSize: 4000}, Plan: &ExchangePlan{Initial: 0.02}}})
	if err != nil || p.Source != PlanProbe || p.DesignQBER != 0.02 || p.Qubits == 0 {
		t.Fatalf("plan %+v, %v", p, err)
	}
	var pe *PlanError
	for _, noise := range []float64{0.098, 0.10} {
		if _, _, err := (BB84Settings{Noise: noise, KeyBits: 256}).plannedConfig(nil); !errors.As(err, &pe) || pe.Plan.Source != PlanCalibration {
			t.Fatalf("%v link: %v", noise, err)
		}
	}
	// Just below the exchange's photon limit a key is still planned.
	if _, p, err := (BB84Settings{Noise: 0.095, KeyBits: 256}).plannedConfig(nil); err != nil || p.Qubits > maxExchangeQubits {
		t.Fatalf("9.5%% link: plan %+v, %v", p, err)
	}
}

// TestKeyExchangeDesignHiddenEveProxy is the same through the session:
// Eve, a proxy on the quantum link nobody configured, intercepts 28%. The
// first exchange, planned for the calibrated 1%, measures about 8% and
// aborts for lack of key; the rekey is planned for that measured QBER
// (the session's own disclosed data) and makes a key with her still
// there.
