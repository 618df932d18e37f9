package demo

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"qkdchat/qkd"
	"qkdchat/qkd/keyrate"
)

// GalleryAttack is the eavesdropper of the attack gallery.
type GalleryAttack int

// The gallery's attacks.
const (
	AttackNone GalleryAttack = iota
	AttackInterceptResend
	AttackPNS
	AttackBeamSplitting
)

// GalleryAttacks names the attacks in the gallery's order.
var GalleryAttacks = []string{"none", "intercept-resend", "photon-number splitting (PNS)", "beam splitting"}

func (a GalleryAttack) String() string {
	if a < 0 || int(a) >= len(GalleryAttacks) {
		return fmt.Sprintf("attack(%d)", int(a))
	}
	return GalleryAttacks[a]
}

// GallerySettings are the gallery's controls.
type GallerySettings struct {
	Attack GalleryAttack
	Laser  bool // weak laser pulses; false: an ideal single-photon source
	Decoys bool // laser only: vacuum+weak decoy states
	// Unsafe (laser without decoys only) treats every detection as a
	// single photon: the UNSAFE assumption a PNS attack exploits.
	Unsafe  bool
	FiberKm float64
}

// Gallery link: a 3% misalignment and a 1e-5 dark count, as in qkd's
// PNS tests; galleryPulses per run keeps a run near a second.
const (
	galleryPulses       = 2_000_000
	galleryDark         = 1e-5
	galleryMisalignment = 0.03
	// GalleryMaxKm is the fibre slider's end.
	GalleryMaxKm = 100
)

// GalleryOutcome is what a gallery run shows.
type GalleryOutcome struct {
	Settings GallerySettings
	Key      bool // Alice and Bob made a key
	KeyBits  int
	EveKnows int // bits of the final key Eve knows (the simulator knows)
	QBER     float64
	Caught   bool // the run aborted because of what it measured
	// Headline and Detail say the outcome in words for a student.
	Headline, Detail string
	// ModelRate is qkd/keyrate's asymptotic rate per pulse for the
	// setting at this distance (the curve's operating point); Measured is
	// the run's key bits per pulse.
	ModelRate, Measured float64
	Report              *qkd.Report
}

// Setting is the key-rate curve the settings lie on.
func (s GallerySettings) Setting() keyrate.Setting {
	switch {
	case !s.Laser:
		return keyrate.SinglePhoton
	case s.Decoys:
		return keyrate.VacuumWeak
	}
	return keyrate.NoDecoy
}

// UnsafeMode reports whether the run assumes single photons of a laser.
func (s GallerySettings) UnsafeMode() bool { return s.Laser && !s.Decoys && s.Unsafe }

// Config is the simulator configuration of the settings.
func (s GallerySettings) Config(seed uint64) qkd.Config {
	ch := qkd.Channel{FiberKm: s.FiberKm, DarkCount: galleryDark, Misalignment: galleryMisalignment}
	switch s.Attack {
	case AttackInterceptResend:
		ch.Eve = 1
	case AttackPNS:
		ch.Attack = qkd.AttackPNS
	case AttackBeamSplitting:
		ch.Attack = qkd.AttackBeamSplit
	}
	src := qkd.Source{Laser: s.Laser, Decoys: s.Laser && s.Decoys, AssumeSingle: s.UnsafeMode(),
		Mu: qkd.DefaultMu, Nu: qkd.DefaultNu, PWeak: qkd.DefaultPDecoy, PVac: qkd.DefaultPDecoy}
	return qkd.Config{Channel: ch, Protocol: qkd.Protocol{Qubits: galleryPulses, Source: src}, Seed: &seed}
}

// GalleryModel is the analytic link of the gallery's curve.
func GalleryModel() keyrate.Model {
	return keyrate.Model{Link: keyrate.Link{LossDBPerKm: 0.2, DetectorEfficiency: 1, DarkCount: galleryDark,
		Misalignment: galleryMisalignment, ECEfficiency: keyrate.GYS().ECEfficiency}}
}

// RunGallery simulates one run of the settings and says what happened.
func RunGallery(ctx context.Context, s GallerySettings, seed uint64) (GalleryOutcome, error) {
	return runGallery(ctx, s, seed, nil)
}

// runGallery is RunGallery reporting to progress (qkd.Config.Progress)
// when it is not nil.
func runGallery(ctx context.Context, s GallerySettings, seed uint64, progress func(qkd.Progress)) (GalleryOutcome, error) {
	if !(s.FiberKm >= 0 && s.FiberKm <= GalleryMaxKm) {
		return GalleryOutcome{}, fmt.Errorf("demo: gallery: fibre %v km outside [0, %d]", s.FiberKm, GalleryMaxKm)
	}
	o := GalleryOutcome{Settings: s, ModelRate: GalleryModel().Best(s.Setting(), s.FiberKm).Rate}
	cfg := s.Config(seed)
	cfg.Progress = progress
	rep, err := qkd.Simulate(ctx, cfg)
	if rep == nil {
		return o, fmt.Errorf("demo: gallery run: %w", err)
	}
	o.Report, o.QBER = rep, rep.QBEREstimate
	switch {
	case err == nil:
		o.Key, o.KeyBits, o.EveKnows = true, rep.KeyBits, rep.EveFinalInfoBits
		o.Measured = float64(rep.KeyBits) / float64(max(1, rep.QubitsSent))
	case errors.Is(err, qkd.ErrAbortedQBER), errors.Is(err, qkd.ErrNotEnoughKey), errors.Is(err, qkd.ErrVerificationFailed):
		o.Caught = s.Attack != AttackNone
	default:
		return o, fmt.Errorf("demo: gallery run: %w", err)
	}
	o.Headline, o.Detail = galleryWords(o, err)
	return o, nil
}

// galleryWords is the outcome in words.
func galleryWords(o GalleryOutcome, err error) (headline, detail string) {
	s, r := o.Settings, o.Report
	unsafe := ""
	if s.UnsafeMode() {
		unsafe = "UNSAFE (every detection assumed a single photon): "
	}
	bound := ""
	if r.Report != nil && r.Verdict != "" {
		bound = " " + strings.ToUpper(r.Verdict[:1]) + r.Verdict[1:] + "."
	}
	qber := fmt.Sprintf("QBER %.1f%%", 100*o.QBER)
	switch {
	case o.Key && s.Attack != AttackNone && o.EveKnows > o.KeyBits/2:
		return unsafe + fmt.Sprintf("Eve wins: a %d-bit key, and she knows %d bits of it", o.KeyBits, o.EveKnows),
			fmt.Sprintf("%s, no higher than without her: Alice and Bob see nothing wrong.%s", qber, bound)
	case o.Key && s.Attack != AttackNone:
		return unsafe + fmt.Sprintf("Key made (%d bits); Eve knows %d bits of it", o.KeyBits, o.EveKnows),
			fmt.Sprintf("%s. Privacy amplification removed what Eve learned.%s", qber, bound)
	case o.Key:
		return unsafe + fmt.Sprintf("Key made: %d bits", o.KeyBits), qber + "." + bound
	case errors.Is(err, qkd.ErrAbortedQBER):
		return "Caught: the error rate is too high", fmt.Sprintf("%s, above the %.0f%% threshold: Eve's measurements disturbed the photons.", qber, 100*qkd.DefaultThreshold)
	case s.Laser && s.Decoys && s.Attack == AttackPNS:
		return "Caught by the decoys: no key", fmt.Sprintf("%s looks normal, but the decoy pulses' gains give Eve away.%s", qber, bound)
	case s.Laser && !s.Decoys && !s.Unsafe:
		return "No key: without decoys the bound must assume Eve holds every multi-photon pulse", qber + "." + bound
	}
	return "No key: the link is too long or too noisy for this many pulses", qber + "." + bound
}
