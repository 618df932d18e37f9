package session

import (
	"time"

	"qkdchat/party"
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
	// EventPresence: a contact came online, went offline, or a redial
	// failed; Presence says which and when the next try is.
	EventPresence EventType = "presence"
)

// Event is one thing that happened in a node. Fields that do not apply to
// the event's type are left zero (and omitted from JSON).
type Event struct {
	Type     EventType  `json:"type"`
	Time     time.Time  `json:"time"`
	Peer     string     `json:"peer,omitempty"` // the peer's key fingerprint
	PeerName string     `json:"peer_name,omitempty"`
	PeerRole party.Role `json:"peer_role,omitempty"`
	Addr     string     `json:"addr,omitempty"`
	Code     string     `json:"code,omitempty"` // the pairing code, shown to the local user only
	Reason   string     `json:"reason,omitempty"`

	// Invite fields (node's invite events): the invite string and link
	// when it is created, shown to the local user only, and its state.
	Invite      string `json:"invite,omitempty"`
	Link        string `json:"link,omitempty"`
	InviteState string `json:"invite_state,omitempty"`

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
	// Presence: a contact's reachability (EventPresence).
	Presence *Presence `json:"presence,omitempty"`
}

// Presence is what is known of a contact's reachability.
type Presence struct {
	Online bool `json:"online"`
	// LastSeen is when a session with the contact last ended, or now
	// while one is live; zero if never.
	LastSeen time.Time `json:"last_seen,omitzero"`
	// Redialling: the contact is wanted (something is queued for it, or
	// a connect runs) and is dialled again at NextTry.
	Redialling bool      `json:"redialling,omitempty"`
	NextTry    time.Time `json:"next_try,omitzero"`
	Failures   int       `json:"failures,omitempty"` // failed dials in a row
	LastError  string    `json:"last_error,omitempty"`
}

// DeliveryState is where an outgoing message is on its way to the peer.
type DeliveryState string

// Delivery states, in order.
const (
	Queued    DeliveryState = "queued"
	Sent      DeliveryState = "sent"
	Delivered DeliveryState = "delivered"
)
