package channel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"qkdchat/qkd/bitvec"
	"qkdchat/qkd/keyrate"
)

// Attack is the eavesdropper's strategy on a pulsed link.
type Attack uint8

// The attacks on pulses.
const (
	AttackInterceptResend Attack = iota // measure and resend (Fraction of the pulses)
	AttackPNS                           // photon-number splitting
	AttackBeamSplit                     // keep the photons the fibre would lose
)

func (a Attack) String() string {
	switch a {
	case AttackInterceptResend:
		return "intercept-resend"
	case AttackPNS:
		return "pns"
	case AttackBeamSplit:
		return "beam-splitting"
	}
	return fmt.Sprintf("Attack(%d)", uint8(a))
}

// ParseAttack parses "intercept-resend", "pns" or "beam-splitting".
func ParseAttack(s string) (Attack, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "intercept-resend", "":
		return AttackInterceptResend, nil
	case "pns":
		return AttackPNS, nil
	case "beam-splitting":
		return AttackBeamSplit, nil
	}
	return 0, fmt.Errorf("attack %q: want intercept-resend, pns or beam-splitting", s)
}

// InterceptPulses is intercept-resend on pulses, in place: Eve measures
// each non-empty pulse with probability frac in the basis her strategy
// picks and resends a pulse of the same photon number in the state she
// found. Bit i of known is set where she measured pulse i in its own
// basis.
func InterceptPulses(p Pulses, r *rand.Rand, frac float64, basis EveBasis, known []uint64) EveStats {
	var st EveStats
	for i := 0; i < p.Count; i++ {
		if p.Photons[i] == 0 || r.Float64() >= frac {
			continue
		}
		eb := uint8(r.Uint64() & 1)
		switch basis {
		case EveZ:
			eb = 0
		case EveX:
			eb = 1
		}
		st.Intercepted++
		if eb == bitvec.Get(p.Basis, i) {
			st.BasisMatched++
			bitvec.Set(known, i, 1)
			continue
		}
		bitvec.Set(p.Basis, i, eb)
		bitvec.Set(p.Value, i, uint8(r.Uint64()&1))
	}
	return st
}

// PNS is the photon-number-splitting attack, planned for a link of
// transmittance Transmit (the fibre) to a detector of efficiency DetEff
// and a source of signal intensity Mean. Eve replaces the fibre by a
// lossless one. She keeps one photon of every multi-photon pulse and
// forwards the rest; she blocks single-photon pulses, and passes just
// enough pulses that Bob's expected detection rate of the signal is what
// the fibre would give: single photons with probability PassSingle,
// multi-photon pulses with PassMulti. She measures her photons once the
// bases are announced, so she knows the bit of every multi-photon pulse
// she forwarded, and disturbs nothing.
type PNS struct {
	PassSingle, PassMulti float64
}

// PlanPNS computes Eve's pass probabilities. Without her, a signal pulse
// is detected with probability D = 1 - e^(-eta mu), eta = Transmit DetEff
// (dark counts aside). Multi-photon pulses forwarded with n-1 photons are
// detected with probability M = sum_{n>=2} P_mu(n) [1 - (1-DetEff)^(n-1)].
// If M >= D she blocks every single photon and passes multi-photon pulses
// with probability D/M; otherwise she passes them all and lets through
// the fraction (D - M)/(P_mu(1) DetEff) of single photons.
func PlanPNS(mean, transmit, detEff float64) PNS {
	d := -math.Expm1(-transmit * detEff * mean)
	// M = sum_{n>=2} P(n) - sum_{n>=2} P(n) (1-DetEff)^(n-1).
	p1 := mean * math.Exp(-mean)
	var m float64
	if detEff >= 1 {
		m = keyrate.MultiPhoton(mean)
	} else {
		// sum_{n>=1} P(n) (1-e)^(n-1) = (e^(-mu e) - e^-mu)/(1-e).
		m = keyrate.MultiPhoton(mean) - ((math.Exp(-mean*detEff)-math.Exp(-mean))/(1-detEff) - p1)
	}
	if m >= d {
		return PNS{PassSingle: 0, PassMulti: d / m}
	}
	return PNS{PassSingle: math.Min(1, (d-m)/(p1*detEff)), PassMulti: 1}
}

// Apply attacks p in place; bit i of known is set where Eve kept a photon
// of a pulse she forwarded.
func (a PNS) Apply(p Pulses, r *rand.Rand, known []uint64) EveStats {
	var st EveStats
	for i := 0; i < p.Count; i++ {
		switch n := p.Photons[i]; {
		case n == 0:
		case n == 1:
			if r.Float64() >= a.PassSingle {
				p.Photons[i] = 0
			}
		default:
			if r.Float64() >= a.PassMulti {
				p.Photons[i] = 0
				continue
			}
			p.Photons[i] = n - 1
			st.Intercepted++
			st.BasisMatched++
			bitvec.Set(known, i, 1)
		}
	}
	return st
}

// BeamSplit is the beam-splitting attack, in place: Eve replaces the fibre
// of transmittance transmit by a lossless one and a beam splitter that
// sends each photon on to Bob with probability transmit and to her
// otherwise, so Bob sees exactly the fibre's statistics. Bit i of known is
// set where she holds at least one photon of pulse i (she measures it
// once the bases are announced).
func BeamSplit(p Pulses, r *rand.Rand, transmit float64, known []uint64) EveStats {
	var st EveStats
	for i := 0; i < p.Count; i++ {
		n := p.Photons[i]
		k := thin(r, n, transmit)
		p.Photons[i] = k
		if k < n {
			st.Intercepted++
			st.BasisMatched++
			bitvec.Set(known, i, 1)
		}
	}
	return st
}
