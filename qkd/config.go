package qkd

import (
	"errors"
	"fmt"
	"math"
)

// Limits on run sizes. They keep every message below MaxMessageSize and
// the memory of a run in the tens of megabytes.
const (
	MaxQubits      = 1 << 23 // photons per run
	MaxTraceQubits = 4096    // qubits disclosed for display
	MaxFiberKm     = 1000
)

// Defaults for the zero values of Config.
const (
	DefaultThreshold = 0.11  // QBER abort threshold
	DefaultEps       = 1e-10 // eps_sec and eps_cor
	DefaultZBias     = 0.5   // probability of the Z basis
	minDesignQBER    = 0.01
)

// minEpsCor is the smallest eps_cor the verification hash can honour: a
// 64-bit universal hash collides with probability 2^-64.
const minEpsCor = 0x1p-64

// Config describes one BB84 run. The zero value of a field means its
// documented default. Alice's Config decides the shared parameters (she
// announces them); Bob's detector settings are his own, and Bob ignores his
// channel and run-size fields.
type Config struct {
	// Qubits is the number of photons Alice sends; 0 means RequiredQubits.
	Qubits int
	// KeyBits is the requested final key length in bits. The run aborts
	// with ErrNotEnoughKey if the finite-key bound allows fewer; the key is
	// exactly KeyBits long otherwise. 0 takes every bit the bound allows.
	KeyBits int

	// Channel, applied by Alice to photon frames before sending.
	Noise   float64 // intrinsic error rate: probability a photon's bit flips
	Eve     float64 // fraction of photons an intercept-resend attacker measures
	FiberKm float64 // fibre length; 0.2 dB/km loss

	// Bob's detector.
	DetectorEfficiency float64 // 0 means 1 (ideal)
	DarkCount          float64 // dark-count probability per time slot

	ZBias      float64 // probability of choosing Z, for both sides; 0 means 0.5
	Threshold  float64 // QBER abort threshold; 0 means 11%
	EpsSec     float64 // secrecy parameter; 0 means 1e-10
	EpsCor     float64 // correctness parameter; 0 means 1e-10, at least 2^-64
	DesignQBER float64 // QBER the sample size is planned for; 0 means the channel's expected QBER, at least 1%

	// Seed, when set, makes the run reproducible with ChaCha8 streams
	// derived from it; nil draws from crypto/rand.
	Seed *uint64
	// TraceQubits is how many of the first qubits are disclosed after the
	// run and reported in Report.Trace. They never enter sample or key.
	TraceQubits int
	// Progress, when set, is called from the protocol goroutine as the run
	// moves on. It must return quickly.
	Progress func(Progress)
}

// ErrConfig is wrapped by every Validate error.
var ErrConfig = errors.New("qkd: invalid config")

// Validate reports the first field of c that is out of range: a
// probability outside [0,1], a size that is negative or too large, an eps
// outside (0,1).
func (c Config) Validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, a...))
	}
	prob := func(name string, v float64) error {
		if !(v >= 0 && v <= 1) {
			return bad("%s %v is not a probability in [0,1]", name, v)
		}
		return nil
	}
	for _, p := range []struct {
		name string
		v    float64
	}{{"noise", c.Noise}, {"eve fraction", c.Eve}, {"detector efficiency", c.DetectorEfficiency},
		{"dark-count probability", c.DarkCount}, {"z-bias", c.ZBias}, {"threshold", c.Threshold},
		{"design QBER", c.DesignQBER}} {
		if err := prob(p.name, p.v); err != nil {
			return err
		}
	}
	switch {
	case c.Qubits < 0 || c.Qubits > MaxQubits:
		return bad("qubits %d outside [0, %d]", c.Qubits, MaxQubits)
	case c.KeyBits < 0 || c.KeyBits > MaxQubits:
		return bad("key bits %d outside [0, %d]", c.KeyBits, MaxQubits)
	case !(c.FiberKm >= 0 && c.FiberKm <= MaxFiberKm):
		return bad("fibre length %v km outside [0, %d]", c.FiberKm, MaxFiberKm)
	case c.ZBias == 1:
		return bad("z-bias 1 leaves no X basis")
	case c.Threshold > 0.5:
		return bad("threshold %v above 0.5 (no key is possible above 11%%)", c.Threshold)
	case c.DesignQBER >= 0.5:
		return bad("design QBER %v must be below 0.5", c.DesignQBER)
	case !(c.EpsSec >= 0 && c.EpsSec < 1):
		return bad("eps_sec %v outside (0,1)", c.EpsSec)
	case !(c.EpsCor >= 0 && c.EpsCor < 1):
		return bad("eps_cor %v outside (0,1)", c.EpsCor)
	case c.EpsCor != 0 && c.EpsCor < minEpsCor:
		return bad("eps_cor %v below 2^-64, the verification hash's collision probability", c.EpsCor)
	case c.EpsSec != 0 && c.EpsSec < 1e-300:
		return bad("eps_sec %v too small", c.EpsSec)
	case c.TraceQubits < 0 || c.TraceQubits > MaxTraceQubits:
		return bad("trace qubits %d outside [0, %d]", c.TraceQubits, MaxTraceQubits)
	case c.Qubits > 0 && c.TraceQubits > c.Qubits:
		return bad("trace qubits %d exceed qubits %d", c.TraceQubits, c.Qubits)
	}
	return nil
}

// withDefaults returns c with its zero fields replaced by their defaults.
func (c Config) withDefaults() Config {
	if c.DetectorEfficiency == 0 {
		c.DetectorEfficiency = 1
	}
	if c.ZBias == 0 {
		c.ZBias = DefaultZBias
	}
	if c.Threshold == 0 {
		c.Threshold = DefaultThreshold
	}
	if c.EpsSec == 0 {
		c.EpsSec = DefaultEps
	}
	if c.EpsCor == 0 {
		c.EpsCor = DefaultEps
	}
	if c.DesignQBER == 0 {
		c.DesignQBER = math.Max(c.expectedQBER(), minDesignQBER)
	}
	return c
}

// detectionProb returns the probability that Bob's detector clicks in a
// time slot, and the expected QBER of the clicks, for the configured
// channel and detector (defaults applied).
func (c Config) detection() (pClick, qber float64) {
	t := fibreTransmittance(c.FiberKm) * c.DetectorEfficiency
	signalOnly := t * (1 - c.DarkCount)
	pClick = 1 - (1-t)*(1-c.DarkCount)
	if pClick == 0 {
		return 0, 0
	}
	// A photon Eve attacked is wrong half the time when her basis was wrong
	// (probability 1/2); otherwise it is wrong when the channel flips it.
	eSignal := c.Eve*(0.25+0.5*c.Noise) + (1-c.Eve)*c.Noise
	return pClick, (signalOnly*eSignal + c.DarkCount*0.5) / pClick
}

func (c Config) expectedQBER() float64 {
	d := c
	if d.DetectorEfficiency == 0 {
		d.DetectorEfficiency = 1
	}
	_, q := d.detection()
	return q
}

// siftRatio is the probability that both sides chose the same basis.
func siftRatio(pZ float64) float64 { return pZ*pZ + (1-pZ)*(1-pZ) }

// Params returns the parameters Alice announces for c (defaults applied).
func (c Config) params(qubits int) *Params {
	return &Params{
		Version: protocolVersion, Qubits: qubits, KeyBits: c.KeyBits, ZBias: c.ZBias,
		Threshold: c.Threshold, EpsSec: c.EpsSec, EpsCor: c.EpsCor,
		DesignQBER: c.DesignQBER, TraceQubits: c.TraceQubits,
	}
}

// protocolVersion is the version of the message flow.
const protocolVersion = 1

// validate checks parameters announced by the peer.
func (p *Params) validate() error {
	if p.Version != protocolVersion {
		return fmt.Errorf("unsupported protocol version %d", p.Version)
	}
	if p.Qubits < 1 {
		return fmt.Errorf("qubits %d: need at least 1", p.Qubits)
	}
	c := Config{Qubits: p.Qubits, KeyBits: p.KeyBits, ZBias: p.ZBias, Threshold: p.Threshold,
		EpsSec: p.EpsSec, EpsCor: p.EpsCor, DesignQBER: p.DesignQBER, TraceQubits: p.TraceQubits}
	if err := c.Validate(); err != nil {
		return err
	}
	if p.ZBias == 0 || p.Threshold == 0 || p.EpsSec == 0 || p.EpsCor == 0 || p.DesignQBER == 0 {
		return errors.New("announced parameters must not be zero")
	}
	return nil
}
