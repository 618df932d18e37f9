package app

import (
	"qkdchat/delivery"
	"qkdchat/session"
)

// A node's peer sessions are package session's, and their reliable
// delivery package delivery's; these names keep the front ends'
// vocabulary.
type (
	// Session is a live, authenticated connection to one peer.
	Session = session.Session
	// Message is one message as the user sees it, sent or received.
	Message = session.Message
	// KeyExchange is the outcome of one BB84 exchange in a session.
	KeyExchange = session.KeyExchange
	// BB84Settings are the key exchange parameters of a node.
	BB84Settings = session.BB84Settings
	// ExchangePlan is how Alice sized an exchange.
	ExchangePlan = session.ExchangePlan
	// PlanSource says where an exchange's design QBER came from.
	PlanSource = session.PlanSource
	// PlanError is a plan that asks for more photons than one exchange may send.
	PlanError = session.PlanError
)

// Where a plan's design QBER came from (see session.PlanSource).
const (
	PlanConfigured  = session.PlanConfigured
	PlanCalibration = session.PlanCalibration
	PlanMeasured    = session.PlanMeasured
	PlanProbe       = session.PlanProbe
)

// Why a received token is refused.
var (
	ErrTampered = session.ErrTampered
	ErrExpired  = session.ErrExpired
	ErrFuture   = session.ErrFuture
	ErrReplay   = session.ErrReplay
	ErrTooOld   = session.ErrTooOld
)

// PlanExchange returns how Alice would plan an exchange under settings b
// after the exchanges past (see session.PlanExchange).
func PlanExchange(b BB84Settings, past []*KeyExchange) (ExchangePlan, error) {
	return session.PlanExchange(b, past)
}

// newMessageID returns a random 128-bit message ID in hex.
func newMessageID() string { return session.NewMessageID() }

// derivedMessageID is the ID of a message made because of another one
// (see delivery.DerivedMessageID).
func derivedMessageID(purpose, id string) string { return delivery.DerivedMessageID(purpose, id) }
