package channel

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
	"strings"

	"qkdchat/qkd/bitvec"
)

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

// InterceptResend is the intercept-resend attack on frame f, in place:
// Eve measures each present photon with probability frac, in the basis
// her strategy picks, and resends the state she found. Where her basis was
// right she learns the bit and disturbs nothing; where it was wrong she
// learns nothing and Bob's result, in Alice's basis, is a coin flip.
// Attacking every photon therefore gives a QBER of 1/4. If known is not
// nil, bit i of known is set where Eve measured photon i in its own basis
// and so learned its value (a simulator-only truth). The frame must be
// well formed.
func InterceptResend(f Frame, r *rand.Rand, frac Fixed, basis EveBasis, known []uint64) EveStats {
	var st EveStats
	for i := range f.Value {
		sel := f.Present[i] & BernoulliWord(r, frac) & bitvec.LowMask(f.Count-64*i)
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
