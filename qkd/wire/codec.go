package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"qkdchat/qkd/bitvec"
)

// NewEncoder returns an encoder whose message starts with the byte kind.
func NewEncoder(kind byte) *Encoder { return &Encoder{b: []byte{kind}} }

// NewDecoder returns a decoder reading b.
func NewDecoder(b []byte) *Decoder { return &Decoder{b: b} }

// Encoder appends fields to a message. An error it meets (a negative
// int, a short plane) or one set with SetErr is kept for Err; the caller
// checks it once at the end.
type Encoder struct {
	b   []byte
	err error
}

// Byte appends one byte.
func (e *Encoder) Byte(v uint8) { e.b = append(e.b, v) }

// Int appends v as an unsigned varint; a negative v is an error.
func (e *Encoder) Int(v int) {
	if v < 0 {
		e.err = fmt.Errorf("negative field %d", v)
		v = 0
	}
	e.b = binary.AppendUvarint(e.b, uint64(v))
}

// Float appends the bits of v as a word.
func (e *Encoder) Float(v float64) { e.Word(math.Float64bits(v)) }

// Word appends v little-endian.
func (e *Encoder) Word(v uint64) { e.b = binary.LittleEndian.AppendUint64(e.b, v) }

// Planes writes a bit count and then each plane as bitvec.Words(n) words with
// the bits beyond n cleared.
func (e *Encoder) Planes(n int, planes ...[]uint64) {
	e.Int(n)
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
			e.Word(v)
		}
	}
}

// Decoder reads fields from a message. After the first error every read
// returns zero and Err reports it.
type Decoder struct {
	b   []byte
	err error
}

// Fail records msg as the decoding error unless there is one already.
func (d *Decoder) Fail(msg string) {
	if d.err == nil {
		d.err = errors.New(msg)
	}
}

// Byte reads one byte.
func (d *Decoder) Byte() uint8 {
	if d.err != nil || len(d.b) < 1 {
		d.Fail("truncated")
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

// Raw reads len(dst) bytes into dst.
func (d *Decoder) Raw(dst []byte) {
	if d.err != nil || len(d.b) < len(dst) {
		d.Fail("truncated")
		return
	}
	copy(dst, d.b)
	d.b = d.b[len(dst):]
}

// Int reads a uvarint that must fit comfortably in an int.
func (d *Decoder) Int() int {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.Fail("bad varint")
		return 0
	}
	if v > math.MaxInt32 {
		d.Fail(fmt.Sprintf("field %d too large", v))
		return 0
	}
	d.b = d.b[n:]
	return int(v)
}

// Count reads a size field and checks it against max.
func (d *Decoder) Count(max int) int {
	v := d.Int()
	if d.err == nil && v > max {
		d.Fail(fmt.Sprintf("count %d exceeds %d", v, max))
		return 0
	}
	return v
}

// Word reads a little-endian word.
func (d *Decoder) Word() uint64 {
	if d.err != nil || len(d.b) < 8 {
		d.Fail("truncated")
		return 0
	}
	v := binary.LittleEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}

// Float reads a word as a float64, which must be finite.
func (d *Decoder) Float() float64 {
	v := math.Float64frombits(d.Word())
	if math.IsNaN(v) || math.IsInf(v, 0) {
		d.Fail("non-finite number")
		return 0
	}
	return v
}

// Plane reads bitvec.Words(n) words, checking the length before allocating
// and that the bits beyond n are clear.
func (d *Decoder) Plane(n int) []uint64 {
	if d.err != nil {
		return nil
	}
	w := bitvec.Words(n)
	if len(d.b) < 8*w {
		d.Fail("truncated bit plane")
		return nil
	}
	p := make([]uint64, w)
	for i := range p {
		p[i] = binary.LittleEndian.Uint64(d.b[8*i:])
	}
	d.b = d.b[8*w:]
	if w > 0 && p[w-1]&^bitvec.LowMask(n-64*(w-1)) != 0 {
		d.Fail("bits set beyond the plane's length")
		return nil
	}
	return p
}

// Raw appends p as it is.
func (e *Encoder) Raw(p []byte) { e.b = append(e.b, p...) }

// SetErr records err as the encoding error.
func (e *Encoder) SetErr(err error) { e.err = err }

// Err returns the encoding error, if any.
func (e *Encoder) Err() error { return e.err }

// Bytes returns the message encoded so far.
func (e *Encoder) Bytes() []byte { return e.b }

// Err returns the first decoding error, if any.
func (d *Decoder) Err() error { return d.err }

// Len returns the number of bytes not read yet.
func (d *Decoder) Len() int { return len(d.b) }
