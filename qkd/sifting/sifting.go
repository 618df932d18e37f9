package sifting

import (
	"qkdchat/qkd/channel"
	"qkdchat/qkd/finitekey"
)

// Key is one side's sifted string.
type Key interface {
	// Counts returns the detected slots, the slots whose bases agree and
	// the sifted slots (both), trace included.
	Counts() (detected, matches, sifted int)
	// PoolLen is the number of sifted slots from the trace on.
	PoolLen() int
	// CountBasis counts the pool positions whose basis is b.
	CountBasis(b channel.Basis) int
	// Disclose derives the sample from seed and the plan and returns this
	// side's sample bits, in the order they are sent.
	Disclose(seed [32]byte, p finitekey.Plan) []uint64
	// SampleErrors counts the differing sample bits by basis.
	SampleErrors(aBits, bBits []uint64) finitekey.SampleErrors
	// Record fixes the key positions, the pool minus the sample, after
	// Disclose; EveKnown counts nothing before it.
	Record()
	// RawKey returns this side's key, after Record.
	RawKey() []uint64
	// EveKnown counts the key positions whose slot is set in eve, a plane
	// over the slots (a simulator's truth); 0 for nil.
	EveKnown(eve []uint64) int
}

// TrueErrors counts the sifted slots, trace included, in which Alice's
// and Bob's bits differ, a simulator's truth. sifted is 0 unless both are
// of the same kind and have the same number of sifted slots, at least
// one.
func TrueErrors(a, b Key) (errs, sifted int) {
	switch a := a.(type) {
	case *Packed:
		if b, ok := b.(*Packed); ok {
			return a.trueErrors(b)
		}
	case *Reference:
		if b, ok := b.(*Reference); ok {
			return a.trueErrors(b)
		}
	}
	return 0, 0
}
