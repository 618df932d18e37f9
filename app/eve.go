package app

import "qkdchat/eve"

// The eavesdropper of the demo lives in package eve; these names keep the
// front ends' vocabulary.
type (
	// Eve is a man in the middle on the quantum link (eve.Eve).
	Eve = eve.Eve
	// EveOptions configure an eavesdropper (eve.Options).
	EveOptions = eve.Options
	// EveStats is what Eve has done so far (eve.Stats).
	EveStats = eve.Stats
)

// NewEve starts an eavesdropper listening; Serve relays.
func NewEve(opts EveOptions) (*Eve, error) { return eve.New(opts) }
