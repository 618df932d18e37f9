package qkd

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"qkdchat/qkd/bitvec"
	"qkdchat/qkd/finitekey"
	"qkdchat/qkd/toeplitz"
	"strings"
	"sync"
	"testing"
	"time"
)

func seeded(c Config, s uint64) Config {
	c.Seed = &s
	return c
}

func TestSimulateProducesSharedKey(t *testing.T) {
	ctx := context.Background()
	c := seeded(Config{Protocol: Protocol{KeyBits: 256}, Channel: Channel{Noise: 0.02}}, 1)
	a, b := Pipe()
	var bobRes *Result
	var bobErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); bobRes, bobErr = RunBob(ctx, c, b) }()
	aliceRes, err := RunAlice(ctx, c, a)
	wg.Wait()
	if err != nil || bobErr != nil {
		t.Fatalf("alice %v, bob %v", err, bobErr)
	}
	if len(aliceRes.Key) != 32 || !bytes.Equal(aliceRes.Key, bobRes.Key) {
		t.Fatalf("keys %x / %x", aliceRes.Key, bobRes.Key)
	}
	ra, rb := aliceRes.Report, bobRes.Report
	if ra.KeyBits != 256 || rb.KeyBits != 256 || ra.LeakedEC != rb.LeakedEC || ra.ECRoundTrips != rb.ECRoundTrips {
		t.Fatalf("reports disagree: %+v / %+v", ra, rb)
	}
	if ra.Sifted == 0 || ra.SampleSize == 0 || ra.QBEREstimate <= 0 || ra.QBEREstimate > 0.05 {
		t.Fatalf("implausible report %+v", ra)
	}
	// Same seed, same run; another seed, another key.
	rep1, err := Simulate(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	rep2, _ := Simulate(ctx, c)
	if rep1.Corrected != rep2.Corrected || rep1.QBEREstimate != rep2.QBEREstimate {
		t.Fatal("seeded runs differ")
	}
	if rep1.QBERTrue < 0.01 || rep1.QBERTrue > 0.03 {
		t.Fatalf("true QBER %v at 2%% noise", rep1.QBERTrue)
	}
}

func TestEavesdropperAbortsWithQBER(t *testing.T) {
	rep, err := Simulate(context.Background(), seeded(Config{Protocol: Protocol{Qubits: 40000}, Channel: Channel{Eve: 1}}, 2))
	if !errors.Is(err, ErrAbortedQBER) {
		t.Fatalf("err %v, want ErrAbortedQBER", err)
	}
	var ae *AbortError
	if !errors.As(err, &ae) || ae.QBER < 0.2 || ae.QBER > 0.3 || !strings.Contains(err.Error(), "> 11%") {
		t.Fatalf("abort error %#v %q", ae, err)
	}
	if !rep.Aborted || rep.KeyBits != 0 || rep.EveFraction != 1 || rep.QBERTrue < 0.24 || rep.QBERTrue > 0.26 {
		t.Fatalf("report %+v", rep)
	}
}

func TestPartialEveLeaksBitsButKeyIsShorter(t *testing.T) {
	rep, err := Simulate(context.Background(), seeded(Config{Protocol: Protocol{Qubits: 200000}, Channel: Channel{Eve: 0.1}}, 3))
	if err != nil {
		t.Fatal(err)
	}
	// Eve measured ~10% of photons and was right half the time: about 5%
	// of the key bits are hers before privacy amplification.
	frac := float64(rep.EveInfoBits) / float64(rep.ReconciledBits)
	if frac < 0.04 || frac > 0.06 {
		t.Fatalf("Eve knows %.3f of the reconciled key", frac)
	}
	if float64(rep.KeyBits) > float64(rep.ReconciledBits)*(1-finitekey.BinaryEntropy(rep.QBEREstimate)) {
		t.Fatalf("key %d bits from n=%d at QBER %.3f exceeds the asymptotic bound", rep.KeyBits, rep.ReconciledBits, rep.QBEREstimate)
	}
}

func TestNotEnoughKey(t *testing.T) {
	_, err := Simulate(context.Background(), seeded(Config{Protocol: Protocol{Qubits: 3000, KeyBits: 256}, Channel: Channel{Noise: 0.02}}, 4))
	var ae *AbortError
	if !errors.Is(err, ErrNotEnoughKey) || !errors.As(err, &ae) || ae.Requested != 256 {
		t.Fatalf("err %v", err)
	}
	if !strings.Contains(err.Error(), "< 256 requested") {
		t.Fatalf("message %q", err)
	}
}

// TestNoWrongKeySurvives runs many seeds at noise up to the threshold;
// Simulate fails loudly if Alice and Bob ever end with different keys,
// and a run either aborts with a typed reason or yields equal keys.
func TestNoWrongKeySurvives(t *testing.T) {
	runs := 40
	if testing.Short() {
		runs = 10
	}
	for i := 0; i < runs; i++ {
		noise := []float64{0.01, 0.04, 0.08, 0.10}[i%4]
		_, err := Simulate(context.Background(), seeded(Config{Protocol: Protocol{Qubits: 30000}, Channel: Channel{Noise: noise}}, uint64(100+i)))
		if err != nil && !errors.Is(err, ErrAbortedQBER) && !errors.Is(err, ErrNotEnoughKey) && !errors.Is(err, ErrVerificationFailed) {
			t.Fatalf("run %d: %v", i, err)
		}
	}
}

// TestVerificationCatchesResidualError flips one bit of Bob's key: the
// 64-bit Toeplitz tags must differ for every one of 1,000 fresh seeds.
func TestVerificationCatchesResidualError(t *testing.T) {
	r := NewRand(ptr(uint64(5)), "t")
	n := 5000
	a := bitvec.Random(r, n)
	b := append([]uint64(nil), a...)
	for i := 0; i < 1000; i++ {
		bitvec.Flip(b, r.IntN(n))
		s := bitvec.Random(r, n+63)
		ta, _ := toeplitz.Hash(s, a, n, 64)
		tb, _ := toeplitz.Hash(s, b, n, 64)
		if ta[0] == tb[0] {
			t.Fatalf("seed %d: tags collide", i)
		}
		copy(b, a)
	}
}

func ptr[T any](v T) *T { return &v }

func TestTraceIsDisclosedAndConsistent(t *testing.T) {
	rep, err := Simulate(context.Background(), seeded(Config{Protocol: Protocol{KeyBits: 128, TraceQubits: 32, DesignQBER: 0.03}, Channel: Channel{Noise: 0.03}}, 6))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Trace) != 32 {
		t.Fatalf("%d traced qubits", len(rep.Trace))
	}
	kept := 0
	for i, q := range rep.Trace {
		if q.Index != i || q.BasesMatch != (q.AliceBasis == q.BobBasis) || q.Kept != (q.Detected && q.BasesMatch) {
			t.Fatalf("inconsistent %+v", q)
		}
		if q.Kept {
			kept++
			if q.Error != (q.AliceBit != q.BobBit) {
				t.Fatalf("error flag %+v", q)
			}
		}
	}
	if kept < 8 || kept > 24 {
		t.Fatalf("%d of 32 kept", kept)
	}
}

func TestProgressPhasesInOrder(t *testing.T) {
	var phases []Phase
	c := seeded(Config{Protocol: Protocol{KeyBits: 64}, Channel: Channel{Noise: 0.01}}, 7)
	c.Progress = func(p Progress) {
		if len(phases) == 0 || phases[len(phases)-1] != p.Phase {
			phases = append(phases, p.Phase)
		}
	}
	a, b := Pipe()
	ctx := context.Background()
	done := make(chan struct{})
	go func() { RunBob(ctx, seeded(Config{}, 8), b); close(done) }()
	if _, err := RunAlice(ctx, c, a); err != nil {
		t.Fatal(err)
	}
	<-done
	want := []Phase{PhasePrepare, PhaseTransmit, PhaseSift, PhaseEstimate, PhaseReconcile, PhaseVerify, PhaseAmplify, PhaseDone}
	if len(phases) != len(want) {
		t.Fatalf("phases %v", phases)
	}
	for i := range want {
		if phases[i] != want[i] {
			t.Fatalf("phases %v", phases)
		}
	}
}

// fakePeer answers a run with scripted messages.
func TestBobRejectsBadParams(t *testing.T) {
	for _, p := range []*Params{
		{Version: 9, Qubits: 100, ZBias: 0.5, Threshold: 0.11, EpsSec: 1e-10, EpsCor: 1e-10, DesignQBER: 0.02},
		{Version: protocolVersion, Qubits: MaxQubits + 1, ZBias: 0.5, Threshold: 0.11, EpsSec: 1e-10, EpsCor: 1e-10, DesignQBER: 0.02},
		{Version: protocolVersion, Qubits: 100, ZBias: 1.5, Threshold: 0.11, EpsSec: 1e-10, EpsCor: 1e-10, DesignQBER: 0.02},
		{Version: protocolVersion, Qubits: 100, ZBias: 0.5, Threshold: 0.11, EpsSec: 0, EpsCor: 1e-10, DesignQBER: 0.02},
		{Version: protocolVersion, Qubits: 100, ZBias: 0.5, Threshold: 0.11, EpsSec: 1e-10, EpsCor: 1e-30, DesignQBER: 0.02},
	} {
		a, b := Pipe()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		go a.Send(ctx, p)
		_, err := RunBob(ctx, Config{}, b)
		var pe *ProtocolError
		if !errors.As(err, &pe) {
			t.Errorf("%+v: err %v, want ProtocolError", p, err)
		}
		// Bob told Alice why.
		m, _ := a.Recv(ctx)
		if ab, ok := m.(*Abort); !ok || ab.Reason == "" {
			t.Errorf("no abort message, got %v", m)
		}
		cancel()
	}
}

func TestBobRejectsWrongMessageKind(t *testing.T) {
	a, b := Pipe()
	ctx := context.Background()
	go a.Send(ctx, &VerifyReply{OK: true})
	_, err := RunBob(ctx, Config{}, b)
	if err == nil || !strings.Contains(err.Error(), "want params") {
		t.Fatalf("err %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	bad := []Config{
		{Channel: Channel{Noise: -0.1}}, {Channel: Channel{Noise: 1.1}}, {Channel: Channel{Eve: 2}},
		{Channel: Channel{DarkCount: -1}}, {Channel: Channel{EveBasis: EveX + 1}}, {Protocol: Protocol{ZBias: 1}},
		{Protocol: Protocol{Threshold: 0.6}}, {Protocol: Protocol{Qubits: -1}}, {Protocol: Protocol{Qubits: MaxQubits + 1}},
		{Protocol: Protocol{KeyBits: -5}}, {Channel: Channel{FiberKm: -1}}, {Channel: Channel{FiberKm: 1e9}},
		{Protocol: Protocol{EpsSec: 1}}, {Protocol: Protocol{EpsCor: 1e-30}}, {Protocol: Protocol{TraceQubits: MaxTraceQubits + 1}},
		{Protocol: Protocol{Qubits: 10, TraceQubits: 11}}, {Protocol: Protocol{DesignDetection: 1.5}},
	}
	for _, c := range bad {
		if err := c.Validate(); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: %v", c, err)
		}
		if _, err := Simulate(context.Background(), c); err == nil {
			t.Errorf("Simulate accepted %+v", c)
		}
	}
	if err := (Config{Protocol: Protocol{ZBias: 0.7, KeyBits: 256}, Channel: Channel{Noise: 0.02, Eve: 0.5}}).Validate(); err != nil {
		t.Fatal(err)
	}
}

// TestRequiredQubits256At2pct: 7,000-9,000 detected qubits for a 256-bit
// key at 2% QBER and eps 1e-10, as the finite-key bound predicts, and
// under 10,000 with the margins that make 98% of runs succeed.
func TestRequiredQubits256At2pct(t *testing.T) {
	nominal, err := requiredQubits(Protocol{KeyBits: 256, DesignQBER: 0.02}, false)
	if err != nil {
		t.Fatal(err)
	}
	n, err := RequiredQubits(Protocol{KeyBits: 256, DesignQBER: 0.02})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("nominal %d, with margins %d", nominal, n)
	if nominal < 7000 || nominal > 9000 || n < nominal || n > 10000 {
		t.Fatalf("RequiredQubits = %d, nominal %d", n, nominal)
	}
	// With 10 km of fibre and 50% detectors it scales by the loss.
	link := Channel{FiberKm: 10, DetectorEfficiency: 0.5}.Detection()
	m, _ := RequiredQubits(Protocol{KeyBits: 256, DesignQBER: 0.02, DesignDetection: link})
	if r := float64(m) / float64(n); r < 2.9 || r > 3.3 {
		t.Fatalf("lossy channel needs %d qubits (%.2fx)", m, r)
	}
	if _, err := RequiredQubits(Protocol{KeyBits: 256, DesignQBER: 0.2}); err == nil {
		t.Fatal("20% QBER should make a key impossible")
	}
}

func TestFiniteKeyMonotone(t *testing.T) {
	l1, _ := finitekey.KeyLength(10000, 2000, 0.02, 1500, 1e-10, 1e-10)
	l2, _ := finitekey.KeyLength(10000, 2000, 0.03, 1500, 1e-10, 1e-10)
	l3, _ := finitekey.KeyLength(10000, 2000, 0.02, 1500, 1e-6, 1e-10)
	if !(l2 < l1 && l3 > l1) {
		t.Fatalf("l %v %v %v", l1, l2, l3)
	}
}

// TestDeriveKeyRFC5869 checks HKDF-SHA256 against RFC 5869 test case 1.
func TestDeriveKeyRFC5869(t *testing.T) {
	ikm := bytes.Repeat([]byte{0x0b}, 22)
	salt, _ := hex.DecodeString("000102030405060708090a0b0c")
	info, _ := hex.DecodeString("f0f1f2f3f4f5f6f7f8f9")
	k, err := DeriveKey(ikm, salt, string(info))
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(k[:]); got != "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf" {
		t.Fatalf("okm %s", got)
	}
	if _, err := DeriveKey(nil, nil, ""); err == nil {
		t.Fatal("empty key accepted")
	}
}
