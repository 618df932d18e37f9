package qkd

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

// linkFrameLimit is the largest payload one transport frame carries
// (transport.DefaultMaxFrame): every message of a live run, with the
// session's 12-byte BB84 header, must fit in it.
const linkFrameLimit = 1<<20 - 12

// cappedConn is one end of a Pipe that refuses, as a live link does, to
// send a message whose encoding is over linkFrameLimit.
type cappedConn struct{ Conn }

func (c cappedConn) Send(ctx context.Context, m Message) error {
	b, err := MarshalMessage(m)
	if err != nil {
		return err
	}
	if len(b) > linkFrameLimit {
		return fmt.Errorf("%v message of %d bytes exceeds the link's frame limit of %d", m.Kind(), len(b), linkFrameLimit)
	}
	return c.Conn.Send(ctx, m)
}

// TestLaserRunFitsLinkFrames: a laser run of more pulses than one frame
// carries (a PNS attack at 40 km, 1.5 million pulses) goes through a link
// with the transport's frame limit: its pulse frames are split below it.
func TestLaserRunFitsLinkFrames(t *testing.T) {
	seed := uint64(16)
	c := Config{Protocol: Protocol{Qubits: MaxFramePhotons + MaxFramePhotons/2, KeyBits: 256, Source: Source{Laser: true, Decoys: true}},
		Channel: Channel{FiberKm: 40, Attack: AttackPNS}, Seed: &seed}
	a, b := Pipe()
	var wg sync.WaitGroup
	var bobErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, bobErr = RunBob(context.Background(), Config{}, cappedConn{b})
	}()
	res, err := RunAlice(context.Background(), c, cappedConn{a})
	wg.Wait()
	if res == nil || res.Report.QubitsSent != c.Qubits {
		t.Fatalf("alice sent %v pulses of %d: %v", res, c.Qubits, err)
	}
	// The decoys catch the attack: the run aborts for its bound, not for
	// the link.
	if !isAbort(err) || !isAbort(bobErr) {
		t.Fatalf("alice: %v; bob: %v", err, bobErr)
	}
}
