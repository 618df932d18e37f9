package transport

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// FrameVersion is the only frame version this build reads and writes.
const FrameVersion = 1

// FrameHeaderLen is the size of a frame header: version, type and a
// big-endian uint32 payload length.
const FrameHeaderLen = 6

// DefaultMaxFrame is the default limit on a frame's payload (1 MiB).
const DefaultMaxFrame = 1 << 20

// FrameType says what a frame's payload holds. Types below FirstAppFrame
// belong to this package; applications use FirstAppFrame and above.
type FrameType uint8

// Frame types used by the transport itself.
const (
	FrameHello    FrameType = 0x01 // handshake: Hello
	FramePake     FrameType = 0x02 // handshake: PAKE public value
	FrameConfirm  FrameType = 0x03 // handshake: key confirmation and identity proof
	FrameFinished FrameType = 0x04 // handshake: verdict (the listener's carries the link token)
	FrameAbort    FrameType = 0x05 // handshake: refusal with an AbortReason
	FrameLinkUp   FrameType = 0x06 // handshake: the quantum link is attached
	FrameQuantum  FrameType = 0x10 // the only frame type of the quantum link

	// FirstAppFrame is the lowest type Session.Send accepts and
	// Session.Recv returns.
	FirstAppFrame FrameType = 0x20
)

// Frame is one message on either channel.
type Frame struct {
	Type    FrameType
	Payload []byte
}

// WriteFrame writes f as [FrameVersion][type][uint32 length][payload] in a
// single Write call.
func WriteFrame(w io.Writer, f Frame) error {
	if uint64(len(f.Payload)) > math.MaxUint32 {
		return fmt.Errorf("transport: write frame of %d bytes: %w", len(f.Payload), ErrFrameTooLarge)
	}
	buf := make([]byte, FrameHeaderLen+len(f.Payload))
	buf[0] = FrameVersion
	buf[1] = byte(f.Type)
	binary.BigEndian.PutUint32(buf[2:], uint32(len(f.Payload)))
	copy(buf[FrameHeaderLen:], f.Payload)
	if _, err := w.Write(buf); err != nil {
		return fmt.Errorf("transport: write frame: %w", err)
	}
	return nil
}

// ReadFrame reads one frame whose payload is at most max bytes (max <= 0
// means DefaultMaxFrame). It returns io.EOF when the stream ends cleanly
// between frames, and an error wrapping ErrBadVersion, ErrFrameTooLarge or
// ErrTruncated for a frame that cannot be read; the stream is then out of
// step and must be closed. It never allocates more than max bytes.
func ReadFrame(r io.Reader, max int) (Frame, error) {
	if max <= 0 {
		max = DefaultMaxFrame
	}
	var hdr [FrameHeaderLen]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return Frame{}, fmt.Errorf("transport: frame header: %w: %w", ErrTruncated, err)
		}
		return Frame{}, err
	}
	if hdr[0] != FrameVersion {
		return Frame{}, fmt.Errorf("transport: frame version %d: %w", hdr[0], ErrBadVersion)
	}
	n := binary.BigEndian.Uint32(hdr[2:])
	if uint64(n) > uint64(max) {
		return Frame{}, fmt.Errorf("transport: frame of %d bytes exceeds the limit of %d: %w", n, max, ErrFrameTooLarge)
	}
	f := Frame{Type: FrameType(hdr[1]), Payload: make([]byte, n)}
	if _, err := io.ReadFull(r, f.Payload); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return Frame{}, fmt.Errorf("transport: frame payload: %w: %w", ErrTruncated, io.ErrUnexpectedEOF)
		}
		return Frame{}, fmt.Errorf("transport: frame payload: %w", err)
	}
	return f, nil
}
