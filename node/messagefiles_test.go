package node

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// A chat message with a file: the file travels before the message with
// progress on both sides, the receiver decodes its name and size, reads
// back the same bytes, and a body relabelled to list another file than
// the ledger commits to is refused.
func TestSendFilesInChat(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	alice := newTestNode(t, "Alice", RolePatient, BB84Settings{})
	bob := newTestNode(t, "Bob", RoleHospital, BB84Settings{})
	_, aev, bev := pairNodes(t, ctx, alice, bob)
	waitEvent(t, aev, "a key", isType(EventKeyEstablished))
	waitEvent(t, bev, "a key", isType(EventKeyEstablished))

	dir := t.TempDir()
	want := bytes.Repeat([]byte("chest x-ray "), 50000) // 600 kB: three chunks
	xray := filepath.Join(dir, "chest-xray.png")
	other := filepath.Join(dir, "note.txt")
	if err := os.WriteFile(xray, want, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(other, []byte("another file"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.Clinic().SendFiles(ctx, "Bob", "", "", nil); err == nil {
		t.Error("a message without files was queued")
	}
	sent, err := alice.Clinic().SendFiles(ctx, "Bob", "", "the X-ray", []string{xray})
	if err != nil {
		t.Fatal(err)
	}
	waitEvent(t, aev, "the sender's progress", func(e Event) bool {
		return e.Type == EventTransfer && e.MessageID == sent.ID && e.Name == "chest-xray.png" && e.Done == e.Total
	})
	got := waitEvent(t, bev, "the message at Bob", isType(EventMessage)).Message
	c, err := bob.Clinic().MessageContent(got)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Files) != 1 || c.Files[0].Name != "chest-xray.png" || c.Files[0].Size != int64(len(want)) || got.Text != "the X-ray" {
		t.Fatalf("Bob decoded %+v from %+v", c, got)
	}
	b, err := bob.Clinic().ReadAttachment(c.Files[0].SHA256)
	if err != nil || !bytes.Equal(b, want) {
		t.Fatalf("Bob reads %d bytes (%v), want %d", len(b), err, len(want))
	}

	// The same message relabelled to list another stored file: refused.
	oc, err := alice.Clinic().SendFiles(ctx, "Bob", "", "", []string{other})
	if err != nil {
		t.Fatal(err)
	}
	waitEvent(t, bev, "the second message", func(e Event) bool { return e.Type == EventMessage && e.MessageID == oc.ID })
	oinfo, _ := DecodeContent(oc)
	forged := *got
	forged.Body, _ = json.Marshal(chatBody{Files: []AttachmentInfo{{Name: "chest-xray.png", Size: oinfo.Files[0].Size, SHA256: oinfo.Files[0].SHA256, Part: "chat"}}})
	if _, err := bob.Clinic().MessageContent(&forged); !errors.Is(err, ErrContentMismatch) {
		t.Errorf("a relabelled body: %v, want ErrContentMismatch", err)
	}
	// A body with unknown fields or a bad digest does not decode.
	for _, body := range []string{`{"files":[{"name":"a","size":1,"sha256":"zz"}]}`, `{"files":[],"x":1}`} {
		if _, err := DecodeContent(&Message{Kind: "chat", Body: []byte(body)}); err == nil {
			t.Errorf("body %s decoded", body)
		}
	}
}
