package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"

	"qkdchat/qkd"
	"qkdchat/session"
)

// ErrKeyMismatch is the cause of an exchange whose two sides each made a
// key, but not the same one: the confirmation tags differed.
var ErrKeyMismatch = session.ErrKeyMismatch

// WaitWords is how a wait before trying again reads: "1 s", "4 s" (whole
// seconds, at least one), for the app's and the CLI's "trying again in".
func WaitWords(d time.Duration) string {
	return fmt.Sprintf("%d s", max(1, int(d.Round(time.Second)/time.Second)))
}

// ExplainAbort says in one sentence a student understands why a key
// exchange made no key, from the engine's typed reason (a *qkd.AbortError
// with its numbers, a *qkd.PeerAbortError, a *qkd.ProtocolError, a
// *PlanError, ErrKeyMismatch, a closed connection, a timeout). It returns
// "" for nil.
func ExplainAbort(err error) string {
	if err == nil {
		return ""
	}
	var ae *qkd.AbortError
	var pae *qkd.PeerAbortError
	var pre *qkd.ProtocolError
	var ple *PlanError
	switch {
	case errors.As(err, &ae):
		return explainAbortError(ae)
	case errors.Is(err, qkd.ErrAbortedQBER):
		return "The check found too many of the photons changed, more than noise alone explains: someone was probably listening, so no key was made."
	case errors.Is(err, qkd.ErrNotEnoughKey):
		return "After correcting the errors too little secret key is left: no key was made."
	case errors.Is(err, qkd.ErrVerificationFailed):
		return verificationSentence
	case errors.As(err, &pae):
		return "The other side stopped the exchange: " + sentenceBody(pae.Reason) + "."
	case errors.As(err, &pre), errors.Is(err, qkd.ErrMalformed):
		return "The other side broke the rules of the key exchange (a message out of order or damaged), so it stopped."
	case errors.As(err, &ple) && ple.Laser && !ple.Decoys && ple.Planned > 0:
		return fmt.Sprintf("On a %g km laser link without decoy pulses a %d-bit key would take more pulses than one exchange may send. Raise the photons per pulse, turn on decoys or shorten the link.",
			ple.FiberKm, ple.KeyBits)
	case errors.As(err, &ple) && ple.Laser && !ple.Decoys:
		return fmt.Sprintf("On a %g km laser link without decoy pulses no %d-bit key is possible: the eavesdropper may have split every pulse of two or more photons, and at this length those could be all that arrive. Turn on decoys or shorten the link.",
			ple.FiberKm, ple.KeyBits)
	case errors.As(err, &ple) && ple.Laser:
		return fmt.Sprintf("On a %g km laser link no %d-bit key fits in one exchange at %s errors, even with decoy pulses: the link is too long or too noisy.",
			ple.FiberKm, ple.KeyBits, percent(ple.Plan.DesignQBER))
	case errors.As(err, &ple):
		return fmt.Sprintf("At %s errors no %d-bit key is possible, even without an eavesdropper: the link itself is too noisy.",
			percent(ple.Plan.DesignQBER), ple.KeyBits)
	case errors.Is(err, ErrKeyMismatch):
		return "The two sides ended up with different keys, so neither uses it."
	case errors.Is(err, qkd.ErrClosed), errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed), errors.Is(err, io.ErrUnexpectedEOF):
		return "The connection closed before the exchange finished."
	case errors.Is(err, context.DeadlineExceeded):
		return "The exchange took too long and was stopped."
	case errors.Is(err, context.Canceled):
		return "The exchange was cancelled."
	case errors.Is(err, qkd.ErrConfig):
		return "The key exchange settings are not valid: check them under Advanced in Settings."
	}
	return "The exchange stopped: " + sentenceBody(UserError(err)) + "."
}

const verificationSentence = "After correcting the errors the two copies of the key still differed at the final check, so both sides threw the key away."

func explainAbortError(e *qkd.AbortError) string {
	switch {
	case errors.Is(e.Reason, qkd.ErrAbortedQBER):
		which := "of the photons"
		if e.Basis != "" {
			which += " measured in the " + e.Basis + " basis"
		}
		return fmt.Sprintf("The check found %s %s changed, above the %s limit: more than noise alone explains, so someone was probably listening and no key was made.",
			percent(e.QBER), which, percent(e.Threshold))
	case errors.Is(e.Reason, qkd.ErrNotEnoughKey):
		key := "a key"
		if e.Requested > 0 {
			key = fmt.Sprintf("a %d-bit key", e.Requested)
		}
		if e.Detail != "" {
			// A laser run: what the single-photon bound showed.
			return fmt.Sprintf("Too little secret key is left for %s: %s. No key was made.", key, sentenceBody(e.Detail))
		}
		if e.QBER > 0 {
			return fmt.Sprintf("The check found %s of the photons changed, under the %s limit, but correcting that many errors gives away so much that too little secret key is left for %s: no key was made.",
				percent(e.QBER), percent(e.Threshold), key)
		}
		return "Too few photons got through for " + key + ": no key was made."
	case errors.Is(e.Reason, qkd.ErrVerificationFailed):
		return verificationSentence
	}
	return "No key was made: " + sentenceBody(e.Error()) + "."
}

// ExplainExchange says in one sentence how an exchange ended: the key
// made and its error rate against threshold, or why it made none (from
// its Cause; else, from its report when the sample was over threshold;
// else its stored Reason).
func ExplainExchange(x *KeyExchange, threshold float64) string {
	if x == nil {
		return ""
	}
	if x.OK {
		s := fmt.Sprintf("A fresh %d-bit key was made", x.KeyBits)
		if x.Report == nil {
			return s + "."
		}
		how := "under"
		if x.Report.QBEREstimate < threshold/2 {
			how = "well under"
		}
		return fmt.Sprintf("%s; %s of the photons arrived changed, %s the %s that would mean someone listened.",
			s, percent(x.Report.QBEREstimate), how, percent(threshold))
	}
	if x.Cause != nil {
		return ExplainAbort(x.Cause)
	}
	if r := x.Report; r != nil && r.SampleSize > 0 && r.QBEREstimate > threshold {
		// An exchange without its cause (read back from JSON) whose
		// sample was over the threshold aborted for that.
		return ExplainAbort(&qkd.AbortError{Reason: qkd.ErrAbortedQBER, QBER: r.QBEREstimate, Threshold: threshold})
	}
	if x.Reason != "" {
		return "No key was made: " + sentenceBody(x.Reason) + "."
	}
	return "No key was made."
}

// percent formats a fraction as a percentage with at most one decimal:
// 0.248 is "24.8%", 0.11 is "11%".
func percent(f float64) string {
	s := strconv.FormatFloat(f*100, 'f', 1, 64)
	if len(s) > 2 && s[len(s)-2:] == ".0" {
		s = s[:len(s)-2]
	}
	return s + "%"
}

// sentenceBody trims a trailing full stop, so that the text can end a
// sentence of its own.
func sentenceBody(s string) string {
	for len(s) > 0 && (s[len(s)-1] == '.' || s[len(s)-1] == ' ') {
		s = s[:len(s)-1]
	}
	return s
}
