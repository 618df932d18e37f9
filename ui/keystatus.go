package ui

import (
	"fmt"

	"qkdchat/node"
	"qkdchat/ui/widgets"
)

// keyStatus is the status line of a key exchange's outcome, in plain
// words: the key's size and the error rate against the threshold, or why
// no key was made (node.ExplainExchange).
func keyStatus(e node.Event, name string, threshold float64) string {
	if e.Type == node.EventKeyEstablished {
		s := fmt.Sprintf("New %d-bit key with %s", e.KeyBits, name)
		if e.QBER != nil {
			s += fmt.Sprintf(": %s of the photons arrived changed (limit %s)", widgets.FormatPercent(*e.QBER), widgets.FormatPercent(threshold))
		}
		return s + "."
	}
	x := e.Exchange
	if x == nil {
		x = &node.KeyExchange{Reason: e.Reason}
	}
	s := "No new key with " + name + ". " + node.ExplainExchange(x, threshold)
	if x.RetryIn > 0 {
		s += " Trying again in " + node.WaitWords(x.RetryIn) + "."
	}
	return s
}
