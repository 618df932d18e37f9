package ui

import (
	"strings"
	"testing"
	"time"

	"qkdchat/node"
	"qkdchat/qkd"
)

// TestKeyStatusSpeaksPlainly: the status line of a key or an abort has
// no "epoch" or "QBER" in it, and an abort says why in a sentence.
func TestKeyStatusSpeaksPlainly(t *testing.T) {
	q := 0.013
	bad := 0.248
	cases := []struct {
		e    node.Event
		want string
	}{
		{node.Event{Type: node.EventKeyEstablished, Epoch: 3, KeyBits: 256, QBER: &q},
			"New 256-bit key with Bob: 1.3% of the photons arrived changed (limit 11%)."},
		{node.Event{Type: node.EventKeyAborted, QBER: &bad, Reason: "QBER 24.8% > 11%", Exchange: &node.KeyExchange{
			Reason: "QBER 24.8% > 11%", Cause: &qkd.AbortError{Reason: qkd.ErrAbortedQBER, QBER: 0.248, Threshold: 0.11}}},
			"No new key with Bob. The check found 24.8% of the photons changed, above the 11% limit"},
		{node.Event{Type: node.EventKeyAborted, Reason: "peer did not report its result"},
			"No new key with Bob. No key was made: peer did not report its result."},
		{node.Event{Type: node.EventKeyAborted, Exchange: &node.KeyExchange{Reason: "verification hash mismatch", RetryIn: time.Second,
			Cause: &qkd.AbortError{Reason: qkd.ErrVerificationFailed}}},
			"No new key with Bob. After correcting the errors the two copies of the key still differed at the final check, so both sides threw the key away. Trying again in 1 s."},
	}
	for _, c := range cases {
		got := keyStatus(c.e, "Bob", 0.11)
		if !strings.HasPrefix(got, c.want) || strings.Contains(got, "QBER") || strings.Contains(got, "epoch") {
			t.Errorf("keyStatus(%s) = %q, want %q…", c.e.Type, got, c.want)
		}
	}
}
