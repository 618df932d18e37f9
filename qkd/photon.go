package qkd

import (
	"fmt"
	"math/rand/v2"

	"qkdchat/qkd/bitvec"
	"qkdchat/qkd/channel"
)

// Basis is a measurement or preparation basis: Z (computational) or X
// (diagonal). It is channel.Basis; qkd names it for its messages, reports
// and callers.
type Basis = channel.Basis

// The two BB84 bases.
const (
	Z = channel.Z
	X = channel.X
)

// MaxFramePhotons is the most photons one PhotonFrame carries. At three
// bits per photon a full frame is 384 KiB, well below MaxMessageSize.
const MaxFramePhotons = 1 << 20

// MaxFramePulses is the most pulses one PulseFrame carries. At a byte of
// photon number and two bits per pulse a full frame is 640 KiB, so it
// fits in a live link's 1 MiB transport frame (transport.DefaultMaxFrame)
// as a full photon frame does; a frame of MaxFramePhotons pulses (1.25
// MiB) would not.
const MaxFramePulses = MaxFramePhotons / 2

// PhotonFrame is a batch of photons in flight from Alice to Bob, the
// message form of a channel.Frame: photon i has basis bit i of Basis
// (1 = X), value bit i of Value (the bit it encodes in that basis) and is
// present unless bit i of Present is 0 (lost in the fibre).
type PhotonFrame struct {
	Start   uint64 // index of the first photon in the run
	Count   int    // number of photons, 1..MaxFramePhotons
	Basis   []uint64
	Value   []uint64
	Present []uint64
}

// Kind reports KindPhotons.
func (*PhotonFrame) Kind() MessageKind { return KindPhotons }

// frame returns the photons as the channel models see them; it shares the
// planes, so the models change f in place.
func (f *PhotonFrame) frame() channel.Frame {
	return channel.Frame{Count: f.Count, Basis: f.Basis, Value: f.Value, Present: f.Present}
}

// Photon returns photon i as a two-amplitude state and whether it is
// present (not lost).
func (f *PhotonFrame) Photon(i int) (s channel.State, present bool) { return f.frame().Photon(i) }

// SetPhoton replaces photon i by s, which must be one of the four BB84
// states up to a global phase (as an intercept-resend attack produces).
// It reports an error for any other state, which the bulk model cannot
// hold.
func (f *PhotonFrame) SetPhoton(i int, s channel.State) error { return f.frame().SetPhoton(i, s) }

func (f *PhotonFrame) validate() error {
	if f.Count < 1 || f.Count > MaxFramePhotons {
		return fmt.Errorf("photon frame: %d photons, want 1..%d", f.Count, MaxFramePhotons)
	}
	w := bitvec.Words(f.Count)
	if len(f.Basis) != w || len(f.Value) != w || len(f.Present) != w {
		return fmt.Errorf("photon frame: %d photons need %d words per plane", f.Count, w)
	}
	return nil
}

// EveStats is what an intercept-resend attack did to a frame.
type EveStats = channel.EveStats

// EveBasis is how an intercept-resend eavesdropper chooses the basis she
// measures in (channel.EveBasis).
type EveBasis = channel.EveBasis

// The eavesdropper's basis strategies (see channel.EveRandom).
const (
	EveRandom = channel.EveRandom // a uniformly random basis per photon
	EveZ      = channel.EveZ      // always Z
	EveX      = channel.EveX      // always X
)

// ParseEveBasis parses "random", "z" or "x" (any case).
func ParseEveBasis(s string) (EveBasis, error) { return channel.ParseEveBasis(s) }

// Attack is the eavesdropper's attack on a pulsed link (channel.Attack).
type Attack = channel.Attack

// The attacks (see channel.AttackPNS).
const (
	AttackInterceptResend = channel.AttackInterceptResend // measure and resend a fraction (Channel.Eve)
	AttackPNS             = channel.AttackPNS             // photon-number splitting
	AttackBeamSplit       = channel.AttackBeamSplit       // keep the photons the fibre would lose
)

// ParseAttack parses "intercept-resend", "pns" or "beam-splitting".
func ParseAttack(s string) (Attack, error) { return channel.ParseAttack(s) }

// InterceptResend is the intercept-resend attack: Eve measures a Fraction
// of the photons, each in a uniformly random basis (or always in one
// basis, see Basis), and resends the state she found (see
// channel.InterceptResend). Attacking every photon gives a QBER of 1/4.
type InterceptResend struct {
	Fraction float64  // in [0, 1]
	Basis    EveBasis // how she picks her basis; the zero value is EveRandom
}

// Apply attacks frame f in place, drawing from r. Lost photons are not
// attacked. It reports an error for a fraction outside [0,1] or a
// malformed frame.
func (e *InterceptResend) Apply(f *PhotonFrame, r *rand.Rand) (EveStats, error) {
	if !(e.Fraction >= 0 && e.Fraction <= 1) {
		return EveStats{}, fmt.Errorf("qkd: intercept-resend fraction %v outside [0,1]", e.Fraction)
	}
	if e.Basis > EveX {
		return EveStats{}, fmt.Errorf("qkd: intercept-resend basis %v unknown", e.Basis)
	}
	if err := f.validate(); err != nil {
		return EveStats{}, fmt.Errorf("qkd: %w", err)
	}
	return channel.InterceptResend(f.frame(), r, channel.ToFixed(e.Fraction), e.Basis, nil), nil
}
