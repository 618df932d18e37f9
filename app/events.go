package app

import (
	"sync"
	"time"
)

// EventType names what an Event reports.
type EventType string

// The events of a node. The CLI prints them (one JSON line each with
// --json) and the UI renders them.
const (
	EventListening      EventType = "listening"       // Addr, Code
	EventConnecting     EventType = "connecting"      // Addr
	EventPaired         EventType = "paired"          // a peer authenticated (code or pinned key)
	EventPairingFailed  EventType = "pairing_failed"  // Reason
	EventDisconnected   EventType = "disconnected"    // Reason
	EventKeyProgress    EventType = "bb84_progress"   // Phase, Sent, Detected, Sifted, QBER, QBERZ, QBERX
	EventKeyEstablished EventType = "key_established" // Epoch, KeyBits, QBER, QBERZ, QBERX, Report
	EventKeyAborted     EventType = "key_aborted"     // Reason, QBER, QBERZ, QBERX, Report
	EventMessage        EventType = "message"         // Message (received)
	EventMessageSent    EventType = "message_sent"    // Message (sent)
	EventDelivery       EventType = "delivery"        // MessageID, State
	EventRejected       EventType = "rejected"        // Reason: a frame or token refused
	EventLedgerAppend   EventType = "ledger_append"   // TxID, Kind, Index
	EventCheckpoint     EventType = "checkpoint"      // Size, Reason (issued, cosigned by peer, ...)
	EventError          EventType = "error"           // Reason
	EventCase           EventType = "case"            // CaseID, Reason: a telehealth case changed (workflow.go)
	EventTransfer       EventType = "transfer"        // MessageID, Name, Done, Total: attachment progress
	// EventConflict: a peer signed conflicting checkpoints (found here), or
	// the peer refused ours as conflicting (Reported, Reason its words).
	// Kind is the conflict kind, Size the conflicting size. The
	// conflict stands (every later checkpoint of the peer is refused) until
	// the user dismisses it.
	EventConflict EventType = "ledger_conflict"
	// EventCheckpointIncomplete: a session ended without its final
	// checkpoint exchange; Reason says why.
	EventCheckpointIncomplete EventType = "checkpoint_incomplete"
)

// Event is one thing that happened in a node. Fields that do not apply to
// the event's type are left zero (and omitted from JSON).
type Event struct {
	Type     EventType `json:"type"`
	Time     time.Time `json:"time"`
	Peer     string    `json:"peer,omitempty"` // the peer's key fingerprint
	PeerName string    `json:"peer_name,omitempty"`
	PeerRole Role      `json:"peer_role,omitempty"`
	Addr     string    `json:"addr,omitempty"`
	Code     string    `json:"code,omitempty"` // the pairing code, shown to the local user only
	Reason   string    `json:"reason,omitempty"`

	// BB84 fields.
	Phase    string       `json:"phase,omitempty"`
	Epoch    uint32       `json:"epoch,omitempty"`
	Sent     int          `json:"sent,omitempty"`
	Detected int          `json:"detected,omitempty"`
	Sifted   int          `json:"sifted,omitempty"`
	QBER     *float64     `json:"qber,omitempty"`
	QBERZ    *float64     `json:"qber_z,omitempty"` // error rate of the disclosed Z-basis bits
	QBERX    *float64     `json:"qber_x,omitempty"` // error rate of the disclosed X-basis bits
	KeyBits  int          `json:"key_bits,omitempty"`
	Aborted  bool         `json:"aborted,omitempty"`
	Exchange *KeyExchange `json:"exchange,omitempty"`

	// Message fields.
	Message   *Message      `json:"message,omitempty"`
	MessageID string        `json:"message_id,omitempty"`
	State     DeliveryState `json:"state,omitempty"`

	// Ledger fields.
	TxID  string `json:"txid,omitempty"`
	Kind  string `json:"kind,omitempty"`
	Index int64  `json:"index,omitempty"`
	Size  int64  `json:"size,omitempty"`
	// Reported: a ledger_conflict the peer found in our checkpoints.
	Reported bool `json:"reported,omitempty"`

	// Workflow fields (cases and attachment transfers).
	CaseID string `json:"case_id,omitempty"`
	Name   string `json:"name,omitempty"`  // attachment name
	Done   int64  `json:"done,omitempty"`  // bytes transferred so far
	Total  int64  `json:"total,omitempty"` // bytes in the attachment
}

// DeliveryState is where an outgoing message is on its way to the peer.
type DeliveryState string

// Delivery states, in order.
const (
	Queued    DeliveryState = "queued"
	Sent      DeliveryState = "sent"
	Delivered DeliveryState = "delivered"
)

// Hub fans events out to subscribers. Publishing never blocks on a slow
// subscriber: each subscriber has its own unbounded queue, so a UI that
// lags behind a burst of BB84 progress events loses nothing and stalls no
// protocol goroutine.
type Hub struct {
	mu     sync.Mutex
	subs   map[*subscriber]struct{}
	closed bool
}

type subscriber struct {
	mu    sync.Mutex
	cond  *sync.Cond
	queue []Event
	done  bool
	out   chan Event
	quit  chan struct{} // closed by stop, releases a pump blocked on send
}

// NewHub returns an empty hub.
func NewHub() *Hub { return &Hub{subs: map[*subscriber]struct{}{}} }

// Subscribe returns a channel that receives every event published after
// the call, in order, and a function that ends the subscription. The
// channel is closed when the subscription ends or the hub is closed.
func (h *Hub) Subscribe() (<-chan Event, func()) {
	s := &subscriber{out: make(chan Event), quit: make(chan struct{})}
	s.cond = sync.NewCond(&s.mu)
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		close(s.out)
		return s.out, func() {}
	}
	h.subs[s] = struct{}{}
	h.mu.Unlock()
	go s.pump()
	var once sync.Once
	return s.out, func() {
		once.Do(func() {
			h.mu.Lock()
			delete(h.subs, s)
			h.mu.Unlock()
			s.stop()
		})
	}
}

// Publish sends e to every subscriber. A zero Time is set to now.
func (h *Hub) Publish(e Event) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		s.push(e)
	}
}

// Close ends every subscription.
func (h *Hub) Close() {
	h.mu.Lock()
	subs := h.subs
	h.subs = map[*subscriber]struct{}{}
	h.closed = true
	h.mu.Unlock()
	for s := range subs {
		s.stop()
	}
}

func (s *subscriber) push(e Event) {
	s.mu.Lock()
	if !s.done {
		s.queue = append(s.queue, e)
		s.cond.Signal()
	}
	s.mu.Unlock()
}

func (s *subscriber) stop() {
	s.mu.Lock()
	if !s.done {
		s.done = true
		close(s.quit)
		s.cond.Signal()
	}
	s.mu.Unlock()
}

// pump delivers queued events in order until the subscription stops, then
// closes the channel.
func (s *subscriber) pump() {
	defer close(s.out)
	for {
		s.mu.Lock()
		for len(s.queue) == 0 && !s.done {
			s.cond.Wait()
		}
		if s.done {
			s.mu.Unlock()
			return
		}
		e := s.queue[0]
		s.queue[0] = Event{}
		s.queue = s.queue[1:]
		s.mu.Unlock()
		select {
		case s.out <- e:
		case <-s.quit:
			return
		}
	}
}
