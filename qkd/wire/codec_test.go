package wire

import (
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	e := NewEncoder(7)
	e.Byte(200)
	e.Int(0)
	e.Int(300)
	e.Float(-1.5)
	e.Word(1<<63 | 5)
	e.Raw([]byte("seed"))
	e.Planes(70, []uint64{^uint64(0), ^uint64(0)}, []uint64{1, 32})
	if e.Err() != nil {
		t.Fatal(e.Err())
	}
	b := e.Bytes()
	if b[0] != 7 {
		t.Fatalf("kind byte %d, want 7", b[0])
	}
	d := NewDecoder(b[1:])
	var raw [4]byte
	got := []any{d.Byte(), d.Int(), d.Int(), d.Float(), d.Word()}
	d.Raw(raw[:])
	n := d.Count(100)
	p1, p2 := d.Plane(n), d.Plane(n)
	want := []any{uint8(200), 0, 300, -1.5, uint64(1<<63 | 5)}
	if !reflect.DeepEqual(got, want) || string(raw[:]) != "seed" || n != 70 {
		t.Fatalf("read %v %q %d, want %v \"seed\" 70", got, raw, n, want)
	}
	// The bits of the first plane beyond 70 are cleared on the way.
	if !reflect.DeepEqual(p1, []uint64{^uint64(0), 63}) || !reflect.DeepEqual(p2, []uint64{1, 32}) {
		t.Fatalf("planes %x %x", p1, p2)
	}
	if d.Err() != nil || d.Len() != 0 {
		t.Fatalf("err %v, %d bytes left", d.Err(), d.Len())
	}
}

func TestEncoderErrors(t *testing.T) {
	e := NewEncoder(1)
	e.Int(-1)
	if e.Err() == nil || !strings.Contains(e.Err().Error(), "negative") {
		t.Fatalf("negative int: err %v", e.Err())
	}
	e = NewEncoder(1)
	e.Planes(130, []uint64{1, 2})
	if e.Err() == nil || !strings.Contains(e.Err().Error(), "plane of 2 words for 130 bits") {
		t.Fatalf("short plane: err %v", e.Err())
	}
}

func TestDecoderErrors(t *testing.T) {
	nan := NewEncoder(0)
	nan.Float(math.NaN())
	for _, tc := range []struct {
		name string
		in   []byte
		read func(d *Decoder)
		want string
	}{
		{"empty byte", nil, func(d *Decoder) { d.Byte() }, "truncated"},
		{"short raw", []byte{1}, func(d *Decoder) { d.Raw(make([]byte, 2)) }, "truncated"},
		{"bad varint", []byte{0x80}, func(d *Decoder) { d.Int() }, "bad varint"},
		{"huge int", []byte{0x80, 0x80, 0x80, 0x80, 0x08}, func(d *Decoder) { d.Int() }, "too large"},
		{"count", []byte{5}, func(d *Decoder) { d.Count(4) }, "count 5 exceeds 4"},
		{"short word", make([]byte, 7), func(d *Decoder) { d.Word() }, "truncated"},
		{"nan", nan.Bytes()[1:], func(d *Decoder) { d.Float() }, "non-finite"},
		{"short plane", make([]byte, 8), func(d *Decoder) { d.Plane(65) }, "truncated bit plane"},
		{"tail bits", []byte{0xff, 0, 0, 0, 0, 0, 0, 0}, func(d *Decoder) { d.Plane(4) }, "beyond"},
	} {
		d := NewDecoder(tc.in)
		tc.read(d)
		if d.Err() == nil || !strings.Contains(d.Err().Error(), tc.want) {
			t.Errorf("%s: err %v, want %q", tc.name, d.Err(), tc.want)
		}
		// After an error every read returns zero and the error stays.
		if first := d.Err(); d.Int() != 0 || d.Err() != first {
			t.Errorf("%s: read after an error", tc.name)
		}
	}
}
