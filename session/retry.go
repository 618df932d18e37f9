package session

import (
	"context"
	"errors"
	"time"

	"qkdchat/qkd"
)

// The initiator tries again by itself after an exchange that failed by bad
// luck rather than by what it measured: Cascade left an error that the
// final check caught (qkd.ErrVerificationFailed, a few runs in ten
// thousand), or the two sides' keys differed (ErrKeyMismatch). At most
// maxBadLuck in a row, 1 s apart and doubling. An error rate above the
// threshold (possibly an eavesdropper), a key the finite-key bound cut
// short, a plan that cannot work, a peer that broke the protocol or a
// session that is ending is not retried: the user sees why and decides.
const maxBadLuck = 3

// badLuck reports whether an exchange that made no key with cause failed
// by bad luck.
func badLuck(cause error) bool {
	return errors.Is(cause, qkd.ErrVerificationFailed) || errors.Is(cause, ErrKeyMismatch)
}

// retryIn is how long after the failures-th exchange in a row to fail by
// bad luck the initiator starts another; 0 for none.
func retryIn(failures int) time.Duration {
	if failures < 1 || failures > maxBadLuck {
		return 0
	}
	return time.Second << (failures - 1)
}

// AbortedError is how an exchange that made no key ends a Rekey call; it
// unwraps to the exchange's Cause.
type AbortedError struct{ Exchange *KeyExchange }

func (e *AbortedError) Error() string { return "key exchange aborted: " + e.Exchange.Reason }
func (e *AbortedError) Unwrap() error { return e.Exchange.Cause }

// retryAfter waits out the retry an aborted exchange planned and calls
// rekey; with no retry planned (or ctx ending first) it returns err.
func retryAfter(ctx context.Context, err error, rekey func(context.Context) error) error {
	var ae *AbortedError
	if !errors.As(err, &ae) || ae.Exchange.RetryIn <= 0 {
		return err
	}
	t := time.NewTimer(ae.Exchange.RetryIn)
	defer t.Stop()
	select {
	case <-t.C:
		return rekey(ctx)
	case <-ctx.Done():
		return err
	}
}
