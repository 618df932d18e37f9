package app

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"qkdchat/identity"
	"qkdchat/transport"
)

// syncBuffer is a bytes.Buffer safe for the logger's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) count(sub string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Count(s.b.String(), sub)
}

// TestRefusedCheckpointsDoNotFloodTheLog: a peer sends checkpoints that
// are refused (signed by a key that is not its own) as fast as the rate
// limit admits. Each one used to write a WARN line and publish an event,
// so a peer could fill the log at 8 lines a second for as long as the
// session lasted. The first refusal is logged and published; later ones
// are counted and summarised rarely.
func TestRefusedCheckpointsDoNotFloodTheLog(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs syncBuffer
	dir := t.TempDir()
	if err := SaveProfile(dir, Profile{Name: "Hospital", Role: RoleHospital}); err != nil {
		t.Fatal(err)
	}
	hosp, err := Open(Options{Dir: dir, SendTimeout: 20 * time.Second,
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))})
	if err != nil {
		t.Fatal(err)
	}
	defer hosp.Close()
	hev, stop := hosp.Events()
	defer stop()
	addr, code, err := hosp.Listen(ctx, "127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	bad := newTestNode(t, "Mallory", RolePatient, BB84Settings{})
	ts, err := transport.Connect(ctx, addr.String(), bad.transportConfig(code))
	if err != nil {
		t.Fatal(err)
	}
	defer ts.Close()
	go func() {
		for {
			if _, err := ts.Recv(ctx); err != nil {
				return
			}
		}
	}()
	stranger, err := identity.LoadOrCreate(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	forged := checkpointOf(t, stranger, *hosp.Identity(), "not the peer's")
	const n = ckptBurst - 2 // all admitted by the rate limit
	for range n {
		if err := ts.Send(ctx, transport.Frame{Type: frameCheckpoint, Payload: forged}); err != nil {
			t.Fatal(err)
		}
	}
	refusals := 0
	deadline := time.After(20 * time.Second)
	for done := false; !done; {
		select {
		case e := <-hev:
			if e.Type == EventCheckpoint && strings.Contains(e.Reason, "refused") {
				refusals++
			}
		case <-time.After(2 * time.Second):
			done = true // quiet: every admitted frame was handled
		case <-deadline:
			done = true
		}
	}
	lines := logs.count("peer checkpoint refused")
	t.Logf("%d refused checkpoints: %d log lines, %d events", n, lines, refusals)
	if refusals < 1 || lines < 1 {
		t.Fatalf("the refusals were not reported at all: %d events, %d log lines", refusals, lines)
	}
	if refusals > 2 || lines > 2 {
		t.Fatalf("%d refused checkpoints gave %d events and %d log lines, want at most 2 of each", n, refusals, lines)
	}
}
