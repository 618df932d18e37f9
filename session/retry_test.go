package session

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"qkdchat/qkd"
)

// TestOnlyBadLuckIsRetried: the initiator tries again by itself only
// after a failure a fresh exchange cures; what an exchange measured (an
// eavesdropper's errors, a key cut short), a peer's abort, a plan or a
// session that ends is left to the user.
func TestOnlyBadLuckIsRetried(t *testing.T) {
	cases := []struct {
		name  string
		cause error
		want  bool
	}{
		{"Cascade left an error the final check caught", &qkd.AbortError{Reason: qkd.ErrVerificationFailed}, true},
		{"the same, wrapped", fmt.Errorf("run: %w", &qkd.AbortError{Reason: qkd.ErrVerificationFailed}), true},
		{"the two keys differed", ErrKeyMismatch, true},
		{"error rate above the threshold", &qkd.AbortError{Reason: qkd.ErrAbortedQBER, QBER: 0.25, Threshold: 0.11}, false},
		{"key cut short by the finite-key bound", &qkd.AbortError{Reason: qkd.ErrNotEnoughKey}, false},
		{"the peer aborted", &qkd.PeerAbortError{Reason: "verification hash mismatch"}, false},
		{"the peer broke the protocol", &qkd.ProtocolError{Msg: "out of order"}, false},
		{"too slow", context.DeadlineExceeded, false},
		{"the session ended", qkd.ErrClosed, false},
		{"no cause", nil, false},
	}
	for _, c := range cases {
		if got := badLuck(c.cause); got != c.want {
			t.Errorf("%s: badLuck = %v, want %v", c.name, got, c.want)
		}
	}
	for failures, want := range []time.Duration{0, time.Second, 2 * time.Second, 4 * time.Second, 0, 0} {
		if got := retryIn(failures); got != want {
			t.Errorf("retryIn(%d) = %v, want %v", failures, got, want)
		}
	}
}

// TestRetryAfter: a planned retry waits its delay and then rekeys, and its
// result is the caller's; no retry planned, a plain error or a context that
// ends first returns the abort as it was.
func TestRetryAfter(t *testing.T) {
	aborted := func(in time.Duration) error {
		return &AbortedError{Exchange: &KeyExchange{Reason: "verification hash mismatch", RetryIn: in, Cause: qkd.ErrVerificationFailed}}
	}
	calls := 0
	rekey := func(context.Context) error { calls++; return nil }

	start := time.Now()
	if err := retryAfter(context.Background(), aborted(20*time.Millisecond), rekey); err != nil || calls != 1 {
		t.Fatalf("planned retry: %v after %d rekeys, want nil after 1", err, calls)
	}
	if waited := time.Since(start); waited < 20*time.Millisecond {
		t.Fatalf("rekeyed after %v, before the planned 20ms", waited)
	}
	for name, err := range map[string]error{"no retry planned": aborted(0), "not an abort": errors.New("session has ended")} {
		if got := retryAfter(context.Background(), err, rekey); got != err || calls != 1 {
			t.Fatalf("%s: got %v after %d rekeys, want the error back and no rekey", name, got, calls)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := aborted(time.Hour)
	if got := retryAfter(ctx, err, rekey); got != err || calls != 1 {
		t.Fatalf("ended context: got %v after %d rekeys", got, calls)
	}
	if !errors.Is(err, qkd.ErrVerificationFailed) || err.Error() != "key exchange aborted: verification hash mismatch" {
		t.Fatalf("AbortedError %q does not read or unwrap as before", err)
	}
}
