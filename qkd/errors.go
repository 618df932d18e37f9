package qkd

import (
	"errors"
	"fmt"
)

// Reasons a run aborts. An AbortError wraps exactly one of them, so
// errors.Is(err, ErrAbortedQBER) works on the error RunAlice, RunBob and
// Simulate return.
var (
	ErrAbortedQBER        = errors.New("qkd: QBER above threshold")
	ErrNotEnoughKey       = errors.New("qkd: not enough key")
	ErrVerificationFailed = errors.New("qkd: verification failed")
)

// AbortError is a negative verdict of a run, with the numbers behind it.
type AbortError struct {
	Reason error // ErrAbortedQBER, ErrNotEnoughKey or ErrVerificationFailed

	QBER      float64 // estimated QBER
	Basis     string  // the basis whose error rate QBER is ("Z" or "X"); "" for both together
	Threshold float64
	KeyBits   float64 // bits the finite-key bound allows (may be negative)
	Requested int     // bits asked for
	N         int     // key bits entering error correction
	Sample    int     // sample size
	Leak      int     // bits disclosed by error correction
	Detail    string  // laser runs: what the single-photon bound showed, in words
}

func (e *AbortError) Error() string {
	switch e.Reason {
	case ErrAbortedQBER:
		if e.Basis != "" {
			return fmt.Sprintf("QBER %.1f%% > %.3g%% in the %s basis", 100*e.QBER, 100*e.Threshold, e.Basis)
		}
		return fmt.Sprintf("QBER %.1f%% > %.3g%%", 100*e.QBER, 100*e.Threshold)
	case ErrNotEnoughKey:
		if e.Detail != "" {
			return fmt.Sprintf("%s; final key %.0f bits < %d requested", e.Detail, max(e.KeyBits, -1), e.Requested)
		}
		return fmt.Sprintf("final key %.0f bits < %d requested (n=%d, sample=%d, QBER=%.2f%%, leak=%d)",
			max(e.KeyBits, -1), e.Requested, e.N, e.Sample, 100*e.QBER, e.Leak)
	case ErrVerificationFailed:
		return fmt.Sprintf("verification hash mismatch after error correction (n=%d, leak=%d): key discarded", e.N, e.Leak)
	}
	return e.Reason.Error()
}

func (e *AbortError) Unwrap() error { return e.Reason }

// PeerAbortError reports that the peer sent an Abort message.
type PeerAbortError struct{ Reason string }

func (e *PeerAbortError) Error() string { return "qkd: peer aborted: " + e.Reason }

// ProtocolError reports a message that broke the protocol: wrong kind,
// wrong sizes, values out of range.
type ProtocolError struct{ Msg string }

func (e *ProtocolError) Error() string { return "qkd: protocol: " + e.Msg }

func protoErr(format string, a ...any) error {
	return &ProtocolError{Msg: fmt.Sprintf(format, a...)}
}
