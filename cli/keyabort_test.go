package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"qkdchat/cli/eventline"
	"qkdchat/node"
	"qkdchat/qkd"
)

// TestKeyAbortRetriedIsNotAFailure: connect says an exchange that failed
// by bad luck is being tried again, and does not give up on the first key
// for it; an exchange that is not retried ends the wait for a key.
func TestKeyAbortRetriedIsNotAFailure(t *testing.T) {
	abort := func(retry time.Duration, cause error) node.Event {
		return node.Event{Type: node.EventKeyAborted, Peer: "fp", PeerName: "St. Mary's", Epoch: 1, Aborted: true, Reason: "verification hash mismatch",
			Exchange: &node.KeyExchange{Reason: "verification hash mismatch", RetryIn: retry, Cause: cause}}
	}
	retried := abort(2*time.Second, &qkd.AbortError{Reason: qkd.ErrVerificationFailed})
	if got := eventline.Line(retried); !strings.Contains(got, "ABORTED, no key made: verification hash mismatch; trying again in 2 s") {
		t.Errorf("retried abort reads %q", got)
	}
	if got := eventline.Line(abort(0, qkd.ErrAbortedQBER)); strings.Contains(got, "trying again") {
		t.Errorf("abort with no retry reads %q", got)
	}

	var out bytes.Buffer
	c := &console{env: &Env{Stdout: &out}, texts: map[string]string{}, offline: map[string]bool{},
		keyFailed: make(chan struct{}), left: make(chan struct{})}
	c.handle(retried)
	select {
	case <-c.keyFailed:
		t.Fatalf("connect gave up on the first key at an abort that is retried: %q", c.keyFailure)
	default:
	}
	c.handle(abort(0, &qkd.AbortError{Reason: qkd.ErrVerificationFailed}))
	select {
	case <-c.keyFailed:
	default:
		t.Fatal("connect still waits for a key after the last retry failed")
	}
}
