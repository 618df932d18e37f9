package qkd

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"qkdchat/qkd/bitvec"
	"strings"
)

// MaxFramePhotons is the most photons one PhotonFrame carries. At three
// bits per photon a full frame is 384 KiB, well below MaxMessageSize.
const MaxFramePhotons = 1 << 20

// PhotonFrame is a batch of photons in flight from Alice to Bob, 64 per
// word: photon i has basis bit i of Basis (1 = X), value bit i of Value
// (the bit it encodes in that basis) and is present unless bit i of Present
// is 0 (lost in the fibre). It is the bulk counterpart of State: photon i is
// the state Prepare(value, basis).
type PhotonFrame struct {
	Start   uint64 // index of the first photon in the run
	Count   int    // number of photons, 1..MaxFramePhotons
	Basis   []uint64
	Value   []uint64
	Present []uint64
}

// Kind reports KindPhotons.
func (*PhotonFrame) Kind() MessageKind { return KindPhotons }

// Photon returns photon i as a two-amplitude state and whether it is
// present (not lost).
func (f *PhotonFrame) Photon(i int) (s State, present bool) {
	return Prepare(bitvec.Get(f.Value, i), Basis(bitvec.Get(f.Basis, i))), bitvec.Get(f.Present, i) == 1
}

// SetPhoton replaces photon i by s, which must be one of the four BB84
// states up to a global phase (as an intercept-resend attack produces).
// It reports an error for any other state, which the bulk model cannot
// hold.
func (f *PhotonFrame) SetPhoton(i int, s State) error {
	for _, b := range [2]Basis{Z, X} {
		for _, v := range [2]uint8{0, 1} {
			if s.Prob(b, v) > 1-1e-9 {
				bitvec.Set(f.Basis, i, uint8(b))
				bitvec.Set(f.Value, i, v)
				return nil
			}
		}
	}
	return fmt.Errorf("qkd: photon %d: state is not a BB84 state", i)
}

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

// preparePhotons draws n random bits and bases (Z with probability pz) for
// Alice, packed.
func preparePhotons(r *rand.Rand, n int, pX fixedProb) (value, basis []uint64) {
	w := bitvec.Words(n)
	value = make([]uint64, w)
	basis = make([]uint64, w)
	for i := 0; i < w; i++ {
		value[i] = r.Uint64()
		basis[i] = bernoulliWord(r, pX)
	}
	bitvec.TailMask(value, n)
	bitvec.TailMask(basis, n)
	return value, basis
}

// channel is the fibre from Alice to Bob: a bit-flip probability (the
// intrinsic error rate, e.g. misalignment) and a transmittance.
type channel struct {
	flip     fixedProb
	transmit fixedProb
}

// fibreTransmittance returns the fraction of photons surviving km of
// fibre at 0.2 dB/km.
func fibreTransmittance(km float64) float64 { return math.Pow(10, -0.2*km/10) }

// apply flips and drops photons of f in place.
func (c channel) apply(f *PhotonFrame, r *rand.Rand) {
	for i := range f.Value {
		f.Value[i] ^= bernoulliWord(r, c.flip)
		f.Present[i] &= bernoulliWord(r, c.transmit)
	}
	bitvec.TailMask(f.Value, f.Count)
	bitvec.TailMask(f.Present, f.Count)
}

// detector is Bob's single-photon detector pair: efficiency and dark-count
// probability per time slot.
type detector struct {
	efficiency fixedProb
	dark       fixedProb
	pX         fixedProb // probability of measuring in X
}

// measure measures frame f into Bob's planes at photon offset off:
// detected, basis (1 = X) and result. A photon measured in its own basis
// gives its value; in the other basis, or on a dark count, the result is a
// fair coin (a dark count coinciding with a photon is a double click,
// which is assigned a random bit).
func (d detector) measure(f *PhotonFrame, r *rand.Rand, off int, detected, basis, result []uint64) {
	for i := 0; i < bitvec.Words(f.Count); i++ {
		bb := bernoulliWord(r, d.pX)
		signal := f.Present[i] & bernoulliWord(r, d.efficiency)
		dark := bernoulliWord(r, d.dark)
		coin := r.Uint64()
		same := ^(bb ^ f.Basis[i])
		res := f.Value[i]&same | coin&^same
		res = res&^dark | coin&dark
		click := signal | dark
		bitvec.PutWord(detected, off+64*i, click&bitvec.LowMask(f.Count-64*i))
		bitvec.PutWord(basis, off+64*i, bb&bitvec.LowMask(f.Count-64*i))
		bitvec.PutWord(result, off+64*i, res&click&bitvec.LowMask(f.Count-64*i))
	}
}

// EveStats is what an intercept-resend attack did to a frame.
type EveStats struct {
	Intercepted  int // photons Eve measured and resent
	BasisMatched int // of those, how many she measured in the photon's basis
}

// EveBasis is how an intercept-resend eavesdropper chooses the basis she
// measures in.
type EveBasis uint8

// The eavesdropper's basis strategies. EveRandom is the textbook attack;
// EveZ and EveX are the attack on biased bases: when Alice and Bob favour
// Z, an Eve who always measures in Z is right most of the time.
const (
	EveRandom EveBasis = iota // a uniformly random basis per photon
	EveZ                      // always Z
	EveX                      // always X
)

func (b EveBasis) String() string {
	switch b {
	case EveRandom:
		return "random"
	case EveZ:
		return "z"
	case EveX:
		return "x"
	}
	return fmt.Sprintf("EveBasis(%d)", uint8(b))
}

// ParseEveBasis parses "random", "z" or "x" (any case).
func ParseEveBasis(s string) (EveBasis, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "random", "":
		return EveRandom, nil
	case "z":
		return EveZ, nil
	case "x":
		return EveX, nil
	}
	return 0, fmt.Errorf("eavesdropper basis %q: want z, x or random", s)
}

// InterceptResend is the intercept-resend attack: Eve measures a Fraction
// of the photons, each in a uniformly random basis (or always in one basis,
// see Basis), and resends the state she found. Where her basis was right she learns the bit and disturbs
// nothing; where it was wrong she learns nothing and Bob's result, in
// Alice's basis, is a coin flip. Attacking every photon therefore gives a
// QBER of 1/4.
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
	return interceptResend(f, r, toFixed(e.Fraction), e.Basis, nil), nil
}

// interceptResend is Apply without checks. If known is not nil, bit i of
// known is set where Eve measured photon i of the frame in its own basis
// and so learned its value (a simulator-only truth).
func interceptResend(f *PhotonFrame, r *rand.Rand, frac fixedProb, basis EveBasis, known []uint64) EveStats {
	var st EveStats
	for i := range f.Value {
		sel := f.Present[i] & bernoulliWord(r, frac) & bitvec.LowMask(f.Count-64*i)
		if sel == 0 {
			continue
		}
		var eb uint64 // Eve's basis, one bit per photon (1 = X)
		switch basis {
		case EveRandom:
			eb = r.Uint64()
		case EveX:
			eb = ^uint64(0)
		}
		coin := r.Uint64()
		same := ^(eb ^ f.Basis[i])
		seen := f.Value[i]&same | coin&^same
		f.Basis[i] = f.Basis[i]&^sel | eb&sel
		f.Value[i] = f.Value[i]&^sel | seen&sel
		st.Intercepted += bits.OnesCount64(sel)
		st.BasisMatched += bits.OnesCount64(sel & same)
		if known != nil {
			known[i] = sel & same
		}
	}
	return st
}
