package session

import (
	"context"
	"errors"
	"testing"
	"time"

	"qkdchat/qkd"
)

// loopSender hands what a qkdLink sends to another qkdLink, as the
// session's two channels do, and refuses quantum payloads over limit as
// the transport refuses a frame over its limit (nothing is written).
type loopSender struct {
	to    *qkdLink
	limit int
}

func (s loopSender) sendClassicalBB84(_ context.Context, p []byte) error {
	return s.to.deliver(p, false)
}

func (s loopSender) sendQuantum(_ context.Context, p []byte) error {
	if len(p) > s.limit {
		return errors.New("frame too large")
	}
	return s.to.deliver(p, true)
}

// TestQKDLinkRefusedSendLeavesNoGap: a message the link refused to send
// leaves no hole in the numbering, so the Abort that follows it reaches
// the peer at once instead of waiting behind a message that never comes.
func TestQKDLinkRefusedSendLeavesNoGap(t *testing.T) {
	bob := newQKDLink(nullSender{}, 1)
	alice := newQKDLink(loopSender{to: bob, limit: 64}, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	big := &qkd.PhotonFrame{Count: 1000, Basis: make([]uint64, 16), Value: make([]uint64, 16), Present: make([]uint64, 16)}
	if err := alice.Send(ctx, big); err == nil {
		t.Fatal("an oversized frame was sent")
	}
	if err := alice.Send(ctx, &qkd.Abort{Reason: "could not send"}); err != nil {
		t.Fatal(err)
	}
	m, err := bob.Recv(ctx)
	if err != nil {
		t.Fatalf("bob: %v", err)
	}
	if a, ok := m.(*qkd.Abort); !ok || a.Reason != "could not send" {
		t.Fatalf("bob received %#v", m)
	}
}
