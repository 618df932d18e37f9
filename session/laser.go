package session

import (
	"errors"
	"fmt"

	"qkdchat/qkd"
)

// validateSource reports a source, decoy or attack setting that does not
// fit the others, in words.
func (b BB84Settings) validateSource() error {
	switch {
	case !(b.Mu >= 0 && b.Mu <= 2):
		return fmt.Errorf("mean photon number mu %g is not between 0 and 2", b.Mu)
	case !b.Laser && b.Mu != 0:
		return fmt.Errorf("mean photon number mu %g applies to a laser source (wcp) only", b.Mu)
	case !b.Laser && b.Decoys:
		return errors.New("decoy states need a laser source (wcp): single photons have no intensities to vary")
	case b.Attack > qkd.AttackBeamSplit:
		return fmt.Errorf("unknown attack %v: want intercept-resend, pns or beam-splitting", b.Attack)
	case !b.Laser && b.Attack != qkd.AttackInterceptResend:
		return fmt.Errorf("the %v attack needs a laser source (wcp): single photons cannot be split", b.Attack)
	case b.Eve > 0 && b.Attack != qkd.AttackInterceptResend:
		return fmt.Errorf("the eavesdropper fraction applies to intercept-resend only, not to the %v attack", b.Attack)
	case b.Laser && b.Decoys && b.Mu != 0 && b.Mu <= qkd.DefaultNu:
		return fmt.Errorf("mean photon number mu %g must be above the weak decoy's %g", b.Mu, qkd.DefaultNu)
	}
	return nil
}

// source is the qkd source b describes (defaults for the decoys).
func (b BB84Settings) source() qkd.Source {
	if !b.Laser {
		return qkd.Source{}
	}
	return qkd.Source{Laser: true, Mu: b.Mu, Decoys: b.Decoys}
}

// maxExchangePulses bounds the pulses of one laser exchange, as
// maxExchangeQubits bounds photons: two nodes over 127.0.0.1 move about
// 0.8 million pulses a second on a loaded 2-core machine (8.7 million, a
// 256-bit key at 75 km with decoys, in 10.6 s), so this many fit in
// exchangeTimeout. Without decoys no 256-bit key is possible beyond
// about 27 km at any number of pulses.
const maxExchangePulses = 1 << 24

// maxBobRun is the largest run Bob accepts from his peer: what no honest
// plan exceeds (maxExchangePulses, above maxExchangeQubits). A peer that
// asks for more is refused before the first pulse.
const maxBobRun = max(maxExchangePulses, maxExchangeQubits)

// planPulses sizes a laser exchange as simulate does: qkd.RequiredPulses
// (the decoy planner) on the link's calibration, the fibre, detector and
// intrinsic noise the parties know, never Eve or her attack; then a tenth
// more, as for single photons. A link on which no key is possible, or
// only with more than maxExchangePulses, is a *PlanError that says so.
func planPulses(c qkd.Config, b BB84Settings) (qkd.Config, error) {
	cal := c
	cal.Eve, cal.Attack = 0, qkd.AttackInterceptResend
	n, err := qkd.RequiredPulses(cal)
	planned := 0
	if err == nil && n >= qkd.MaxPulses {
		err = errors.New("no number of pulses gives the key")
	} else if err == nil && n+n/10 > maxExchangePulses {
		planned = n + n/10
		err = fmt.Errorf("%d pulses planned", planned)
	}
	if err != nil {
		return c, &PlanError{Plan: ExchangePlan{DesignQBER: c.DesignQBER}, KeyBits: b.KeyBits, Limit: maxExchangePulses,
			Laser: true, Decoys: b.Decoys, FiberKm: b.FiberKm, Planned: planned, Err: err}
	}
	c.Qubits = n + n/10
	return c, nil
}
