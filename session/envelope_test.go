package session

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/fernet/fernet-go"
)

func testKey(t *testing.T, b byte) *fernet.Key {
	t.Helper()
	var k fernet.Key
	for i := range k {
		k[i] = b + byte(i)
	}
	return &k
}

func TestSealOpenRoundTrip(t *testing.T) {
	k := testKey(t, 1)
	now := time.Unix(1_800_000_000, 0)
	in := Sealed{ID: "m1", Seq: 7, Epoch: 2, Kind: "chat", Text: "BP 120/80"}
	tok, err := SealMessage(k, in, now)
	if err != nil {
		t.Fatal(err)
	}
	out, at, err := OpenMessage(k, tok, time.Minute, now.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if out.ID != in.ID || out.Seq != in.Seq || out.Epoch != in.Epoch || out.Text != in.Text || !at.Equal(now) {
		t.Fatalf("round trip: %+v at %v", out, at)
	}
}

func TestOpenRejectsEveryFlippedByte(t *testing.T) {
	k := testKey(t, 1)
	now := time.Unix(1_800_000_000, 0)
	tok, _ := SealMessage(k, Sealed{ID: "m", Seq: 1, Text: "lab results"}, now)
	for i := range tok {
		bad := append([]byte(nil), tok...)
		bad[i] ^= 0x01
		if _, _, err := OpenMessage(k, bad, 0, now); err == nil {
			// base64url's last character may carry padding bits that do
			// not change the decoded bytes; anything else must fail.
			if i != len(tok)-1 && tok[len(tok)-1] != '=' {
				t.Fatalf("flip at byte %d of %d accepted", i, len(tok))
			}
		}
	}
	if _, _, err := OpenMessage(testKey(t, 9), tok, 0, now); !errors.Is(err, ErrTampered) {
		t.Fatalf("wrong key: %v", err)
	}
}

func TestOpenChecksAge(t *testing.T) {
	k := testKey(t, 1)
	now := time.Unix(1_800_000_000, 0)
	tok, _ := SealMessage(k, Sealed{ID: "m", Seq: 1}, now)
	if _, _, err := OpenMessage(k, tok, time.Minute, now.Add(2*time.Minute)); !errors.Is(err, ErrExpired) {
		t.Fatalf("old token: %v", err)
	}
	if _, _, err := OpenMessage(k, tok, time.Minute, now.Add(-5*time.Minute)); !errors.Is(err, ErrFuture) {
		t.Fatalf("future token: %v", err)
	}
}

func TestReplayWindow(t *testing.T) {
	var w replayWindow
	acceptOK := func(seq uint64) {
		t.Helper()
		if err := w.check(seq); err != nil {
			t.Fatalf("seq %d refused: %v", seq, err)
		}
		w.accept(seq)
	}
	acceptOK(1)
	acceptOK(3)
	acceptOK(2) // reordered within the window
	if err := w.check(2); !errors.Is(err, ErrReplay) {
		t.Fatalf("replay of 2: %v", err)
	}
	if err := w.check(0); !errors.Is(err, ErrReplay) {
		t.Fatalf("seq 0: %v", err)
	}
	acceptOK(100)
	if err := w.check(36); !errors.Is(err, ErrTooOld) {
		t.Fatalf("seq 36 after 100: %v", err)
	}
	acceptOK(37) // 63 behind: still inside
	if err := w.check(37); !errors.Is(err, ErrReplay) {
		t.Fatalf("replay of 37: %v", err)
	}
}

// TestReplayWindowMatchesModel compares the bitmap window with a plain set
// over random arrival orders.
func TestReplayWindowMatchesModel(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 200; trial++ {
		var w replayWindow
		seen := map[uint64]bool{}
		var top uint64
		for i := 0; i < 300; i++ {
			seq := uint64(r.IntN(400) + 1)
			wantOK := !seen[seq] && (seq > top || top-seq < ReplayWindowSize)
			err := w.check(seq)
			if (err == nil) != wantOK {
				t.Fatalf("trial %d: seq %d top %d: check=%v, model ok=%v", trial, seq, top, err, wantOK)
			}
			if err == nil {
				w.accept(seq)
				seen[seq] = true
				top = max(top, seq)
			}
		}
	}
}
