package qkd

import (
	"errors"
	"fmt"
	"qkdchat/qkd/cascade"
	"qkdchat/qkd/wire"
)

// MaxMessageSize bounds the encoding of one message. Photon batches are
// split into frames of at most MaxFramePhotons to stay below it.
const MaxMessageSize = 4 << 20

// MessageKind identifies a protocol message. Photon frames are the only
// quantum kind; a transport may route them over a separate link.
type MessageKind uint8

// The message kinds, in protocol order.
const (
	KindParams       MessageKind = 1  // Alice → Bob: run parameters
	KindPhotons      MessageKind = 2  // Alice → Bob: a PhotonFrame (quantum)
	KindSiftBob      MessageKind = 3  // Bob → Alice: detections and bases
	KindSiftAlice    MessageKind = 4  // Alice → Bob: her bases
	KindSample       MessageKind = 5  // Alice → Bob: sample positions and her bits
	KindSampleReply  MessageKind = 6  // Bob → Alice: his sample bits
	KindCascadeStart MessageKind = 7  // Alice → Bob: shuffle seed and block parities
	KindParityQuery  MessageKind = 8  // Bob → Alice: batched parity questions
	KindParityReply  MessageKind = 9  // Alice → Bob: batched parity answers
	KindVerify       MessageKind = 10 // Alice → Bob: hash seed and tag
	KindVerifyReply  MessageKind = 11 // Bob → Alice: tags match?
	KindAmplify      MessageKind = 12 // Alice → Bob: Toeplitz seed and length
	KindTraceAlice   MessageKind = 13 // Alice → Bob: traced qubits' bits and bases
	KindTraceBob     MessageKind = 14 // Bob → Alice: traced qubits' detections and results
	KindAbort        MessageKind = 15 // either way: the sender gives up
	KindPulses       MessageKind = 16 // Alice → Bob: a PulseFrame (quantum, pulse versions)
	KindDecoyClasses MessageKind = 17 // Alice → Bob: which pulses were decoys
	KindDecoyBits    MessageKind = 18 // either way: bits of the sifted weak decoys
)

var kindNames = [...]string{
	KindParams: "params", KindPhotons: "photons", KindSiftBob: "sift-bob",
	KindSiftAlice: "sift-alice", KindSample: "sample", KindSampleReply: "sample-reply",
	KindCascadeStart: "cascade-start", KindParityQuery: "parity-query",
	KindParityReply: "parity-reply", KindVerify: "verify", KindVerifyReply: "verify-reply",
	KindAmplify: "amplify", KindTraceAlice: "trace-alice", KindTraceBob: "trace-bob",
	KindAbort: "abort", KindPulses: "pulses", KindDecoyClasses: "decoy-classes", KindDecoyBits: "decoy-bits",
}

func (k MessageKind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return fmt.Sprintf("MessageKind(%d)", uint8(k))
}

// Quantum reports whether messages of kind k travel on the quantum link.
func (k MessageKind) Quantum() bool { return k == KindPhotons || k == KindPulses }

// Message is one protocol message. Quantum frames (photons) and classical
// frames are distinct kinds.
type Message interface{ Kind() MessageKind }

// Params is Alice's first classical message: the run parameters both sides
// must share. Bob validates them before using them.
type Params struct {
	Version     uint8
	Qubits      int
	KeyBits     int
	ZBias       float64
	Threshold   float64
	EpsSec      float64
	EpsCor      float64
	DesignQBER  float64
	TraceQubits int
	Source      Source // pulse versions (4 and 6) only
}

// PulseFrame is a batch of pulses in flight (pulse model): pulse i holds
// Photons[i] photons in the state bit i of Value encodes in basis bit i of
// Basis. Which pulses were decoys it does not say.
type PulseFrame struct {
	Start        int
	Count        int // 1..MaxFramePulses
	Basis, Value []uint64
	Photons      []uint8
}

// DecoyClasses announces, after Bob's detections, which pulses of [Start,
// Start+Count) were weak and which vacuum decoys.
type DecoyClasses struct {
	Start, Count int
	Weak, Vacuum []uint64
}

// DecoyBits discloses the sender's bits of the sifted weak-decoy pulses,
// in pulse order.
type DecoyBits struct {
	Count int
	Bits  []uint64
}

// SiftBob reports, for photons [Start, Start+Count), which ones Bob
// detected and the basis he measured each in (1 = X).
type SiftBob struct {
	Start    int
	Count    int
	Detected []uint64
	Basis    []uint64
}

// SiftAlice reports Alice's bases for photons [Start, Start+Count).
type SiftAlice struct {
	Start int
	Count int
	Basis []uint64
}

// Sample discloses the parameter-estimation sample: Size positions of the
// sifted string drawn with a ChaCha8 stream keyed by Seed, and Alice's bits
// at those positions in draw order.
type Sample struct {
	Seed [32]byte
	Size int
	Bits []uint64
}

// SampleReply returns Bob's bits at the sample positions, in draw order.
type SampleReply struct {
	Size int
	Bits []uint64
}

// CascadeStart opens error correction: the seed of the pass shuffles and
// split masks and Alice's parity of every top-level block of every pass,
// in pass order, but for the last block of each pass after the first,
// which is implied (sentParities).
type CascadeStart struct {
	Seed     [32]byte
	Count    int // number of parity bits
	Parities []uint64
}

// cascadeStart is the message that carries Cascade's opening.
func cascadeStart(st *cascade.Start) *CascadeStart {
	return &CascadeStart{Seed: st.Seed, Count: st.Count, Parities: st.Parities}
}

// ParityRange names the range [Lo, Hi) of shuffled positions of a Cascade
// pass.
type ParityRange = cascade.Range

// ParityQuery asks Alice for the parities of Ranges. With Done set it
// carries no ranges and ends error correction; Corrected is then the number
// of bits Bob flipped.
type ParityQuery struct {
	Ranges    []ParityRange
	Done      bool
	Corrected int
}

// ParityReply answers a ParityQuery: bit i is the parity of range i.
type ParityReply struct {
	Count    int
	Parities []uint64
}

// Verify carries the seed of a 64-bit Toeplitz hash and Alice's tag of the
// corrected key.
type Verify struct {
	SeedBits int
	Seed     []uint64
	Tag      uint64
}

// VerifyReply tells Alice whether Bob's tag equals hers.
type VerifyReply struct{ OK bool }

// Amplify carries the privacy-amplification parameters: the final length
// and the seed of the Toeplitz matrix (Length+n-1 bits).
type Amplify struct {
	Length   int
	SeedBits int
	Seed     []uint64
}

// TraceAlice discloses Alice's bits and bases of the traced qubits.
type TraceAlice struct {
	Count int
	Bits  []uint64
	Basis []uint64
}

// TraceBob discloses Bob's detections, bases and results of the traced
// qubits.
type TraceBob struct {
	Count    int
	Detected []uint64
	Basis    []uint64
	Result   []uint64
}

// Abort tells the peer that the sender stopped, and why.
type Abort struct{ Reason string }

// Kind methods.
func (*Params) Kind() MessageKind       { return KindParams }
func (*SiftBob) Kind() MessageKind      { return KindSiftBob }
func (*SiftAlice) Kind() MessageKind    { return KindSiftAlice }
func (*Sample) Kind() MessageKind       { return KindSample }
func (*SampleReply) Kind() MessageKind  { return KindSampleReply }
func (*CascadeStart) Kind() MessageKind { return KindCascadeStart }
func (*ParityQuery) Kind() MessageKind  { return KindParityQuery }
func (*ParityReply) Kind() MessageKind  { return KindParityReply }
func (*Verify) Kind() MessageKind       { return KindVerify }
func (*VerifyReply) Kind() MessageKind  { return KindVerifyReply }
func (*Amplify) Kind() MessageKind      { return KindAmplify }
func (*TraceAlice) Kind() MessageKind   { return KindTraceAlice }
func (*TraceBob) Kind() MessageKind     { return KindTraceBob }
func (*Abort) Kind() MessageKind        { return KindAbort }
func (*PulseFrame) Kind() MessageKind   { return KindPulses }
func (*DecoyClasses) Kind() MessageKind { return KindDecoyClasses }
func (*DecoyBits) Kind() MessageKind    { return KindDecoyBits }

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// maxAbortReason bounds the reason text of an Abort.
const maxAbortReason = 1024

// ErrMalformed is wrapped by every decoding error.
var ErrMalformed = errors.New("qkd: malformed message")

// MarshalMessage encodes m as one byte of kind followed by its fields
// (unsigned varints, little-endian words and float64 bits).
func MarshalMessage(m Message) ([]byte, error) {
	if m == nil {
		return nil, errors.New("qkd: marshal: nil message")
	}
	e := wire.NewEncoder(byte(m.Kind()))
	switch m := m.(type) {
	case *Params:
		e.Byte(m.Version)
		e.Int(m.Qubits)
		e.Int(m.KeyBits)
		e.Float(m.ZBias)
		e.Float(m.Threshold)
		e.Float(m.EpsSec)
		e.Float(m.EpsCor)
		e.Float(m.DesignQBER)
		e.Int(m.TraceQubits)
		if carriesSource(m.Version) {
			src := m.Source
			e.Raw([]byte{b2u(src.Laser), b2u(src.Decoys), b2u(src.AssumeSingle)})
			for _, v := range []float64{src.Mu, src.Nu, src.PWeak, src.PVac} {
				e.Float(v)
			}
		}
	case *PulseFrame:
		e.Int(m.Start)
		e.Planes(m.Count, m.Basis, m.Value)
		if len(m.Photons) != m.Count {
			e.SetErr(fmt.Errorf("%d photon numbers for %d pulses", len(m.Photons), m.Count))
		}
		e.Raw(m.Photons)
	case *DecoyClasses:
		e.Int(m.Start)
		e.Planes(m.Count, m.Weak, m.Vacuum)
	case *DecoyBits:
		e.Planes(m.Count, m.Bits)
	case *PhotonFrame:
		e.Int(int(m.Start))
		e.Planes(m.Count, m.Basis, m.Value, m.Present)
	case *SiftBob:
		e.Int(m.Start)
		e.Planes(m.Count, m.Detected, m.Basis)
	case *SiftAlice:
		e.Int(m.Start)
		e.Planes(m.Count, m.Basis)
	case *Sample:
		e.Raw(m.Seed[:])
		e.Planes(m.Size, m.Bits)
	case *SampleReply:
		e.Planes(m.Size, m.Bits)
	case *CascadeStart:
		e.Raw(m.Seed[:])
		e.Planes(m.Count, m.Parities)
	case *ParityQuery:
		if m.Done {
			e.Byte(1)
			e.Int(m.Corrected)
			if len(m.Ranges) != 0 {
				e.SetErr(errors.New("done query with ranges"))
			}
			break
		}
		e.Byte(0)
		e.Int(len(m.Ranges))
		for _, r := range m.Ranges {
			if r.Pass < 0 || r.Lo < 0 || r.Hi < r.Lo {
				e.SetErr(fmt.Errorf("bad range %+v", r))
			}
			e.Int(r.Pass)
			e.Int(r.Lo)
			e.Int(r.Hi - r.Lo)
		}
	case *ParityReply:
		e.Planes(m.Count, m.Parities)
	case *Verify:
		e.Planes(m.SeedBits, m.Seed)
		e.Word(m.Tag)
	case *VerifyReply:
		if m.OK {
			e.Byte(1)
		} else {
			e.Byte(0)
		}
	case *Amplify:
		e.Int(m.Length)
		e.Planes(m.SeedBits, m.Seed)
	case *TraceAlice:
		e.Planes(m.Count, m.Bits, m.Basis)
	case *TraceBob:
		e.Planes(m.Count, m.Detected, m.Basis, m.Result)
	case *Abort:
		r := m.Reason
		if len(r) > maxAbortReason {
			r = r[:maxAbortReason]
		}
		e.Int(len(r))
		e.Raw([]byte(r))
	default:
		return nil, fmt.Errorf("qkd: marshal: unknown message type %T", m)
	}
	if e.Err() != nil {
		return nil, fmt.Errorf("qkd: marshal %v: %w", m.Kind(), e.Err())
	}
	if len(e.Bytes()) > MaxMessageSize {
		return nil, fmt.Errorf("qkd: marshal %v: %d bytes exceeds MaxMessageSize", m.Kind(), len(e.Bytes()))
	}
	return e.Bytes(), nil
}

// UnmarshalMessage decodes a message produced by MarshalMessage. It never
// allocates more than a small multiple of len(b), and every error wraps
// ErrMalformed.
func UnmarshalMessage(b []byte) (Message, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("%w: empty", ErrMalformed)
	}
	if len(b) > MaxMessageSize {
		return nil, fmt.Errorf("%w: %d bytes exceeds MaxMessageSize", ErrMalformed, len(b))
	}
	kind := MessageKind(b[0])
	d := wire.NewDecoder(b[1:])
	var m Message
	switch kind {
	case KindParams:
		p := &Params{}
		p.Version = d.Byte()
		p.Qubits = d.Int()
		p.KeyBits = d.Int()
		p.ZBias = d.Float()
		p.Threshold = d.Float()
		p.EpsSec = d.Float()
		p.EpsCor = d.Float()
		p.DesignQBER = d.Float()
		p.TraceQubits = d.Int()
		if carriesSource(p.Version) {
			flag := func() bool {
				v := d.Byte()
				if v > 1 {
					d.Fail("bad source flag")
				}
				return v == 1
			}
			src := Source{Laser: flag(), Decoys: flag(), AssumeSingle: flag()}
			src.Mu, src.Nu, src.PWeak, src.PVac = d.Float(), d.Float(), d.Float(), d.Float()
			p.Source = src
		}
		m = p
	case KindPulses:
		f := &PulseFrame{Start: d.Int()}
		f.Count = d.Count(MaxFramePulses)
		f.Basis, f.Value = d.Plane(f.Count), d.Plane(f.Count)
		if d.Err() == nil && f.Count <= d.Len() {
			f.Photons = make([]uint8, f.Count)
			d.Raw(f.Photons)
		} else {
			d.Fail("short pulse frame")
		}
		m = f
	case KindDecoyClasses:
		c := &DecoyClasses{Start: d.Int()}
		c.Count = d.Count(MaxFramePhotons)
		c.Weak, c.Vacuum = d.Plane(c.Count), d.Plane(c.Count)
		m = c
	case KindDecoyBits:
		b := &DecoyBits{}
		b.Count = d.Count(MaxQubits)
		b.Bits = d.Plane(b.Count)
		m = b
	case KindPhotons:
		f := &PhotonFrame{}
		f.Start = uint64(d.Int())
		f.Count = d.Count(MaxFramePhotons)
		f.Basis, f.Value, f.Present = d.Plane(f.Count), d.Plane(f.Count), d.Plane(f.Count)
		if d.Err() == nil && f.Count == 0 {
			d.Fail("empty photon frame")
		}
		m = f
	case KindSiftBob:
		s := &SiftBob{Start: d.Int()}
		s.Count = d.Count(MaxFramePhotons)
		s.Detected, s.Basis = d.Plane(s.Count), d.Plane(s.Count)
		m = s
	case KindSiftAlice:
		s := &SiftAlice{Start: d.Int()}
		s.Count = d.Count(MaxFramePhotons)
		s.Basis = d.Plane(s.Count)
		m = s
	case KindSample:
		s := &Sample{}
		d.Raw(s.Seed[:])
		s.Size = d.Count(MaxQubits)
		s.Bits = d.Plane(s.Size)
		m = s
	case KindSampleReply:
		s := &SampleReply{}
		s.Size = d.Count(MaxQubits)
		s.Bits = d.Plane(s.Size)
		m = s
	case KindCascadeStart:
		c := &CascadeStart{}
		d.Raw(c.Seed[:])
		c.Count = d.Count(MaxQubits)
		c.Parities = d.Plane(c.Count)
		m = c
	case KindParityQuery:
		q := &ParityQuery{}
		switch d.Byte() {
		case 0:
			n := d.Count(d.Len() / 3) // each range takes at least 3 bytes
			if d.Err() == nil {
				q.Ranges = make([]ParityRange, n)
			}
			for i := 0; i < n && d.Err() == nil; i++ {
				r := ParityRange{Pass: d.Int(), Lo: d.Int()}
				l := d.Int()
				if r.Lo > MaxQubits || l > MaxQubits {
					d.Fail("parity range out of bounds")
				}
				r.Hi = r.Lo + l
				q.Ranges[i] = r
			}
		case 1:
			q.Done = true
			q.Corrected = d.Int()
		default:
			d.Fail("bad parity query flag")
		}
		m = q
	case KindParityReply:
		r := &ParityReply{}
		r.Count = d.Count(MaxQubits)
		r.Parities = d.Plane(r.Count)
		m = r
	case KindVerify:
		v := &Verify{}
		v.SeedBits = d.Count(2*MaxQubits + 64)
		v.Seed = d.Plane(v.SeedBits)
		v.Tag = d.Word()
		m = v
	case KindVerifyReply:
		switch d.Byte() {
		case 0:
			m = &VerifyReply{}
		case 1:
			m = &VerifyReply{OK: true}
		default:
			d.Fail("bad verify flag")
		}
	case KindAmplify:
		a := &Amplify{}
		a.Length = d.Int()
		a.SeedBits = d.Count(2 * MaxQubits)
		a.Seed = d.Plane(a.SeedBits)
		m = a
	case KindTraceAlice:
		t := &TraceAlice{}
		t.Count = d.Count(MaxTraceQubits)
		t.Bits, t.Basis = d.Plane(t.Count), d.Plane(t.Count)
		m = t
	case KindTraceBob:
		t := &TraceBob{}
		t.Count = d.Count(MaxTraceQubits)
		t.Detected, t.Basis, t.Result = d.Plane(t.Count), d.Plane(t.Count), d.Plane(t.Count)
		m = t
	case KindAbort:
		n := d.Count(maxAbortReason)
		var r []byte
		if d.Err() == nil {
			r = make([]byte, n)
			d.Raw(r)
		}
		m = &Abort{Reason: string(r)}
	default:
		return nil, fmt.Errorf("%w: unknown kind %d", ErrMalformed, b[0])
	}
	if d.Err() == nil && d.Len() != 0 {
		d.Fail(fmt.Sprintf("%d trailing bytes", d.Len()))
	}
	if d.Err() != nil {
		return nil, fmt.Errorf("%w: %v: %v", ErrMalformed, kind, d.Err())
	}
	return m, nil
}
