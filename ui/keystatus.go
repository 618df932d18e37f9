package ui

import (
	"fmt"

	"qkdchat/app"
	"qkdchat/ui/widgets"
)

// keyStatus is the status line of a key exchange's outcome, in plain
// words: the key's size and the error rate against the threshold, or why
// no key was made (app.ExplainExchange).
func keyStatus(e app.Event, name string, threshold float64) string {
	if e.Type == app.EventKeyEstablished {
		s := fmt.Sprintf("New %d-bit key with %s", e.KeyBits, name)
		if e.QBER != nil {
			s += fmt.Sprintf(": %s of the photons arrived changed (limit %s)", widgets.FormatPercent(*e.QBER), widgets.FormatPercent(threshold))
		}
		return s + "."
	}
	x := e.Exchange
	if x == nil {
		x = &app.KeyExchange{Reason: e.Reason}
	}
	return "No new key with " + name + ". " + app.ExplainExchange(x, threshold)
}
