package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"qkdchat/qkd"
)

// TestExplainAbortEveryReason: every way the engine says an exchange made
// no key reads as a sentence a student understands, with its numbers, and
// none of the engine's jargon or variable names.
func TestExplainAbortEveryReason(t *testing.T) {
	plan := &PlanError{Plan: ExchangePlan{DesignQBER: 0.10, Source: PlanCalibration}, KeyBits: 256, Limit: 4_000_000,
		Err: errors.New("too many photons")}
	cases := []struct {
		name string
		err  error
		want []string
	}{
		{"QBER above threshold", &qkd.AbortError{Reason: qkd.ErrAbortedQBER, QBER: 0.248, Threshold: 0.11},
			[]string{"The check found 24.8% of the photons changed", "above the 11% ", "someone was probably listening", "no key was made"}},
		{"QBER above threshold in one basis", &qkd.AbortError{Reason: qkd.ErrAbortedQBER, QBER: 0.13, Threshold: 0.11, Basis: "X"},
			[]string{"The check found 13% of the photons measured in the X basis changed", "above the 11% "}},
		{"not enough key after correcting errors", &qkd.AbortError{Reason: qkd.ErrNotEnoughKey, QBER: 0.072, Threshold: 0.11,
			KeyBits: -1, Requested: 256, N: 2732, Sample: 1200},
			[]string{"The check found 7.2% of the photons changed", "under the 11% limit", "too little secret key is left", "256-bit key"}},
		{"not enough key without errors", &qkd.AbortError{Reason: qkd.ErrNotEnoughKey, QBER: 0, Threshold: 0.11, KeyBits: 90, Requested: 256, N: 400},
			[]string{"Too few photons got through", "256-bit key"}},
		{"verification failed", &qkd.AbortError{Reason: qkd.ErrVerificationFailed, N: 3000, Leak: 900},
			[]string{"still differed", "threw the key away"}},
		{"wrapped abort", fmt.Errorf("qkd: run: %w", &qkd.AbortError{Reason: qkd.ErrAbortedQBER, QBER: 0.3, Threshold: 0.11}),
			[]string{"The check found 30% of the photons changed"}},
		{"bare sentinel", qkd.ErrNotEnoughKey, []string{"too little secret key"}},
		{"peer aborted", &qkd.PeerAbortError{Reason: "out of memory"}, []string{"The other side stopped the exchange", "out of memory"}},
		{"protocol", &qkd.ProtocolError{Msg: "got sift, want estimate"}, []string{"broke the rules of the key exchange"}},
		{"malformed", fmt.Errorf("qkd: receive: %w", qkd.ErrMalformed), []string{"broke the rules of the key exchange"}},
		{"link too noisy to plan", plan, []string{"At 10% errors no 256-bit key is possible", "even without an eavesdropper"}},
		{"weak laser without decoys, over the pulse limit", &PlanError{Plan: ExchangePlan{DesignQBER: 0.02}, KeyBits: 256, Limit: 1 << 24,
			Laser: true, FiberKm: 5, Planned: 18_621_819, Err: errors.New("18621819 pulses planned")},
			[]string{"On a 5 km laser link without decoy pulses a 256-bit key would take more pulses than one exchange may send", "Raise the photons per pulse"}},
		{"laser without decoys, too long", &PlanError{Plan: ExchangePlan{DesignQBER: 0.02}, KeyBits: 256, Limit: 1 << 24,
			Laser: true, FiberKm: 40, Err: errors.New("no number of pulses gives the key")},
			[]string{"On a 40 km laser link without decoy pulses no 256-bit key is possible"}},
		{"keys differ at confirmation", ErrKeyMismatch, []string{"different keys"}},
		{"connection closed", fmt.Errorf("qkd: receive: %w", qkd.ErrClosed), []string{"connection closed before the exchange finished"}},
		{"EOF", io.EOF, []string{"connection closed before the exchange finished"}},
		{"timeout", fmt.Errorf("wait: %w", context.DeadlineExceeded), []string{"took too long"}},
		{"cancelled", context.Canceled, []string{"was cancelled"}},
		{"bad settings", fmt.Errorf("%w: threshold 2", qkd.ErrConfig), []string{"settings are not valid"}},
		{"anything else", errors.New("disk on fire"), []string{"The exchange stopped: disk on fire"}},
	}
	jargon := []string{"QBER", "n=", "sample=", "leak=", "qkd:", "Cascade", "sifted", "-1 bits"}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := ExplainAbort(c.err)
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("ExplainAbort = %q, want it to contain %q", got, w)
				}
			}
			for _, j := range jargon {
				if strings.Contains(got, j) {
					t.Errorf("ExplainAbort = %q holds jargon %q", got, j)
				}
			}
			if !strings.HasSuffix(got, ".") || got[0] < 'A' || got[0] > 'Z' {
				t.Errorf("ExplainAbort = %q is not a sentence", got)
			}
		})
	}
	if got := ExplainAbort(nil); got != "" {
		t.Errorf("ExplainAbort(nil) = %q", got)
	}
}

// TestExplainExchange: a key reads as a plain sentence with its size and
// error rate against the threshold; an abort reads as its cause's
// sentence, or the stored reason when the cause is gone (an exchange read
// back from an older event).
func TestExplainExchange(t *testing.T) {
	cases := []struct {
		name string
		x    *KeyExchange
		want string
	}{
		{"key, well under", &KeyExchange{OK: true, KeyBits: 256, Report: &qkd.Report{QBEREstimate: 0.018}},
			"A fresh 256-bit key was made; 1.8% of the photons arrived changed, well under the 11% that would mean someone listened."},
		{"key, close to the limit", &KeyExchange{OK: true, KeyBits: 256, Report: &qkd.Report{QBEREstimate: 0.095}},
			"A fresh 256-bit key was made; 9.5% of the photons arrived changed, under the 11% that would mean someone listened."},
		{"key without report", &KeyExchange{OK: true, KeyBits: 256}, "A fresh 256-bit key was made."},
		{"abort with cause", &KeyExchange{Reason: "QBER 24.8% > 11%", Cause: &qkd.AbortError{Reason: qkd.ErrAbortedQBER, QBER: 0.248, Threshold: 0.11}},
			ExplainAbort(&qkd.AbortError{Reason: qkd.ErrAbortedQBER, QBER: 0.248, Threshold: 0.11})},
		{"abort without cause", &KeyExchange{Reason: "peer did not report its result"}, "No key was made: peer did not report its result."},
		{"abort read back, sample over the threshold", &KeyExchange{Reason: "QBER 24.8% > 11%", Report: &qkd.Report{SampleSize: 1200, QBEREstimate: 0.248}},
			ExplainAbort(&qkd.AbortError{Reason: qkd.ErrAbortedQBER, QBER: 0.248, Threshold: 0.11})},
		{"abort without anything", &KeyExchange{}, "No key was made."},
	}
	for _, c := range cases {
		if got := ExplainExchange(c.x, 0.11); got != c.want {
			t.Errorf("%s: ExplainExchange = %q, want %q", c.name, got, c.want)
		}
	}
}

// TestAbortedExchangeKeepsItsCause: an exchange the eavesdropper spoils
// carries the engine's typed reason on both sides, so the windows can
// explain it.
func TestAbortedExchangeKeepsItsCause(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	alice := newTestNode(t, "Alice", RolePatient, BB84Settings{Eve: 1})
	bob := newTestNode(t, "Bob", RoleDoctor, BB84Settings{})
	_, aev, bev := pairNodes(t, ctx, alice, bob)
	for name, ch := range map[string]<-chan Event{"alice": aev, "bob": bev} {
		e := waitEvent(t, ch, name+"'s abort", isType(EventKeyAborted))
		var ae *qkd.AbortError
		if e.Exchange == nil || !errors.As(e.Exchange.Cause, &ae) || !errors.Is(ae, qkd.ErrAbortedQBER) {
			t.Fatalf("%s: exchange %+v, want a QBER abort as its cause", name, e.Exchange)
		}
		if s := ExplainExchange(e.Exchange, 0.11); !strings.Contains(s, "someone was probably listening") {
			t.Errorf("%s: %q", name, s)
		}
	}
}
