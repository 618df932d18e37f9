package session

import (
	"errors"
	"fmt"

	"qkdchat/qkd"
)

// MaxLiveFiberKm is the longest fibre a live link accepts: at 0.2 dB/km,
// 500 km loses 100 dB, so of the 2^24 pulses of the largest exchange
// fewer than 0.002 photons are expected to arrive (the simulator itself,
// qkd.MaxFiberKm, goes to 1,000 km for sweeps).
const MaxLiveFiberKm = 500

// BB84Settings are the key exchange parameters of a node. The initiator's
// settings govern an exchange; the responder validates what it is sent.
type BB84Settings struct {
	KeyBits int // final key length (256)
	// Noise is the link's intrinsic error rate, applied by the sender's
	// simulated channel. It is also the link calibration: the error the
	// parties' own equipment is known to give, which a first exchange is
	// planned for.
	Noise       float64
	Eve         float64 // fraction of photons an in-channel eavesdropper intercepts (simulated channel only; never planned for)
	FiberKm     float64 // fibre length, for loss
	Threshold   float64 // abort above this QBER (0.11)
	TraceQubits int     // qubits disclosed for the UI's table (32)
	// DesignQBER is the QBER the parties plan a first exchange for, and the
	// least any exchange is planned for; 0 means qkd.DefaultDesignQBER
	// (2%). A larger Noise, the link's calibrated intrinsic error, raises
	// the first plan; later exchanges are planned for the QBER measured in
	// the earlier ones (see planDesign). Eve never enters a plan.
	DesignQBER float64

	// Laser selects weak coherent pulses (qkd's pulse model, protocol
	// version 6) instead of ideal single photons; Mu is their mean photon
	// number per signal pulse (0 means qkd.DefaultMu) and Decoys adds
	// vacuum and weak decoy pulses at qkd's default intensities. A laser
	// exchange is planned from the link's calibration (see planPulses).
	Laser  bool
	Mu     float64
	Decoys bool
	// Attack is the simulated eavesdropper's attack on the pulses:
	// intercept-resend (the zero value, of the fraction Eve), photon-
	// number splitting or beam-splitting. Like Eve it lives only in the
	// sender's simulated channel and never enters a plan.
	Attack qkd.Attack
}

// Validate reports settings outside their ranges.
func (b BB84Settings) Validate() error {
	for _, p := range []struct {
		name string
		v    float64
	}{{"noise", b.Noise}, {"eavesdropper fraction", b.Eve}, {"threshold", b.Threshold}, {"design QBER", b.DesignQBER}} {
		if p.v < 0 || p.v > 1 || p.v != p.v {
			return fmt.Errorf("%s %g is not between 0 and 1", p.name, p.v)
		}
	}
	if b.KeyBits < 0 || b.FiberKm < 0 || b.TraceQubits < 0 {
		return errors.New("key bits, fibre length and trace size cannot be negative")
	}
	// What no exchange can run is refused here, not by every exchange.
	if !(b.FiberKm <= MaxLiveFiberKm) {
		return fmt.Errorf("fibre length %g km is not between 0 and %d km", b.FiberKm, MaxLiveFiberKm)
	}
	if b.KeyBits > qkd.MaxQubits {
		return fmt.Errorf("key bits %d: one exchange makes at most %d", b.KeyBits, qkd.MaxQubits)
	}
	return b.validateSource()
}

// WithDefaults fills in the defaults of zero fields.
func (b *BB84Settings) WithDefaults() {
	if b.KeyBits == 0 {
		b.KeyBits = 256
	}
	if b.Threshold == 0 {
		b.Threshold = 0.11
	}
	if b.TraceQubits == 0 {
		b.TraceQubits = 32
	}
}

// channel is the simulated channel these settings describe.
func (b BB84Settings) channel() qkd.Channel {
	return qkd.Channel{Noise: b.Noise, Eve: b.Eve, FiberKm: b.FiberKm, Attack: b.Attack}
}

// qkdConfig turns the settings into a qkd run planned for the design QBER
// design. The number of photons is planned from the protocol alone
// (qkd.Protocol): the design QBER (see planDesign) and the loss of the
// parties' link, which they know. The channel's noise and the
// eavesdropper are the simulated channel's (qkd.Channel): they act on the
// photons, never on the plan. Planning for Eve would make Alice refuse to
// start instead of letting the error rate expose her. A laser exchange is
// sized from the link's calibration instead (planPulses).
func (b BB84Settings) qkdConfig(design float64) (qkd.Config, error) {
	ch := b.channel()
	c := qkd.Config{
		Protocol: qkd.Protocol{
			KeyBits:         b.KeyBits,
			Threshold:       b.Threshold,
			TraceQubits:     b.TraceQubits,
			DesignQBER:      design,
			DesignDetection: ch.Detection(),
			Source:          b.source(),
		},
		Channel: ch,
	}
	if err := c.Validate(); err != nil {
		return c, err
	}
	if b.Laser {
		return planPulses(c, b)
	}
	n, err := qkd.RequiredQubits(c.Protocol)
	if err != nil {
		return c, &PlanError{Plan: ExchangePlan{DesignQBER: design}, KeyBits: b.KeyBits, Limit: maxExchangeQubits, Err: err}
	}
	// RequiredQubits plans for the expected run; a user waiting for a
	// chat key should not see one exchange in forty fail on an unlucky
	// sample, so send a tenth more photons.
	c.Qubits = n + n/10
	if c.Qubits > maxExchangeQubits {
		return c, &PlanError{Plan: ExchangePlan{DesignQBER: design, Qubits: c.Qubits}, KeyBits: b.KeyBits, Limit: maxExchangeQubits,
			Err: fmt.Errorf("%d photons planned", c.Qubits)}
	}
	return c, nil
}

// plannedConfig plans the next exchange from the settings and the
// session's earlier exchanges (see planDesign). When the measured QBER
// asks for more photons than a run may send, the run is a probe planned
// as the first one was: it makes a key if the link has improved since and
// measures it afresh if not, instead of never measuring again.
func (b BB84Settings) plannedConfig(past []*KeyExchange) (qkd.Config, ExchangePlan, error) {
	plan := planDesign(b, past)
	c, err := b.qkdConfig(plan.DesignQBER)
	var pe *PlanError
	if errors.As(err, &pe) && plan.Source == PlanMeasured {
		plan.Source, plan.DesignQBER = PlanProbe, plan.Initial
		c, err = b.qkdConfig(plan.DesignQBER)
	}
	if errors.As(err, &pe) {
		pe.Plan = plan
		return c, plan, pe
	}
	plan.Qubits = c.Qubits
	return c, plan, err
}
