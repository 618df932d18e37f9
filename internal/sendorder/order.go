package sendorder

import (
	"context"
	"errors"
	"sync"
)

// Order numbers a session's outgoing messages and puts Send calls on the
// wire in sequence order: concurrent Send calls take sequence numbers in
// order, seal, sign and append concurrently, and then wait for their turn
// (AwaitTurn). The receiver's replay window therefore never sees a message
// overtaken by later ones, however many are in flight.
type Order struct {
	mu      sync.Mutex
	seq     uint64                   // last sequence number taken
	waiting map[uint64]chan struct{} // Send calls not yet on the wire, by sequence number; closed at its turn
	head    uint64                   // no Send call below this is still waiting
}

// ErrDone is AwaitTurn's error when done closes before the turn comes.
var ErrDone = errors.New("session has ended")

// New returns an Order whose first number is 1.
func New() *Order { return &Order{waiting: map[uint64]chan struct{}{}} }

// Next takes the next sequence number, for a message sent outside the
// ordered Send path.
func (o *Order) Next() uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.seq++
	return o.seq
}

// Enter takes the next sequence number for a Send call, which then waits
// for its turn before it goes on the wire.
func (o *Order) Enter() uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.seq++
	o.waiting[o.seq] = make(chan struct{})
	return o.seq
}

// AwaitTurn waits until every Send call with a lower sequence number has
// put its frame on the wire or given up. Only the lowest call in flight is
// woken when the one before it leaves, so a deep pipeline costs O(1) per
// message.
func (o *Order) AwaitTurn(ctx context.Context, seq uint64, done <-chan struct{}) error {
	o.mu.Lock()
	turn, ok := o.waiting[seq]
	if !ok || o.lowestLocked() == seq {
		o.mu.Unlock()
		return nil
	}
	o.mu.Unlock()
	select {
	case <-turn:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-done:
		return ErrDone
	}
}

// lowestLocked returns the lowest sequence number waiting, or 0 if none
// is. Call it with o.mu held.
func (o *Order) lowestLocked() uint64 {
	for o.head <= o.seq {
		if _, ok := o.waiting[o.head]; ok {
			return o.head
		}
		o.head++
	}
	return 0
}

// Leave removes seq from the Send calls in flight and wakes the one whose
// turn it now is.
func (o *Order) Leave(seq uint64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if _, ok := o.waiting[seq]; !ok {
		return
	}
	delete(o.waiting, seq)
	if next := o.lowestLocked(); next != 0 {
		if ch := o.waiting[next]; ch != nil {
			select {
			case <-ch:
			default:
				close(ch)
			}
		}
	}
}
