package transport

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestFrameRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	frames := []Frame{
		{Type: FirstAppFrame, Payload: []byte("hello")},
		{Type: FrameQuantum, Payload: []byte{}},
		{Type: 0xff, Payload: bytes.Repeat([]byte{7}, 1000)},
	}
	for _, f := range frames {
		if err := WriteFrame(&buf, f); err != nil {
			t.Fatal(err)
		}
	}
	if got := buf.Bytes()[:FrameHeaderLen]; !bytes.Equal(got, []byte{1, 0x20, 0, 0, 0, 5}) {
		t.Errorf("header = %x, want 01 20 00000005", got)
	}
	for _, want := range frames {
		f, err := ReadFrame(&buf, 1000)
		if err != nil || f.Type != want.Type || !bytes.Equal(f.Payload, want.Payload) {
			t.Fatalf("ReadFrame = %v %v, want %v", f, err, want)
		}
	}
	if _, err := ReadFrame(&buf, 1000); err != io.EOF {
		t.Errorf("at the end: %v, want io.EOF", err)
	}
}

func TestReadFrameErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		max  int
		want error
	}{
		{"partial header", []byte{1, 0x20, 0}, 0, ErrTruncated},
		{"partial payload", []byte{1, 0x20, 0, 0, 0, 9, 'a'}, 0, ErrTruncated},
		{"missing payload", []byte{1, 0x20, 0, 0, 0, 9}, 0, ErrTruncated},
		{"version 0", []byte{0, 0x20, 0, 0, 0, 0}, 0, ErrBadVersion},
		{"version 2", []byte{2, 0x20, 0, 0, 0, 0}, 0, ErrBadVersion},
		{"over the limit", []byte{1, 0x20, 0, 0, 0, 11}, 10, ErrFrameTooLarge},
		{"over the default limit", []byte{1, 0x20, 0, 0x10, 0, 1}, 0, ErrFrameTooLarge},
		{"4 GiB", []byte{1, 0x20, 0xff, 0xff, 0xff, 0xff}, 0, ErrFrameTooLarge},
	} {
		_, err := ReadFrame(bytes.NewReader(tc.in), tc.max)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	f, err := ReadFrame(bytes.NewReader([]byte{1, 0x20, 0, 0, 0, 10, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9}), 10)
	if err != nil || len(f.Payload) != 10 {
		t.Errorf("a frame at the limit: %v", err)
	}
}

func TestPreamble(t *testing.T) {
	for _, k := range []Kind{KindClassical, KindQuantum} {
		var buf bytes.Buffer
		if err := WritePreamble(&buf, k); err != nil {
			t.Fatal(err)
		}
		buf.WriteString("rest")
		got, err := ReadPreamble(&buf)
		if err != nil || got != k || buf.String() != "rest" {
			t.Errorf("%v: got %v %v, left %q", k, got, err, buf.String())
		}
	}
	if err := WritePreamble(io.Discard, 9); !errors.Is(err, ErrBadPreamble) {
		t.Errorf("writing kind 9: %v", err)
	}
	for _, tc := range []struct {
		in   string
		want error
	}{
		{"QKDC\x01", ErrTruncated},
		{"XKDC\x01\x01", ErrBadPreamble},
		{"QKDC\x02\x01", ErrBadVersion},
		{"QKDC\x01\x00", ErrBadPreamble},
		{"QKDC\x01\x03", ErrBadPreamble},
	} {
		if _, err := ReadPreamble(strings.NewReader(tc.in)); !errors.Is(err, tc.want) {
			t.Errorf("%q: %v, want %v", tc.in, err, tc.want)
		}
	}
	var tok LinkToken
	tok[0], tok[31] = 1, 2
	var buf bytes.Buffer
	WriteLinkToken(&buf, tok)
	if got, err := ReadLinkToken(&buf); err != nil || got != tok {
		t.Errorf("link token round trip: %v", err)
	}
	if _, err := ReadLinkToken(bytes.NewReader(tok[:5])); !errors.Is(err, ErrTruncated) {
		t.Errorf("short token: %v", err)
	}
}

func TestHello(t *testing.T) {
	h := Hello{Version: ProtocolVersion, Mode: ModePinned, Identity: testKey("a").Public().(ed25519.PublicKey), Name: "Dr. Zoë Ab", Role: "doctor"}
	b, err := h.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseHello(b)
	if err != nil || got.Name != h.Name || got.Role != h.Role || got.Mode != h.Mode || !got.Identity.Equal(h.Identity) {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	// The decoded key must not alias the input.
	b[2] ^= 0xff
	if !got.Identity.Equal(h.Identity) {
		t.Error("ParseHello kept a reference to its input")
	}
	b[2] ^= 0xff

	bad := func(name string, mutate func(Hello) Hello, want error) {
		t.Helper()
		m := mutate(h)
		if _, err := m.MarshalBinary(); !errors.Is(err, want) {
			t.Errorf("marshal %s: %v, want %v", name, err, want)
		}
	}
	bad("version 2", func(h Hello) Hello { h.Version = 2; return h }, ErrBadVersion)
	bad("mode 0", func(h Hello) Hello { h.Mode = 0; return h }, ErrMalformed)
	bad("empty name", func(h Hello) Hello { h.Name = ""; return h }, ErrMalformed)
	bad("long name", func(h Hello) Hello { h.Name = strings.Repeat("n", MaxNameLen+1); return h }, ErrMalformed)
	bad("control character", func(h Hello) Hello { h.Name = "Al\x1bice"; return h }, ErrMalformed)
	bad("invalid UTF-8", func(h Hello) Hello { h.Role = "\xff"; return h }, ErrMalformed)
	bad("long role", func(h Hello) Hello { h.Role = strings.Repeat("r", MaxRoleLen+1); return h }, ErrMalformed)
	bad("short key", func(h Hello) Hello { h.Identity = h.Identity[:31]; return h }, ErrMalformed)
	bad("small-order key", func(h Hello) Hello { h.Identity = make([]byte, 32); return h }, ErrMalformed)
	bad("identity point key", func(h Hello) Hello { h.Identity = append([]byte{1}, make([]byte, 31)...); return h }, ErrMalformed)

	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"trailing byte", append(append([]byte(nil), b...), 0)},
		{"cut role", b[:len(b)-1]},
		{"name longer than the message", append(append([]byte(nil), b[:34]...), 200, 'a')},
	} {
		if _, err := ParseHello(tc.b); !errors.Is(err, ErrMalformed) {
			t.Errorf("parse %s: %v", tc.name, err)
		}
	}
}

func TestHandshakeMessageParsers(t *testing.T) {
	if _, err := parseConfirm(make([]byte, macLen+sigLen), ModePair); err != nil {
		t.Error(err)
	}
	if _, err := parseConfirm(make([]byte, sigLen), ModePinned); err != nil {
		t.Error(err)
	}
	if _, err := parseConfirm(make([]byte, sigLen), ModePair); !errors.Is(err, ErrMalformed) {
		t.Errorf("pair confirmation without MAC: %v", err)
	}
	if _, err := parseFinished([]byte{1}, false); !errors.Is(err, ErrMalformed) {
		t.Errorf("dialer finished with payload: %v", err)
	}
	if _, err := parseFinished(make([]byte, 31), true); !errors.Is(err, ErrMalformed) {
		t.Errorf("short token: %v", err)
	}
	for _, b := range [][]byte{nil, {0}, {byte(lastAbortReason + 1)}, {2, 2}} {
		if _, err := parseAbort(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("abort %v: %v", b, err)
		}
	}
	pp, err := newPakeParty(testCode, pakeListener)
	if err != nil {
		t.Fatal(err)
	}
	notOnCurve := make([]byte, pakeMsgLen)
	notOnCurve[0] = 4
	notOnCurve[64] = 1
	for _, b := range [][]byte{nil, {0}, notOnCurve, append([]byte{2}, make([]byte, 64)...)} {
		if _, err := pp.update(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("pake value %x: %v", b, err)
		}
	}
}

func TestPakeAgreesOnlyOnTheSameCode(t *testing.T) {
	run := func(codeD, codeL string) (kd, kl []byte) {
		d, err := newPakeParty(codeD, pakeDialer)
		if err != nil {
			t.Fatal(err)
		}
		l, err := newPakeParty(codeL, pakeListener)
		if err != nil {
			t.Fatal(err)
		}
		x, err := d.message()
		if err != nil {
			t.Fatal(err)
		}
		if kl, err = l.update(x); err != nil {
			t.Fatal(err)
		}
		y, err := l.message()
		if err != nil {
			t.Fatal(err)
		}
		if kd, err = d.update(y); err != nil {
			t.Fatal(err)
		}
		return kd, kl
	}
	kd, kl := run(testCode, testCode)
	if !bytes.Equal(kd, kl) || len(kd) != 32 {
		t.Errorf("same code: keys differ")
	}
	kd2, _ := run(testCode, testCode)
	if bytes.Equal(kd, kd2) {
		t.Errorf("two runs gave the same key")
	}
	kd, kl = run(testCode, "5-amber-falcon")
	if bytes.Equal(kd, kl) {
		t.Errorf("different codes: keys agree")
	}
}
