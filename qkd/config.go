package qkd

import (
	"errors"
	"fmt"
	"qkdchat/qkd/channel"
	"qkdchat/qkd/decoy"
)

// Limits on run sizes. They keep every message below MaxMessageSize (the
// largest, an amplification seed of up to 2 MaxQubits bits, is 2.5 MB)
// and the memory of a run in the tens of megabytes (Simulate of 1e7
// photons stays under 200 MB resident).
const (
	MaxQubits = 10_000_000 // photons per run; detected signal pulses of a laser run
	// MaxPulses is the most pulses of a laser run: it streams (see
	// stream), so its memory is bounded by its detections, not its pulses.
	MaxPulses      = 10_000_000_000
	MaxTraceQubits = 4096 // qubits disclosed for display
	MaxFiberKm     = 1000
)

// Defaults for the zero values of Config.
const (
	DefaultThreshold = 0.11  // QBER abort threshold
	DefaultEps       = 1e-10 // eps_sec and eps_cor
	DefaultZBias     = 0.5   // probability of the Z basis
	// DefaultDesignQBER is the QBER a run is planned for when the parties
	// choose none. It is a fixed figure, not the channel's: Alice and Bob
	// cannot know how noisy the channel is, nor whether Eve is on it,
	// before they measure (see Protocol).
	DefaultDesignQBER = 0.02
)

// minEpsCor is the smallest eps_cor the verification hash can honour: a
// 64-bit universal hash collides with probability 2^-64.
const minEpsCor = 0x1p-64

// Config describes one BB84 run. It has two parts: Protocol, what Alice
// and Bob choose (Alice announces it and Bob checks it), and Channel, what
// the channel and the devices are, which only the simulator and the link
// see. Planning (RequiredQubits) and every decision of the parties use
// only Protocol; the channel shows itself to them only through what they
// measure. The zero value of a field means its documented default.
type Config struct {
	Protocol
	Channel

	// Seed, when set, makes the run reproducible with ChaCha8 streams
	// derived from it; nil draws from crypto/rand.
	Seed *uint64
	// Progress, when set, is called from the protocol goroutine as the run
	// moves on. It must return quickly.
	Progress func(Progress)
	// MaxRun, when set, is the most qubits or pulses Bob accepts in
	// Alice's parameters: a live link never plans more than its exchange
	// timeout allows, so a peer asking for more is refused before the
	// first pulse instead of holding Bob's link and CPU until the timeout.
	// 0 leaves the protocol's own limits (MaxQubits, MaxPulses).
	MaxRun int

	// streamFrames is the number of frames of pulses a side holds at once
	// on the pulse model (see stream); 0 means 1. Tests raise it to hold
	// a whole run, as before streaming.
	streamFrames int
}

// Protocol is what the parties choose. Alice's Protocol decides the run
// (she announces it in Params); Bob ignores his own run-size fields.
type Protocol struct {
	// Qubits is the number of photons Alice sends; 0 means RequiredQubits.
	Qubits int
	// KeyBits is the requested final key length in bits. The run aborts
	// with ErrNotEnoughKey if the finite-key bound allows fewer; the key is
	// exactly KeyBits long otherwise. 0 takes every bit the bound allows.
	KeyBits int

	ZBias      float64 // probability of choosing Z, for both sides; 0 means 0.5
	Threshold  float64 // QBER abort threshold; 0 means 11%
	EpsSec     float64 // secrecy parameter; 0 means 1e-10
	EpsCor     float64 // correctness parameter; 0 means 1e-10, at least 2^-64
	DesignQBER float64 // QBER the run is planned for; 0 means DefaultDesignQBER
	// DesignDetection is the probability that a photon Alice sends is
	// detected by Bob, as the parties know it from setting up their link
	// (fibre loss, detector efficiency; see Channel.Detection). It only
	// sizes Qubits. 0 means 1.
	DesignDetection float64

	// TraceQubits is how many of the first qubits are disclosed after the
	// run and reported in Report.Trace. They never enter sample or key.
	TraceQubits int

	// Source is Alice's light source and decoy states; the zero value is
	// the ideal single-photon source.
	Source Source
}

// Source is Alice's light source and decoy states (decoy.Source).
type Source = decoy.Source

// Source defaults (see decoy.DefaultMu).
const (
	DefaultMu     = decoy.DefaultMu
	DefaultNu     = decoy.DefaultNu
	DefaultPDecoy = decoy.DefaultPDecoy
)

// Channel is what the photons go through: the fibre, an eavesdropper and
// Bob's detector. Alice's side applies noise, loss and Eve to the frames
// she sends (the simulated channel); Bob's detector fields are his own.
type Channel struct {
	Noise    float64  // intrinsic error rate: probability a photon's bit flips
	Eve      float64  // fraction of photons an intercept-resend attacker measures
	EveBasis EveBasis // how she picks her measurement basis; zero is EveRandom
	FiberKm  float64  // fibre length; 0.2 dB/km loss

	DetectorEfficiency float64 // 0 means 1 (ideal)
	DarkCount          float64 // dark-count probability per time slot

	// Attack is the eavesdropper's attack on pulses; intercept-resend
	// (the zero value) uses Eve as its fraction.
	Attack       channel.Attack
	Misalignment float64 // probability a detected photon lands in the wrong detector
	Afterpulse   float64 // probability a click is followed by an afterpulse
	DeadTime     int     // slots Bob's detector is blind after a click
}

// pulsed reports whether a run uses the pulse model (protocol version 6):
// a laser, an attack other than intercept-resend, or a detector effect the
// single-photon model lacks.
func (c Config) pulsed() bool {
	return c.Source.Laser || c.Attack != channel.AttackInterceptResend || c.Misalignment > 0 || c.Afterpulse > 0 || c.DeadTime > 0
}

// ErrConfig is wrapped by every Validate error.
var ErrConfig = errors.New("qkd: invalid config")

func configErr(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, a...))
}

func checkProbs(ps ...namedProb) error {
	for _, p := range ps {
		if !(p.v >= 0 && p.v <= 1) {
			return configErr("%s %v is not a probability in [0,1]", p.name, p.v)
		}
	}
	return nil
}

type namedProb = struct {
	name string
	v    float64
}

// Validate reports the first field of c that is out of range: a
// probability outside [0,1], a size that is negative or too large, an eps
// outside (0,1).
func (c Config) Validate() error {
	if err := c.Channel.Validate(); err != nil {
		return err
	}
	return c.Protocol.Validate()
}

// Validate reports the first channel field out of range.
func (ch Channel) Validate() error {
	if err := checkProbs(namedProb{"noise", ch.Noise}, namedProb{"eve fraction", ch.Eve},
		namedProb{"detector efficiency", ch.DetectorEfficiency}, namedProb{"dark-count probability", ch.DarkCount}); err != nil {
		return err
	}
	if err := checkProbs(namedProb{"misalignment", ch.Misalignment}, namedProb{"afterpulse probability", ch.Afterpulse}); err != nil {
		return err
	}
	switch {
	case ch.Attack > channel.AttackBeamSplit:
		return configErr("attack %v unknown", ch.Attack)
	case ch.DeadTime < 0 || ch.DeadTime > MaxQubits:
		return configErr("dead time %d outside [0, %d] slots", ch.DeadTime, MaxQubits)
	case !(ch.FiberKm >= 0 && ch.FiberKm <= MaxFiberKm):
		return configErr("fibre length %v km outside [0, %d]", ch.FiberKm, MaxFiberKm)
	case ch.EveBasis > EveX:
		return configErr("eavesdropper basis %v unknown", ch.EveBasis)
	}
	return nil
}

// Validate reports the first protocol field out of range.
func (c Protocol) Validate() error {
	bad := configErr
	if err := checkProbs(namedProb{"z-bias", c.ZBias}, namedProb{"threshold", c.Threshold},
		namedProb{"design QBER", c.DesignQBER}, namedProb{"design detection probability", c.DesignDetection}); err != nil {
		return err
	}
	switch {
	case c.Qubits < 0 || c.Qubits > MaxQubits && !c.Source.Laser:
		return bad("qubits %d outside [0, %d]", c.Qubits, MaxQubits)
	case c.Qubits > MaxPulses:
		return bad("pulses %d outside [0, %d]", c.Qubits, MaxPulses)
	case c.KeyBits < 0 || c.KeyBits > MaxQubits:
		return bad("key bits %d outside [0, %d]", c.KeyBits, MaxQubits)
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
	if err := c.Source.Validate(); err != nil {
		return configErr("%v", err)
	}
	return nil
}

// withDefaults returns c with its zero fields replaced by their defaults.
func (c Config) withDefaults() Config {
	c.Protocol = c.Protocol.withDefaults()
	c.Channel = c.Channel.withDefaults()
	return c
}

func (c Protocol) withDefaults() Protocol {
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
		c.DesignQBER = DefaultDesignQBER
	}
	if c.DesignDetection == 0 {
		c.DesignDetection = 1
	}
	c.Source = c.Source.WithDefaults()
	return c
}

func (ch Channel) withDefaults() Channel {
	if ch.DetectorEfficiency == 0 {
		ch.DetectorEfficiency = 1
	}
	return ch
}

// detection returns the probability that Bob's detector clicks in a time
// slot, and the expected QBER of the clicks, for the channel (defaults
// applied). Only the simulator's own checks use the QBER.
func (ch Channel) detection() (pClick, qber float64) {
	t := channel.Transmittance(ch.FiberKm) * ch.DetectorEfficiency
	signalOnly := t * (1 - ch.DarkCount)
	pClick = 1 - (1-t)*(1-ch.DarkCount)
	if pClick == 0 {
		return 0, 0
	}
	// A photon Eve attacked is wrong half the time when her basis was wrong
	// (probability 1/2); otherwise it is wrong when the channel flips it.
	eSignal := ch.Eve*(0.25+0.5*ch.Noise) + (1-ch.Eve)*ch.Noise
	return pClick, (signalOnly*eSignal + ch.DarkCount*0.5) / pClick
}

// Detection returns the probability that Bob detects a photon Alice sends
// (fibre loss, detector efficiency, dark counts; an intercept-resend
// eavesdropper does not change it). Parties that know their link use it
// as Protocol.DesignDetection.
func (ch Channel) Detection() float64 {
	p, _ := ch.withDefaults().detection()
	return p
}

// IntrinsicQBER returns the QBER the channel's own devices give, with no
// eavesdropper: the intrinsic noise, and the dark counts' coin flips
// among the clicks. It is the figure a link's operators calibrate at
// setup from their own equipment, so parties may plan for it; ch.Eve
// never enters it.
func (ch Channel) IntrinsicQBER() float64 {
	ch.Eve = 0
	_, q := ch.withDefaults().detection()
	return q
}

// siftRatio is the probability that both sides chose the same basis.
func siftRatio(pZ float64) float64 { return pZ*pZ + (1-pZ)*(1-pZ) }

// Params returns the parameters Alice announces for c (defaults applied).
func (c Protocol) params(qubits int, pulsed bool) *Params {
	p := &Params{
		Version: protocolVersion, Qubits: qubits, KeyBits: c.KeyBits, ZBias: c.ZBias,
		Threshold: c.Threshold, EpsSec: c.EpsSec, EpsCor: c.EpsCor,
		DesignQBER: c.DesignQBER, TraceQubits: c.TraceQubits,
	}
	if pulsed {
		p.Version, p.Source = pulseVersion, c.Source
	}
	return p
}

// pulseVersion is the version of a run on the pulse model: Params carries
// the Source, photons travel as PulseFrames, and after sifting Alice
// announces the decoy pulses (DecoyClasses) and both disclose their
// weak-decoy bits (DecoyBits). Single-photon runs speak protocolVersion.
// Version 6 is version 4 with version 5's Cascade.
const pulseVersion = 6

// protocolVersion is the version of the message flow. Version 2 estimates
// the error rate of each basis separately (see estimatePhase). Version 3
// changes Cascade's block sizes (cascadeSchedule) and leaves out the
// implied last block parity of every pass after the first
// (sentParities), so a version 2 peer would disagree on every block.
// Version 5 makes Cascade's third pass four times longer on keys of
// 50,000 bits and more (thirdBlockFactor), where a version 3 peer would
// expect a different number of parities.
const protocolVersion = 5

// olderVersions are the versions of the release before version 5's
// Cascade: 3 (single photons) and 4 (pulses), refused with a message that
// says so. Version 4 parameters carry a Source like version 6 ones.
const (
	olderVersion      = 3
	olderPulseVersion = 4
)

// carriesSource reports whether Params of version v carry a Source.
func carriesSource(v uint8) bool { return v == pulseVersion || v == olderPulseVersion }

// validate checks parameters announced by the peer.
func (p *Params) validate() error {
	if p.Version == olderVersion || p.Version == olderPulseVersion {
		return fmt.Errorf("protocol version %d is an older release's (its Cascade disagrees with version %d's on long keys); update the peer", p.Version, protocolVersion)
	}
	if p.Version != protocolVersion && p.Version != pulseVersion {
		return fmt.Errorf("unsupported protocol version %d", p.Version)
	}
	if p.Qubits < 1 {
		return fmt.Errorf("qubits %d: need at least 1", p.Qubits)
	}
	c := Protocol{Qubits: p.Qubits, KeyBits: p.KeyBits, ZBias: p.ZBias, Threshold: p.Threshold,
		EpsSec: p.EpsSec, EpsCor: p.EpsCor, DesignQBER: p.DesignQBER, TraceQubits: p.TraceQubits, Source: p.Source}
	if err := c.Validate(); err != nil {
		return err
	}
	if p.ZBias == 0 || p.Threshold == 0 || p.EpsSec == 0 || p.EpsCor == 0 || p.DesignQBER == 0 {
		return errors.New("announced parameters must not be zero")
	}
	return nil
}
