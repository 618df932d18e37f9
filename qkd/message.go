package qkd

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"qkdchat/qkd/bitvec"
	"qkdchat/qkd/cascade"
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
)

var kindNames = [...]string{
	KindParams: "params", KindPhotons: "photons", KindSiftBob: "sift-bob",
	KindSiftAlice: "sift-alice", KindSample: "sample", KindSampleReply: "sample-reply",
	KindCascadeStart: "cascade-start", KindParityQuery: "parity-query",
	KindParityReply: "parity-reply", KindVerify: "verify", KindVerifyReply: "verify-reply",
	KindAmplify: "amplify", KindTraceAlice: "trace-alice", KindTraceBob: "trace-bob",
	KindAbort: "abort",
}

func (k MessageKind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return fmt.Sprintf("MessageKind(%d)", uint8(k))
}

// Quantum reports whether messages of kind k travel on the quantum link.
func (k MessageKind) Quantum() bool { return k == KindPhotons }

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
	e := encoder{b: []byte{byte(m.Kind())}}
	switch m := m.(type) {
	case *Params:
		e.byte(m.Version)
		e.int(m.Qubits)
		e.int(m.KeyBits)
		e.float(m.ZBias)
		e.float(m.Threshold)
		e.float(m.EpsSec)
		e.float(m.EpsCor)
		e.float(m.DesignQBER)
		e.int(m.TraceQubits)
	case *PhotonFrame:
		e.int(int(m.Start))
		e.planes(m.Count, m.Basis, m.Value, m.Present)
	case *SiftBob:
		e.int(m.Start)
		e.planes(m.Count, m.Detected, m.Basis)
	case *SiftAlice:
		e.int(m.Start)
		e.planes(m.Count, m.Basis)
	case *Sample:
		e.b = append(e.b, m.Seed[:]...)
		e.planes(m.Size, m.Bits)
	case *SampleReply:
		e.planes(m.Size, m.Bits)
	case *CascadeStart:
		e.b = append(e.b, m.Seed[:]...)
		e.planes(m.Count, m.Parities)
	case *ParityQuery:
		if m.Done {
			e.byte(1)
			e.int(m.Corrected)
			if len(m.Ranges) != 0 {
				e.err = errors.New("done query with ranges")
			}
			break
		}
		e.byte(0)
		e.int(len(m.Ranges))
		for _, r := range m.Ranges {
			if r.Pass < 0 || r.Lo < 0 || r.Hi < r.Lo {
				e.err = fmt.Errorf("bad range %+v", r)
			}
			e.int(r.Pass)
			e.int(r.Lo)
			e.int(r.Hi - r.Lo)
		}
	case *ParityReply:
		e.planes(m.Count, m.Parities)
	case *Verify:
		e.planes(m.SeedBits, m.Seed)
		e.word(m.Tag)
	case *VerifyReply:
		if m.OK {
			e.byte(1)
		} else {
			e.byte(0)
		}
	case *Amplify:
		e.int(m.Length)
		e.planes(m.SeedBits, m.Seed)
	case *TraceAlice:
		e.planes(m.Count, m.Bits, m.Basis)
	case *TraceBob:
		e.planes(m.Count, m.Detected, m.Basis, m.Result)
	case *Abort:
		r := m.Reason
		if len(r) > maxAbortReason {
			r = r[:maxAbortReason]
		}
		e.int(len(r))
		e.b = append(e.b, r...)
	default:
		return nil, fmt.Errorf("qkd: marshal: unknown message type %T", m)
	}
	if e.err != nil {
		return nil, fmt.Errorf("qkd: marshal %v: %w", m.Kind(), e.err)
	}
	if len(e.b) > MaxMessageSize {
		return nil, fmt.Errorf("qkd: marshal %v: %d bytes exceeds MaxMessageSize", m.Kind(), len(e.b))
	}
	return e.b, nil
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
	d := decoder{b: b[1:]}
	var m Message
	switch kind {
	case KindParams:
		p := &Params{}
		p.Version = d.byte()
		p.Qubits = d.int()
		p.KeyBits = d.int()
		p.ZBias = d.float()
		p.Threshold = d.float()
		p.EpsSec = d.float()
		p.EpsCor = d.float()
		p.DesignQBER = d.float()
		p.TraceQubits = d.int()
		m = p
	case KindPhotons:
		f := &PhotonFrame{}
		f.Start = uint64(d.int())
		f.Count = d.count(MaxFramePhotons)
		f.Basis, f.Value, f.Present = d.plane(f.Count), d.plane(f.Count), d.plane(f.Count)
		if d.err == nil && f.Count == 0 {
			d.fail("empty photon frame")
		}
		m = f
	case KindSiftBob:
		s := &SiftBob{Start: d.int()}
		s.Count = d.count(MaxFramePhotons)
		s.Detected, s.Basis = d.plane(s.Count), d.plane(s.Count)
		m = s
	case KindSiftAlice:
		s := &SiftAlice{Start: d.int()}
		s.Count = d.count(MaxFramePhotons)
		s.Basis = d.plane(s.Count)
		m = s
	case KindSample:
		s := &Sample{}
		d.bytes(s.Seed[:])
		s.Size = d.count(MaxQubits)
		s.Bits = d.plane(s.Size)
		m = s
	case KindSampleReply:
		s := &SampleReply{}
		s.Size = d.count(MaxQubits)
		s.Bits = d.plane(s.Size)
		m = s
	case KindCascadeStart:
		c := &CascadeStart{}
		d.bytes(c.Seed[:])
		c.Count = d.count(MaxQubits)
		c.Parities = d.plane(c.Count)
		m = c
	case KindParityQuery:
		q := &ParityQuery{}
		switch d.byte() {
		case 0:
			n := d.count(len(d.b) / 3) // each range takes at least 3 bytes
			if d.err == nil {
				q.Ranges = make([]ParityRange, n)
			}
			for i := 0; i < n && d.err == nil; i++ {
				r := ParityRange{Pass: d.int(), Lo: d.int()}
				l := d.int()
				if r.Lo > MaxQubits || l > MaxQubits {
					d.fail("parity range out of bounds")
				}
				r.Hi = r.Lo + l
				q.Ranges[i] = r
			}
		case 1:
			q.Done = true
			q.Corrected = d.int()
		default:
			d.fail("bad parity query flag")
		}
		m = q
	case KindParityReply:
		r := &ParityReply{}
		r.Count = d.count(MaxQubits)
		r.Parities = d.plane(r.Count)
		m = r
	case KindVerify:
		v := &Verify{}
		v.SeedBits = d.count(2*MaxQubits + 64)
		v.Seed = d.plane(v.SeedBits)
		v.Tag = d.word()
		m = v
	case KindVerifyReply:
		switch d.byte() {
		case 0:
			m = &VerifyReply{}
		case 1:
			m = &VerifyReply{OK: true}
		default:
			d.fail("bad verify flag")
		}
	case KindAmplify:
		a := &Amplify{}
		a.Length = d.int()
		a.SeedBits = d.count(2 * MaxQubits)
		a.Seed = d.plane(a.SeedBits)
		m = a
	case KindTraceAlice:
		t := &TraceAlice{}
		t.Count = d.count(MaxTraceQubits)
		t.Bits, t.Basis = d.plane(t.Count), d.plane(t.Count)
		m = t
	case KindTraceBob:
		t := &TraceBob{}
		t.Count = d.count(MaxTraceQubits)
		t.Detected, t.Basis, t.Result = d.plane(t.Count), d.plane(t.Count), d.plane(t.Count)
		m = t
	case KindAbort:
		n := d.count(maxAbortReason)
		var r []byte
		if d.err == nil {
			r = make([]byte, n)
			d.bytes(r)
		}
		m = &Abort{Reason: string(r)}
	default:
		return nil, fmt.Errorf("%w: unknown kind %d", ErrMalformed, b[0])
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail(fmt.Sprintf("%d trailing bytes", len(d.b)))
	}
	if d.err != nil {
		return nil, fmt.Errorf("%w: %v: %v", ErrMalformed, kind, d.err)
	}
	return m, nil
}

type encoder struct {
	b   []byte
	err error
}

func (e *encoder) byte(v uint8) { e.b = append(e.b, v) }
func (e *encoder) int(v int) {
	if v < 0 {
		e.err = fmt.Errorf("negative field %d", v)
		v = 0
	}
	e.b = binary.AppendUvarint(e.b, uint64(v))
}
func (e *encoder) float(v float64) { e.word(math.Float64bits(v)) }
func (e *encoder) word(v uint64)   { e.b = binary.LittleEndian.AppendUint64(e.b, v) }

// planes writes a bit count and then each plane as wordsFor(n) words with
// the bits beyond n cleared.
func (e *encoder) planes(n int, planes ...[]uint64) {
	e.int(n)
	w := bitvec.Words(n)
	for _, p := range planes {
		if len(p) < w {
			e.err = fmt.Errorf("plane of %d words for %d bits", len(p), n)
			return
		}
		for i := 0; i < w; i++ {
			v := p[i]
			if i == w-1 {
				v &= bitvec.LowMask(n - 64*i)
			}
			e.word(v)
		}
	}
}

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(msg string) {
	if d.err == nil {
		d.err = errors.New(msg)
	}
}

func (d *decoder) byte() uint8 {
	if d.err != nil || len(d.b) < 1 {
		d.fail("truncated")
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) bytes(dst []byte) {
	if d.err != nil || len(d.b) < len(dst) {
		d.fail("truncated")
		return
	}
	copy(dst, d.b)
	d.b = d.b[len(dst):]
}

// int reads a uvarint that must fit comfortably in an int.
func (d *decoder) int() int {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	if v > math.MaxInt32 {
		d.fail(fmt.Sprintf("field %d too large", v))
		return 0
	}
	d.b = d.b[n:]
	return int(v)
}

// count reads a size field and checks it against max.
func (d *decoder) count(max int) int {
	v := d.int()
	if d.err == nil && v > max {
		d.fail(fmt.Sprintf("count %d exceeds %d", v, max))
		return 0
	}
	return v
}

func (d *decoder) word() uint64 {
	if d.err != nil || len(d.b) < 8 {
		d.fail("truncated")
		return 0
	}
	v := binary.LittleEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}

func (d *decoder) float() float64 {
	v := math.Float64frombits(d.word())
	if math.IsNaN(v) || math.IsInf(v, 0) {
		d.fail("non-finite number")
		return 0
	}
	return v
}

// plane reads wordsFor(n) words, checking the length before allocating
// and that the bits beyond n are clear.
func (d *decoder) plane(n int) []uint64 {
	if d.err != nil {
		return nil
	}
	w := bitvec.Words(n)
	if len(d.b) < 8*w {
		d.fail("truncated bit plane")
		return nil
	}
	p := make([]uint64, w)
	for i := range p {
		p[i] = binary.LittleEndian.Uint64(d.b[8*i:])
	}
	d.b = d.b[8*w:]
	if w > 0 && p[w-1]&^bitvec.LowMask(n-64*(w-1)) != 0 {
		d.fail("bits set beyond the plane's length")
		return nil
	}
	return p
}
