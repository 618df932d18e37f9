package delivery

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"testing"

	"qkdchat/session"
	"qkdchat/store"
)

// FuzzDeliveryFrames feeds arbitrary payloads to the decoders of the
// reliable-delivery frames. They must return an error or a value that
// re-encodes to the same bytes, and never panic.
func FuzzDeliveryFrames(f *testing.F) {
	d := sha256.Sum256([]byte("x"))
	f.Add(chunkAck{digest: d, next: 3, status: chunkOK}.marshal())
	f.Add(binary.BigEndian.AppendUint64(append([]byte(nil), d[:]...), 1<<20))
	hdr := binary.BigEndian.AppendUint32(nil, 1)
	hdr = append(hdr, d[:]...)
	hdr = binary.BigEndian.AppendUint64(hdr, 3*store.ChunkSize)
	hdr = binary.BigEndian.AppendUint32(hdr, 2)
	f.Add(append(hdr, "gAAAAA"...))
	f.Add([]byte(`{"id":"0123456789abcdef0123456789abcdef","txid":"` + string(bytes.Repeat([]byte("ab"), 32)) + `"}`))
	f.Add([]byte(`{"id":"0123456789abcdef0123456789abcdef","refused":"no"}`))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		if a, err := parseChunkAck(b); err == nil && !bytes.Equal(a.marshal(), b) {
			t.Fatalf("chunk ack %x re-encodes as %x", b, a.marshal())
		}
		if _, size, err := parseChunkQuery(b); err == nil && (size < 0 || size > 1<<40) {
			t.Fatalf("query accepted size %d", size)
		}
		if h, tok, err := parseChunkFrame(b); err == nil {
			if int(h.index) >= store.ChunkCount(h.size) || len(tok) == 0 || h.size <= 0 {
				t.Fatalf("chunk frame accepted %+v", h)
			}
		}
		if a, err := parseReliableAck(b); err == nil && !session.ValidMessageID(a.ID) {
			t.Fatalf("ack accepted message ID %q", a.ID)
		}
	})
}
