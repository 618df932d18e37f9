package node

import (
	"context"
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"qkdchat/ledger"
	"qkdchat/session"
	"qkdchat/transport"
)

// forgeChat seals text as Send would, under the session's current key
// with the next sequence number, and returns the chat frame payload.
// mutate, if not nil, may change the token before the transaction is
// signed (so the signature is valid over the changed token).
func forgeChat(t *testing.T, alice *Node, s *Session, text string, mutate func(tok []byte)) []byte {
	t.Helper()
	if _, key := s.CurrentKey(); key == nil {
		t.Fatal("no key yet")
	}
	tx, epoch, err := s.Seal(ledger.KindChat, "chat", session.Sealed{ID: newMessageID(), Kind: ledger.KindChat.String(), CaseID: "chat", Text: text}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if mutate != nil {
		mutate(tx.Token)
		if err := tx.Sign(alice.id); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := tx.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	payload := make([]byte, 4+len(raw))
	binary.BigEndian.PutUint32(payload, epoch)
	copy(payload[4:], raw)
	return payload
}

// keyedPair pairs two fresh nodes and waits for the first key on both
// sides.
func keyedPair(t *testing.T, ctx context.Context) (*Node, *Session, <-chan Event, <-chan Event, *Node) {
	t.Helper()
	alice := newTestNode(t, "Alice", RolePatient, BB84Settings{})
	hosp := newTestNode(t, "Hospital", RoleHospital, BB84Settings{})
	s, aev, bev := pairKeyed(t, ctx, alice, hosp)
	return alice, s, aev, bev, hosp
}

func TestTamperedTokenRejectedSessionContinues(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	alice, s, _, bev, _ := keyedPair(t, ctx)

	// A flipped byte inside the token, re-signed so only the Fernet MAC
	// can notice: the token is base64, so flip a bit of a letter in the
	// middle (it stays valid base64 but decodes to other bytes).
	flip := func(tok []byte) {
		i := len(tok) / 2
		for tok[i] < 'a' || tok[i] > 'y' {
			i++
		}
		tok[i]++
	}
	if err := s.SendFrame(ctx, frameChat, forgeChat(t, alice, s, "tampered", flip)); err != nil {
		t.Fatal(err)
	}
	e := waitEvent(t, bev, "rejection of the tampered token", func(e Event) bool { return e.Type == EventRejected || e.Type == EventMessage })
	if e.Type != EventRejected || !strings.Contains(e.Reason, "tampered") {
		t.Fatalf("tampered token: got %s %q", e.Type, e.Reason)
	}

	// A flipped byte after signing breaks the signature instead.
	payload := forgeChat(t, alice, s, "tampered after signing", nil)
	payload[len(payload)-20] ^= 0x01
	if err := s.SendFrame(ctx, frameChat, payload); err != nil {
		t.Fatal(err)
	}
	e = waitEvent(t, bev, "rejection of the unsigned change", func(e Event) bool { return e.Type == EventRejected || e.Type == EventMessage })
	if e.Type != EventRejected {
		t.Fatalf("frame changed after signing: got %s %+v", e.Type, e.Message)
	}

	// The session carries on.
	if _, err := s.Send(ctx, ledger.KindChat, "chat", "still here", nil); err != nil {
		t.Fatal(err)
	}
	got := waitEvent(t, bev, "the next message", isType(EventMessage))
	if got.Message.Text != "still here" {
		t.Fatalf("next message %q", got.Message.Text)
	}
}

func TestReplayedChatFrameRejected(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	alice, s, _, bev, hosp := keyedPair(t, ctx)

	payload := forgeChat(t, alice, s, "take 2 pills", nil)
	if err := s.SendFrame(ctx, frameChat, payload); err != nil {
		t.Fatal(err)
	}
	first := waitEvent(t, bev, "the original", isType(EventMessage))
	if first.Message.Text != "take 2 pills" {
		t.Fatalf("original %q", first.Message.Text)
	}
	size := hosp.Ledger().Size()
	if err := s.SendFrame(ctx, frameChat, payload); err != nil {
		t.Fatal(err)
	}
	e := waitEvent(t, bev, "the replay's fate", func(e Event) bool { return e.Type == EventRejected || e.Type == EventMessage })
	if e.Type != EventRejected || !strings.Contains(e.Reason, "replay") {
		t.Fatalf("replay: got %s %q", e.Type, e.Reason)
	}
	// The session goes on, and the replay left no trace in the ledger.
	if _, err := s.Send(ctx, ledger.KindChat, "chat", "after", nil); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, bev, "the next message", isType(EventMessage))
	if got := hosp.Ledger().Size(); got != size+1 {
		t.Fatalf("ledger grew from %d to %d: the replay was recorded", size, got)
	}
}

func TestTooOldMessageRejected(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	alice, s, _, bev, _ := keyedPair(t, ctx)
	old := forgeChat(t, alice, s, "old", nil)
	for range replayWindowSize + 1 {
		forgeChat(t, alice, s, "skipped", nil) // burn sequence numbers
	}
	if err := s.SendFrame(ctx, frameChat, forgeChat(t, alice, s, "new", nil)); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, bev, "the new message", isType(EventMessage))
	if err := s.SendFrame(ctx, frameChat, old); err != nil {
		t.Fatal(err)
	}
	e := waitEvent(t, bev, "the old message's fate", func(e Event) bool { return e.Type == EventRejected || e.Type == EventMessage })
	if e.Type != EventRejected || !strings.Contains(e.Reason, "out of order") {
		t.Fatalf("old message: got %s %q", e.Type, e.Reason)
	}
}

// TestBadFramesEndOnlyThatSession: a peer that sends an unknown, a
// malformed or an oversize frame loses its session, and the listener goes
// on serving the others.
func TestBadFramesEndOnlyThatSession(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hosp := newTestNode(t, "Hospital", RoleHospital, BB84Settings{})
	bev, stop := hosp.Events()
	defer stop()
	addr, code, err := hosp.Listen(ctx, "127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	// A well-behaved peer stays connected throughout.
	good := newTestNode(t, "Carol", RoleDoctor, BB84Settings{})
	gs, err := good.Connect(ctx, addr.String(), code)
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name  string
		frame transport.Frame
		want  string
	}{
		{"unknown type", transport.Frame{Type: 0x7e, Payload: []byte("hello")}, "unknown frame type"},
		{"short chat frame", transport.Frame{Type: frameChat, Payload: []byte{1, 2}}, "too short"},
		{"garbage chat frame", transport.Frame{Type: frameChat, Payload: []byte("\x00\x00\x00\x01garbage garbage garbage")}, "chat frame"},
		{"garbage key result", transport.Frame{Type: frameKeyResult, Payload: []byte("{not json")}, "malformed key result"},
		{"malformed checkpoint request", transport.Frame{Type: frameCkptRequest, Payload: []byte{1, 2, 3}}, "malformed checkpoint request"},
		{"garbage checkpoint", transport.Frame{Type: frameCheckpoint, Payload: []byte("{not json")}, "malformed checkpoint"},
		{"oversize", transport.Frame{Type: frameChat, Payload: make([]byte, transport.DefaultMaxFrame+1)}, "too large"},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			bad := newTestNode(t, "Mallory "+string(rune('A'+i)), RolePatient, BB84Settings{})
			// A raw client with the bad node's identity: it pairs properly,
			// then misbehaves. Its frame limit is raised so it can send an
			// oversize frame at all.
			cfg := connector{bad}.config(code)
			cfg.MaxFrame = 2 * transport.DefaultMaxFrame
			ts, err := transport.Connect(ctx, addr.String(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer ts.Close()
			// The listener may hang up on an oversize frame's header
			// before the rest is written.
			if err := ts.Send(ctx, c.frame); err != nil && c.want != "too large" {
				t.Fatal(err)
			}
			e := waitEvent(t, bev, "the bad session's end", func(e Event) bool {
				return e.Type == EventDisconnected && e.Peer == bad.Fingerprint()
			})
			t.Logf("session ended: %s", e.Reason)
			if !strings.Contains(e.Reason, c.want) {
				t.Fatalf("reason %q, want it to mention %q", e.Reason, c.want)
			}
			select {
			case <-ts.Done():
			case <-time.After(10 * time.Second):
				t.Fatal("the listener kept the bad connection open")
			}
			// The good peer is still served.
			text := "still served after " + c.name
			if _, err := gs.Send(ctx, ledger.KindChat, "chat", text, nil); err != nil {
				t.Fatal(err)
			}
			waitEvent(t, bev, "the good peer's message", func(e Event) bool { return e.Type == EventMessage && e.Message.Text == text })
		})
	}
	if _, ok := hosp.Session("Carol"); !ok {
		t.Fatal("the good peer's session ended")
	}
}

// TestGoodbyeIsNotABadFrame: a peer that closes its session is reported
// as having left, not as a refused frame.
func TestGoodbyeIsNotABadFrame(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, s, _, bev, _ := keyedPair(t, ctx)
	s.Close()
	e := waitEvent(t, bev, "the hospital's disconnect", func(e Event) bool { return e.Type == EventDisconnected || e.Type == EventRejected })
	if e.Type != EventDisconnected || !strings.Contains(e.Reason, "peer left") {
		t.Fatalf("after the peer's goodbye: %s %q", e.Type, e.Reason)
	}
}
