package transport

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"io"
	"log/slog"
	"testing"
)

func frameBytes(fs ...Frame) []byte {
	var b bytes.Buffer
	for _, f := range fs {
		WriteFrame(&b, f)
	}
	return b.Bytes()
}

func FuzzReadFrame(f *testing.F) {
	f.Add(frameBytes(Frame{Type: FirstAppFrame, Payload: []byte("hi")}), 16)
	f.Add(frameBytes(Frame{Type: FrameQuantum}, Frame{Type: 0xff, Payload: []byte{1, 2, 3}}), 3)
	f.Add([]byte{1, 0x20, 0xff, 0xff, 0xff, 0xff}, 0)
	f.Add([]byte{2, 0x20, 0, 0, 0, 0}, 0)
	f.Add([]byte{1, 0x20, 0, 0, 0, 5, 'a'}, 0)
	f.Fuzz(func(t *testing.T, data []byte, max int) {
		if max > 1<<16 || max < 0 {
			max = 1 << 16
		}
		r := bytes.NewReader(data)
		for {
			fr, err := ReadFrame(r, max)
			if err != nil {
				if err != io.EOF && !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrBadVersion) && !errors.Is(err, ErrFrameTooLarge) {
					t.Fatalf("untyped error %v", err)
				}
				return
			}
			lim := max
			if lim == 0 {
				lim = DefaultMaxFrame
			}
			if len(fr.Payload) > lim {
				t.Fatalf("payload of %d bytes over the limit %d", len(fr.Payload), lim)
			}
			// What was read re-encodes to the bytes it came from.
			var b bytes.Buffer
			WriteFrame(&b, fr)
			back, err := ReadFrame(&b, lim)
			if err != nil || back.Type != fr.Type || !bytes.Equal(back.Payload, fr.Payload) {
				t.Fatalf("re-encoding differs: %v", err)
			}
		}
	})
}

func FuzzReadPreamble(f *testing.F) {
	f.Add([]byte("QKDC\x01\x01"))
	f.Add([]byte("QKDC\x01\x02" + string(make([]byte, 32))))
	f.Add([]byte("GET / HTTP/1.1\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		k, err := ReadPreamble(r)
		if err != nil {
			return
		}
		if k != KindClassical && k != KindQuantum {
			t.Fatalf("accepted kind %v", k)
		}
		if r.Len() != len(data)-PreambleLen {
			t.Fatalf("read %d bytes, want %d", len(data)-r.Len(), PreambleLen)
		}
		var b bytes.Buffer
		WritePreamble(&b, k)
		if !bytes.Equal(b.Bytes(), data[:PreambleLen]) {
			t.Fatalf("preamble %q re-encodes as %q", data[:PreambleLen], b.Bytes())
		}
	})
}

func validHello() []byte {
	h := Hello{Version: ProtocolVersion, Mode: ModePair, Identity: testKey("fuzz").Public().(ed25519.PublicKey), Name: "Alice", Role: "patient"}
	b, _ := h.MarshalBinary()
	return b
}

func FuzzParseHello(f *testing.F) {
	f.Add(validHello())
	f.Add(validHello()[:40])
	f.Add(append(validHello(), 0))
	f.Add(append(validHello(), helloNameplate, 0x12, 0xd5))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := ParseHello(data)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrBadVersion) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		b, err := h.MarshalBinary()
		if err != nil || !bytes.Equal(b, data) {
			t.Fatalf("accepted Hello does not re-encode to its input: %v", err)
		}
	})
}

// handshakeSeeds are dialer-side streams for the listener's parser.
func handshakeSeeds() [][]byte {
	x, _ := newPakeParty(testCode, pakeDialer)
	xm, _ := x.message()
	pinned := validHello()
	pinned[1] = byte(ModePinned)
	return [][]byte{
		frameBytes(Frame{Type: FrameHello, Payload: validHello()}, Frame{Type: FramePake, Payload: xm},
			Frame{Type: FrameConfirm, Payload: make([]byte, macLen+sigLen)}, Frame{Type: FrameFinished}),
		frameBytes(Frame{Type: FrameHello, Payload: pinned}, Frame{Type: FrameConfirm, Payload: make([]byte, sigLen)}),
		frameBytes(Frame{Type: FrameHello, Payload: validHello()}, Frame{Type: FramePake, Payload: make([]byte, pakeMsgLen)}),
		frameBytes(Frame{Type: FrameAbort, Payload: []byte{byte(AbortPairingFailed)}}),
		frameBytes(Frame{Type: FrameHello, Payload: append(validHello(), helloNameplate, 0x12, 0xd5)}, Frame{Type: FramePake, Payload: xm},
			Frame{Type: FrameConfirm, Payload: make([]byte, macLen+sigLen)}, Frame{Type: FrameFinished}),
		frameBytes(Frame{Type: FrameHello, Payload: validHello()}, Frame{Type: FrameAbort, Payload: []byte{99}}),
	}
}

type fuzzConn struct {
	io.Reader
	io.Writer
}

// FuzzListenHandshake feeds arbitrary dialer bytes to the listener's
// whole handshake. Without the dialer's keys it must always fail, with an
// error and without a panic.
func FuzzListenHandshake(f *testing.F) {
	for _, s := range handshakeSeeds() {
		f.Add(s)
	}
	pins := &PinSet{}
	pins.Pin("Alice", "patient", testKey("fuzz").Public().(ed25519.PublicKey))
	cfg, err := Config{Identity: testKey("listener"), Name: "Hospital", Pins: pins, Logger: slog.New(slog.DiscardHandler)}.withDefaults()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		acquire := func(int) (pairSlot, error) {
			return pairSlot{code: testCode, release: func(bool) {}, proved: func(bool) error { return nil }}, nil
		}
		_, err := listenHandshake(fuzzConn{bytes.NewReader(data), io.Discard}, &cfg, make([]byte, 32), acquire, LinkToken{})
		if err == nil {
			t.Fatal("a handshake succeeded without the dialer's keys")
		}
	})
}

// FuzzDialHandshake does the same for the dialer's side.
func FuzzDialHandshake(f *testing.F) {
	y, _ := newPakeParty(testCode, pakeDialer)
	ym, _ := y.message()
	f.Add(frameBytes(Frame{Type: FrameHello, Payload: validHello()}, Frame{Type: FramePake, Payload: ym},
		Frame{Type: FrameConfirm, Payload: make([]byte, macLen+sigLen)}, Frame{Type: FrameFinished, Payload: make([]byte, 32)}))
	for _, s := range handshakeSeeds() {
		f.Add(s)
	}
	cfg, err := Config{Identity: testKey("dialer"), Name: "Alice", Code: testCode, Logger: slog.New(slog.DiscardHandler)}.withDefaults()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := dialHandshake(fuzzConn{bytes.NewReader(data), io.Discard}, &cfg, make([]byte, 32)); err == nil {
			t.Fatal("a handshake succeeded without the listener's keys")
		}
	})
}

func FuzzHandshakeMessages(f *testing.F) {
	x, _ := newPakeParty(testCode, pakeDialer)
	xm, _ := x.message()
	f.Add(xm)
	f.Add(make([]byte, macLen+sigLen))
	f.Add([]byte{byte(AbortCodeExhausted)})
	f.Add(make([]byte, 32))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, m := range []Mode{ModePair, ModePinned} {
			if c, err := parseConfirm(data, m); err == nil && len(c.marshal()) != len(data) {
				t.Fatal("confirmation does not re-encode")
			}
		}
		parseFinished(data, true)
		parseFinished(data, false)
		if r, err := parseAbort(data); err == nil && !r.valid() {
			t.Fatal("invalid abort reason accepted")
		}
		pp, err := newPakeParty(testCode, pakeListener)
		if err != nil {
			t.Fatal(err)
		}
		if k, err := pp.update(data); err == nil {
			if len(k) != 32 {
				t.Fatalf("key of %d bytes", len(k))
			}
			if _, err := pp.message(); err != nil {
				t.Fatalf("no Y after a successful update: %v", err)
			}
		}
	})
}
