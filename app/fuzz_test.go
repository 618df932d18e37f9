package app

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/fernet/fernet-go"

	"qkdchat/identity"
	"qkdchat/ledger"
	"qkdchat/qkd"
)

// nullSender discards what a qkdLink sends.
type nullSender struct{}

func (nullSender) sendClassicalBB84(context.Context, []byte) error { return nil }
func (nullSender) sendQuantum(context.Context, []byte) error       { return nil }

// bb84Payload encodes m as a BB84 frame payload of epoch 1.
func bb84Payload(t testing.TB, seq uint64, m qkd.Message) []byte {
	body, err := qkd.MarshalMessage(m)
	if err != nil {
		t.Fatal(err)
	}
	p := make([]byte, bb84Header+len(body))
	binary.BigEndian.PutUint32(p, 1)
	binary.BigEndian.PutUint64(p[4:], seq)
	copy(p[bb84Header:], body)
	return p
}

// FuzzQKDLinkDeliver feeds arbitrary BB84 payloads, from either link, to a
// qkdLink: it must refuse or queue them, never panic, and Recv must then
// return in-order messages or the link's error.
func FuzzQKDLinkDeliver(f *testing.F) {
	f.Add([]byte{}, false)
	f.Add(make([]byte, bb84Header), true)
	f.Add([]byte("\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00garbage"), false)
	f.Add([]byte("\x00\x00\x00\x01\xff\xff\xff\xff\xff\xff\xff\xff\x01"), true)
	f.Fuzz(func(t *testing.T, payload []byte, quantum bool) {
		l := newQKDLink(nullSender{}, 1)
		err1 := l.deliver(payload, quantum)
		// The same payload twice is a repeat (or the link has failed).
		err2 := l.deliver(payload, quantum)
		if err1 == nil && err2 == nil {
			t.Fatalf("the same BB84 frame was accepted twice")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		defer cancel()
		m, err := l.Recv(ctx)
		if err == nil && m == nil {
			t.Fatal("Recv returned neither a message nor an error")
		}
		if _, ok := bb84Epoch(payload); ok != (len(payload) >= bb84Header) {
			t.Fatal("bb84Epoch disagrees with the header length")
		}
	})
}

// fuzzSeedToken is sealed{ID: "00112233445566778899aabbccddeeff", Seq: 1,
// Epoch: 1, Kind: "chat", CaseID: "chat", Text: "hi"} sealed under the key
// of FuzzChatFrame at its time.
const fuzzSeedToken = "gAAAAABrSdIA6m2qmpJRTcla4DGrGy-vlqXY_EQyDaCIWO599rC-75nl0pJHGpKcuyFtbz3DYUeRXy1uuZV62Diy87SGoZVUwqSHLqIn4H8higR8Ealzc59O5tPGhw3L522nmLHrNsEH0Umkk9xfZEtVSM9YCKNiYL-182Q8oTerllt0pamHiileQ9J4r4h2pUisPWjO6KwNvU36FSqtNTiI16XfBgSrTg=="

// FuzzChatFrame runs the checks of the receive path on arbitrary chat
// frames: parse, signature, Fernet authentication and the replay window.
// A frame that is not sealed under the session key must never open.
func FuzzChatFrame(f *testing.F) {
	dir := f.TempDir()
	id, err := identity.LoadOrCreate(dir)
	if err != nil {
		f.Fatal(err)
	}
	var key fernet.Key
	copy(key[:], "0123456789abcdef0123456789abcdef")
	now := time.Unix(1_800_000_000, 0)
	// The one token sealed under key: fixed, because fuzzing workers run
	// this setup again and a fresh seal would have a fresh random IV.
	tok := []byte(fuzzSeedToken)
	if _, _, err := openMessage(&key, tok, 0, now); err != nil {
		f.Fatal(err)
	}
	tx := &ledger.Transaction{Kind: ledger.KindChat, Sender: id.Public(), Recipient: id.Public(), CaseID: "chat", Time: now, Token: tok}
	if err := tx.Sign(id); err != nil {
		f.Fatal(err)
	}
	raw, _ := tx.MarshalBinary()
	valid := append([]byte{0, 0, 0, 1}, raw...)
	f.Add(valid)
	f.Add([]byte{0, 0, 0})
	f.Add([]byte("\x00\x00\x00\x01garbage"))
	flipped := append([]byte(nil), valid...)
	flipped[len(flipped)/2] ^= 0x20
	f.Add(flipped)
	f.Fuzz(func(t *testing.T, payload []byte) {
		epoch, tx, err := parseChatFrame(payload)
		if err != nil {
			return
		}
		if tx.Verify() != nil {
			return
		}
		sl, _, err := openMessage(&key, tx.Token, 0, now)
		if err != nil {
			return
		}
		// Only tokens sealed under key open: the seed's, or one that
		// differs from it outside the token.
		if !sameTokenBytes(tx.Token, tok) {
			t.Fatalf("a token that was never sealed opened: %q", tx.Token)
		}
		var w replayWindow
		if w.check(sl.Seq) == nil {
			w.accept(sl.Seq)
			if w.check(sl.Seq) == nil {
				t.Fatal("the window accepts a sequence number twice")
			}
		}
		_ = epoch
	})
}

// sameTokenBytes compares two Fernet tokens by what they decode to (base64
// admits several spellings of the same bytes).
func sameTokenBytes(a, b []byte) bool {
	da, errA := base64.URLEncoding.DecodeString(string(a))
	db, errB := base64.URLEncoding.DecodeString(string(b))
	return errA == nil && errB == nil && string(da) == string(db)
}

// FuzzKeyResultAndCheckpoint decodes arbitrary key results and checkpoint
// offers as the session does, and hands the offer to the ledger's cosign
// step: malformed input is an error, never a panic, and never cosigned.
func FuzzKeyResultAndCheckpoint(f *testing.F) {
	dir := f.TempDir()
	id, err := identity.LoadOrCreate(dir)
	if err != nil {
		f.Fatal(err)
	}
	lg, err := ledger.Open(filepath.Join(dir, "fuzz.db"), id, &ledger.Options{NoSync: true})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { lg.Close() })
	peerDir := f.TempDir()
	peerID, err := identity.LoadOrCreate(peerDir)
	if err != nil {
		f.Fatal(err)
	}
	peerLedger, err := ledger.Open(filepath.Join(peerDir, "peer.db"), peerID, &ledger.Options{NoSync: true})
	if err != nil {
		f.Fatal(err)
	}
	note, _, err := peerLedger.Checkpoint()
	peerLedger.Close()
	if err != nil {
		f.Fatal(err)
	}
	offer, _ := json.Marshal(checkpointOffer{Note: note})
	kr, _ := json.Marshal(keyResult{Epoch: 1, OK: true, QBER: 0.02, KeyBits: 256, Confirm: make([]byte, 32)})
	f.Add(kr)
	f.Add(offer)
	f.Add([]byte(`{"note":"bm90IGEgbm90ZQ==","from_size":5,"proof":["AA=="]}`))
	f.Add([]byte(`{"epoch":4294967295,"ok":true,"qber":1e308,"key_bits":-1}`))
	f.Add([]byte("{not json"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var r keyResult
		if json.Unmarshal(b, &r) == nil && r.OK && len(r.Confirm) > 0 {
			_ = confirmTag(new(fernet.Key), r.Epoch, true)
		}
		var o checkpointOffer
		if err := json.Unmarshal(b, &o); err != nil {
			return
		}
		cosigned, err := lg.CosignPeer(o.Note, peerID.Public(), o.FromSize, o.Proof)
		if err == nil && len(cosigned) == 0 {
			t.Fatal("cosign succeeded with nothing to show")
		}
		if err == nil && string(o.Note) != string(note) {
			t.Fatalf("cosigned a note the peer never signed: %q", o.Note)
		}
	})
}
