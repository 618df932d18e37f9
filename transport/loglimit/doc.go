// Package loglimit bounds the log lines that remote peers can trigger: a
// [Limiter] logs the first event of a quiet period in full and counts the
// rest by reason, writing one summary line ([SummaryMessage]) per
// interval, so a flood costs one line per interval and no event goes
// unaccounted for.
package loglimit
