package session

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"qkdchat/qkd"
)

// linkSender is what a qkdLink needs to put a numbered protocol message on
// the wire: photon frames go on the quantum link, the rest on the
// authenticated classical channel.
type linkSender interface {
	sendClassicalBB84(ctx context.Context, payload []byte) error
	sendQuantum(ctx context.Context, payload []byte) error
}

// qkdLink adapts a peer session to qkd.Conn. BB84 messages travel on two
// TCP connections (photons outside TLS, everything else inside), so one
// can overtake the other. Every message is numbered per direction and the
// receiver hands them to the protocol strictly in order, which keeps the
// protocol code oblivious to how many links carry it.
//
// Wire payload of both kinds: 4-byte key epoch, 8-byte sequence number
// (both big-endian), then the qkd message encoding. The epoch lets the
// session route frames to the exchange they belong to and drop stragglers
// of an earlier one.
type qkdLink struct {
	out     linkSender
	epoch   uint32
	sendSeq uint64 // next number to send; used by the single protocol goroutine

	mu      sync.Mutex
	nextIn  uint64                 // next number Recv will return
	pending map[uint64]qkd.Message // arrived out of order
	ready   chan struct{}          // signalled when pending may hold nextIn
	err     error                  // set when the link fails
}

// maxReorder bounds how many messages may wait for a missing predecessor;
// beyond it the peer (or an eavesdropper on the quantum link) is dropping
// or forging numbers.
const maxReorder = 4096

// BB84HeaderLen is the length of the epoch and sequence number that
// precede the qkd encoding in a BB84 payload.
const BB84HeaderLen = 4 + 8

const bb84Header = BB84HeaderLen

func newQKDLink(out linkSender, epoch uint32) *qkdLink {
	return &qkdLink{out: out, epoch: epoch, pending: map[uint64]qkd.Message{}, ready: make(chan struct{}, 1)}
}

// Send implements qkd.Conn.
func (l *qkdLink) Send(ctx context.Context, m qkd.Message) error {
	body, err := qkd.MarshalMessage(m)
	if err != nil {
		return err
	}
	payload := make([]byte, bb84Header+len(body))
	binary.BigEndian.PutUint32(payload, l.epoch)
	binary.BigEndian.PutUint64(payload[4:], l.sendSeq)
	copy(payload[bb84Header:], body)
	if m.Kind().Quantum() {
		err = l.out.sendQuantum(ctx, payload)
	} else {
		err = l.out.sendClassicalBB84(ctx, payload)
	}
	// A message refused (too large, say) leaves no hole in the numbers:
	// the peer would wait for it forever, behind it the Abort that follows.
	if err == nil {
		l.sendSeq++
	}
	return err
}

// Recv implements qkd.Conn.
func (l *qkdLink) Recv(ctx context.Context) (qkd.Message, error) {
	for {
		l.mu.Lock()
		if m, ok := l.pending[l.nextIn]; ok {
			delete(l.pending, l.nextIn)
			l.nextIn++
			l.mu.Unlock()
			return m, nil
		}
		err := l.err
		l.mu.Unlock()
		if err != nil {
			return nil, err
		}
		select {
		case <-l.ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// bb84Epoch reads the epoch a BB84 payload belongs to.
func bb84Epoch(payload []byte) (uint32, bool) {
	if len(payload) < bb84Header {
		return 0, false
	}
	return binary.BigEndian.Uint32(payload), true
}

// deliver is called by the session's readers with a received payload. A
// payload from the quantum link must decode to a quantum message and one
// from the classical channel to a classical one, so nobody on the open
// quantum link can inject classical protocol messages.
func (l *qkdLink) deliver(payload []byte, fromQuantumLink bool) error {
	if len(payload) < bb84Header {
		return l.fail(errors.New("BB84 frame shorter than its header"))
	}
	seq := binary.BigEndian.Uint64(payload[4:])
	m, err := qkd.UnmarshalMessage(payload[bb84Header:])
	if err != nil {
		return l.fail(fmt.Errorf("BB84 frame %d: %w", seq, err))
	}
	if m.Kind().Quantum() != fromQuantumLink {
		return l.fail(fmt.Errorf("BB84 frame %d arrived on the wrong link", seq))
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return l.err
	}
	if seq < l.nextIn || l.pending[seq] != nil {
		l.err = fmt.Errorf("BB84 frame %d repeated", seq)
	} else if seq-l.nextIn > maxReorder {
		l.err = fmt.Errorf("BB84 frame %d is %d ahead of the next expected", seq, seq-l.nextIn)
	} else {
		l.pending[seq] = m
	}
	l.signal()
	return l.err
}

// fail ends the link with err; Recv returns it once in-order messages run out.
func (l *qkdLink) fail(err error) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err == nil {
		l.err = err
	}
	l.signal()
	return l.err
}

func (l *qkdLink) signal() {
	select {
	case l.ready <- struct{}{}:
	default:
	}
}

// linkOut puts a session's BB84 messages on the wire: photon frames on
// the quantum link, the rest on the classical channel.
type linkOut struct{ s *Session }

func (o linkOut) sendClassicalBB84(ctx context.Context, payload []byte) error {
	return o.s.SendFrame(ctx, FrameBB84, payload)
}

func (o linkOut) sendQuantum(ctx context.Context, payload []byte) error {
	return o.s.ts.SendQuantum(ctx, payload)
}
