package node

import "qkdchat/session"

// The events of a node are package session's: these names keep the
// front ends' vocabulary.
type (
	// Event is one thing that happened in a node.
	Event = session.Event
	// EventType names what an Event reports.
	EventType = session.EventType
	// DeliveryState is where an outgoing message is on its way to the peer.
	DeliveryState = session.DeliveryState
)

// The events of a node (see session.Event).
const (
	EventListening            = session.EventListening
	EventConnecting           = session.EventConnecting
	EventPaired               = session.EventPaired
	EventPairingFailed        = session.EventPairingFailed
	EventDisconnected         = session.EventDisconnected
	EventKeyProgress          = session.EventKeyProgress
	EventKeyEstablished       = session.EventKeyEstablished
	EventKeyAborted           = session.EventKeyAborted
	EventMessage              = session.EventMessage
	EventMessageSent          = session.EventMessageSent
	EventDelivery             = session.EventDelivery
	EventRejected             = session.EventRejected
	EventLedgerAppend         = session.EventLedgerAppend
	EventCheckpoint           = session.EventCheckpoint
	EventError                = session.EventError
	EventCase                 = session.EventCase
	EventTransfer             = session.EventTransfer
	EventConflict             = session.EventConflict
	EventCheckpointIncomplete = session.EventCheckpointIncomplete
)

// Delivery states, in order.
const (
	Queued    = session.Queued
	Sent      = session.Sent
	Delivered = session.Delivered
)
