package tally

import (
	"fmt"
	"sort"
	"strings"
)

// Lines accounts for the chat lines a console reads, by message ID.
// A line counts as delivered only when the peer's acknowledgement of its
// message ID has arrived. Send returning the ID and the delivery event
// reach the console on different goroutines, so either may come first:
// the tally gives the same answer in both orders.
type Lines struct {
	read      int                 // lines taken for sending
	delivered int                 // lines whose message the peer acknowledged
	unsent    int                 // lines whose Send failed before the message had an ID
	waiting   map[string]struct{} // IDs Send returned, not acknowledged yet
	early     map[string]struct{} // IDs acknowledged while Send calls were still running
}

func NewLines() Lines {
	return Lines{waiting: map[string]struct{}{}, early: map[string]struct{}{}}
}

// maxEarlyAcks bounds the acknowledgements kept for IDs no Send has
// returned yet: a peer can acknowledge IDs it was never sent, and only as
// many as there are Send calls in flight can be genuine. Past it a new one
// is dropped; a genuine one lost so (only under such a flood) makes its
// line count as not acknowledged, never the reverse.
const maxEarlyAcks = 1024

// inFlight counts the lines whose Send call has not returned yet.
func (t *Lines) InFlight() int {
	return t.read - t.delivered - t.unsent - len(t.waiting)
}

// lineRead notes a line about to be sent.
func (t *Lines) LineRead() { t.read++ }

// sendReturned notes the end of a line's Send call: id is the message ID it
// returned ("" if it failed before making one). A message that Send
// returned with an error may still have gone out, so it waits for its
// acknowledgement like any other.
func (t *Lines) SendReturned(id string) {
	switch _, acked := t.early[id]; {
	case id == "":
		t.unsent++
	case acked:
		delete(t.early, id)
		t.delivered++
	default:
		t.waiting[id] = struct{}{}
	}
	if t.InFlight() == 0 {
		// Whatever is left was acknowledged for a message that is not
		// one of these lines (a workflow message, say).
		clear(t.early)
	}
}

// acknowledged notes the peer's acknowledgement of message id.
func (t *Lines) Acknowledged(id string) {
	if _, ok := t.waiting[id]; ok {
		delete(t.waiting, id)
		t.delivered++
		return
	}
	if t.InFlight() > 0 && len(t.early) < maxEarlyAcks {
		t.early[id] = struct{}{}
	}
}

// settled reports whether every line read has been acknowledged.
func (t *Lines) Settled() bool { return t.read == t.delivered }

// busy reports whether a Send call is still running.
func (t *Lines) Busy() bool { return t.InFlight() > 0 }

// outcome returns nil when every line read (and every message of queued,
// the IDs still in the node's outbox) was acknowledged; otherwise a
// *NotDeliveredError saying why (reason) and naming what was not.
func (t *Lines) Outcome(reason string, queued []string) *NotDeliveredError {
	if t.Settled() && len(queued) == 0 {
		return nil
	}
	ids := make([]string, 0, len(t.waiting)+len(queued))
	for id := range t.waiting {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	others := 0 // queued messages that are not lines (lines go through the outbox too)
	for _, id := range queued {
		if _, line := t.waiting[id]; !line {
			ids = append(ids, id)
			others++
		}
	}
	return &NotDeliveredError{
		Reason:     reason,
		Count:      t.read - t.delivered + others,
		MessageIDs: ids,
		NotSent:    t.unsent + t.InFlight(),
	}
}

// NotDeliveredError is why connect exits 1: some of what it read was not
// acknowledged by the peer, or no key could be made.
type NotDeliveredError struct {
	Reason     string   // what ended the wait ("" if only the count matters)
	Count      int      // lines (and queued messages) not acknowledged
	MessageIDs []string // those that were given an ID (sent, or queued in the outbox)
	NotSent    int      // lines that never became a message
}

func (e *NotDeliveredError) Error() string {
	var b strings.Builder
	b.WriteString(e.Reason)
	if e.Count == 0 {
		return b.String()
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	fmt.Fprintf(&b, "%d message(s) not acknowledged", e.Count)
	if len(e.MessageIDs) > 0 {
		b.WriteString(": " + strings.Join(e.MessageIDs, ", "))
	}
	if e.NotSent > 0 {
		fmt.Fprintf(&b, " (%d line(s) never sent)", e.NotSent)
	}
	return b.String()
}
