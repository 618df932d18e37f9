package tally

import (
	"fmt"
	"strings"
	"testing"
)

// step is one thing a console sees: a line read, its Send returning an ID
// ("" for a failure before an ID), or an acknowledgement of an ID.
type step struct {
	op string // "read", "sent", "ack"
	id string
}

func TestLineTallyOrderOfEventsDoesNotMatter(t *testing.T) {
	for _, tc := range []struct {
		name      string
		steps     []step
		wantCount int      // 0: settled
		wantIDs   []string // not acknowledged
		notSent   int
	}{
		{"send returns, then ack", []step{{"read", ""}, {"sent", "a"}, {"ack", "a"}}, 0, nil, 0},
		{"ack overtakes send's return", []step{{"read", ""}, {"ack", "a"}, {"sent", "a"}}, 0, nil, 0},
		{"two lines, acks cross", []step{{"read", ""}, {"sent", "a"}, {"read", ""}, {"ack", "b"}, {"ack", "a"}, {"sent", "b"}}, 0, nil, 0},
		{"never acknowledged", []step{{"read", ""}, {"sent", "a"}, {"read", ""}, {"sent", "b"}, {"ack", "b"}}, 1, []string{"a"}, 0},
		{"send failed before an ID", []step{{"read", ""}, {"sent", ""}}, 1, nil, 1},
		{"still in Send", []step{{"read", ""}, {"sent", "a"}, {"ack", "a"}, {"read", ""}}, 1, nil, 1},
		{"ack of another message does not count", []step{{"read", ""}, {"ack", "x"}, {"sent", "a"}}, 1, []string{"a"}, 0},
		{"ack of another message with nothing in flight", []step{{"ack", "x"}, {"read", ""}, {"sent", "x"}}, 1, []string{"x"}, 0},
		{"duplicate ack counts once", []step{{"read", ""}, {"sent", "a"}, {"ack", "a"}, {"ack", "a"}, {"read", ""}, {"sent", "b"}}, 1, []string{"b"}, 0},
		{"nothing read", nil, 0, nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tl := NewLines()
			play(&tl, tc.steps)
			err := tl.Outcome("the session ended", nil)
			if tc.wantCount == 0 {
				if err != nil || !tl.Settled() {
					t.Fatalf("outcome %v, want settled", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("outcome nil, want %d not acknowledged", tc.wantCount)
			}
			if err.Count != tc.wantCount || strings.Join(err.MessageIDs, ",") != strings.Join(tc.wantIDs, ",") || err.NotSent != tc.notSent {
				t.Errorf("outcome %+v, want count %d IDs %v not sent %d", err, tc.wantCount, tc.wantIDs, tc.notSent)
			}
		})
	}
}

// TestLineTallyEveryOrderOfManyLines runs every interleaving of the three
// events of two lines where each line's ack follows its read (the ack can
// only come once the message is on the wire, which is after the read).
func TestLineTallyEveryOrderOfManyLines(t *testing.T) {
	events := []step{{"read", "a"}, {"sent", "a"}, {"ack", "a"}, {"read", "b"}, {"sent", "b"}, {"ack", "b"}}
	count := 0
	var permute func(done []bool, order []step)
	permute = func(done []bool, order []step) {
		if len(order) == len(events) {
			count++
			tl := NewLines()
			play(&tl, order)
			if err := tl.Outcome("", nil); err != nil {
				t.Errorf("order %v: %v", order, err)
			}
			return
		}
		for i, e := range events {
			if done[i] {
				continue
			}
			// A line's Send returns, and its ack comes, only after the
			// line was read; the two may come in either order.
			if e.op != "read" && !done[i-indexInLine(e.op)] {
				continue
			}
			done[i] = true
			permute(done, append(order, e))
			done[i] = false
		}
	}
	permute(make([]bool, len(events)), nil)
	if count == 0 {
		t.Fatal("no order tried")
	}
}

func indexInLine(op string) int {
	switch op {
	case "sent":
		return 1
	case "ack":
		return 2
	}
	return 0
}

func TestNotDeliveredErrorNamesCountAndIDs(t *testing.T) {
	tl := NewLines()
	for _, id := range []string{"b", "a", ""} {
		tl.LineRead()
		tl.SendReturned(id)
	}
	err := tl.Outcome("the session with Hospital ended", []string{"q"})
	want := "the session with Hospital ended: 4 message(s) not acknowledged: a, b, q (1 line(s) never sent)"
	if err == nil || err.Error() != want {
		t.Fatalf("error %q, want %q", err, want)
	}
	if got := (&NotDeliveredError{Reason: "key exchange aborted"}).Error(); got != "key exchange aborted" {
		t.Errorf("with nothing read: %q", got)
	}
}

// TestLineTallyBogusAcksBounded: a peer that acknowledges message IDs it
// was never sent, while a Send is stalled (it can withhold the key), must
// not grow the console's memory without bound; the tally still settles the
// line whose acknowledgement comes after its Send returned.
func TestLineTallyBogusAcksBounded(t *testing.T) {
	tl := NewLines()
	tl.LineRead()
	for i := range 5 * maxEarlyAcks {
		tl.Acknowledged(fmt.Sprintf("bogus-%d", i))
	}
	if len(tl.early) > maxEarlyAcks {
		t.Fatalf("%d early acknowledgements kept, want at most %d", len(tl.early), maxEarlyAcks)
	}
	tl.SendReturned("real")
	tl.Acknowledged("real")
	if !tl.Settled() || len(tl.early) != 0 {
		t.Fatalf("after the real acknowledgement: settled %v, %d early kept", tl.Settled(), len(tl.early))
	}
}

// play feeds steps to tl as connect's reader, sender and ack handler do.
func play(tl *Lines, steps []step) {
	for _, s := range steps {
		switch s.op {
		case "read":
			tl.LineRead()
		case "sent":
			tl.SendReturned(s.id)
		case "ack":
			tl.Acknowledged(s.id)
		}
	}
}
