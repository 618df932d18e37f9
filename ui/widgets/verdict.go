package widgets

import (
	"math"
	"strconv"
	"strings"
)

// DefaultAbortReason is the reason Verdict names when an exchange aborted
// with its QBER above the threshold and the caller gave no reason.
const DefaultAbortReason = "eavesdropper suspected"

// Verdict returns the one-line outcome of a BB84 exchange for display:
//
//	"secure"                                               when !aborted
//	"aborted: eavesdropper suspected, QBER 24.8% > 11%"    aborted, QBER above threshold
//	"aborted: not enough sifted bits"                      aborted for another reason
//
// qber and threshold are fractions (0.248 for 24.8%). reason is a short
// human phrase from the engine; when empty, an abort with the QBER above the
// threshold is explained as DefaultAbortReason and any other abort as
// "exchange failed". The verdict follows aborted, the engine's decision, and
// never second-guesses it from the numbers. NaN values print as "n/a".
func Verdict(qber, threshold float64, aborted bool, reason string) string {
	if !aborted {
		return "secure"
	}
	reason = strings.TrimSpace(reason)
	above := qber > threshold // false when either is NaN
	if !above {
		if reason == "" {
			reason = "exchange failed"
		}
		return "aborted: " + reason
	}
	if reason == "" {
		reason = DefaultAbortReason
	}
	return "aborted: " + reason + ", QBER " + FormatPercent(qber) + " > " + FormatPercent(threshold)
}

// FormatPercent formats a fraction as a percentage with at most one decimal
// and no trailing ".0": 0.248 → "24.8%", 0.11 → "11%". NaN gives "n/a";
// infinities give "+Inf%" and "-Inf%".
func FormatPercent(f float64) string {
	switch {
	case math.IsNaN(f):
		return "n/a"
	case math.IsInf(f, 1):
		return "+Inf%"
	case math.IsInf(f, -1):
		return "-Inf%"
	}
	s := strconv.FormatFloat(f*100, 'f', 1, 64)
	s = strings.TrimSuffix(s, ".0")
	if s == "-0" {
		s = "0"
	}
	return s + "%"
}
