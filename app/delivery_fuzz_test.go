package app

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"slices"
	"testing"

	"github.com/fernet/fernet-go"

	"qkdchat/identity"
	"qkdchat/telehealth"
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
	hdr = binary.BigEndian.AppendUint64(hdr, 3*AttachmentChunkSize)
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
			if int(h.index) >= chunkCount(h.size) || len(tok) == 0 || h.size <= 0 {
				t.Fatalf("chunk frame accepted %+v", h)
			}
		}
		if a, err := parseReliableAck(b); err == nil && !validMessageID(a.ID) {
			t.Fatalf("ack accepted message ID %q", a.ID)
		}
	})
}

// FuzzWorkflowBody checks that any body the decoder accepts is well formed
// and survives a re-encoding.
func FuzzWorkflowBody(f *testing.F) {
	key := make([]byte, 32)
	key[0] = 1
	me := &telehealth.Party{Fingerprint: identity.Fingerprint(key), Name: "x", Key: key}
	for _, w := range []*telehealth.Body{
		{Type: telehealth.BodyPHR, CaseID: "case-0123456789ab", PHR: &telehealth.PHR{PatientName: "Pat", DateOfBirth: "1990-01-01"},
			Attachments: []telehealth.Attachment{{Name: "a.csv", Size: 3, SHA256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"}}},
		{Type: telehealth.BodyReferral, CaseID: "case-0123456789ab", PHR: &telehealth.PHR{PatientName: "Pat"}, Patient: me, Hospital: me},
		{Type: telehealth.BodyAssigned, CaseID: "case-0123456789ab", Doctor: me},
		{Type: telehealth.BodyReport, CaseID: "case-0123456789ab", Report: &telehealth.SignedReport{CaseID: "case-0123456789ab", Report: telehealth.MedicalReport{Findings: "ok"}}},
	} {
		b, _ := json.Marshal(w)
		f.Add(b)
	}
	f.Add([]byte(`{"type":"phr","case_id":"case-0123456789ab","phr":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		w, err := telehealth.ParseBody(b)
		if err != nil {
			return
		}
		if !telehealth.ValidCaseID(w.CaseID) {
			t.Fatalf("accepted case ID %q", w.CaseID)
		}
		// The refs of an accepted body are computable and re-encoding
		// gives a body that is accepted again.
		it, err := newWorkflowItem("0123456789abcdef0123456789abcdef", 2, "", w)
		if err != nil {
			t.Fatal(err)
		}
		refs, err := it.refs()
		if err != nil {
			t.Fatalf("accepted body has bad attachment refs: %v", err)
		}
		// The refs the outbox commits to are those the receiver's rule
		// (telehealth.Accept) expects.
		if want, err := w.Refs(); err != nil || !slices.Equal(refs, want) {
			t.Fatalf("outbox refs %v, the body's %v (%v)", refs, want, err)
		}
		if _, err := telehealth.ParseBody(it.Body); err != nil {
			t.Fatalf("re-encoded body refused: %v", err)
		}
	})
}

// FuzzAttachmentRecords feeds arbitrary files to the reader of the
// attachment store: it must find only complete records, inside the file.
func FuzzAttachmentRecords(f *testing.F) {
	var k fernet.Key
	k.Generate()
	var buf bytes.Buffer
	writeRecord(&buf, &k, []byte("hello"))
	writeRecord(&buf, &k, []byte("zz"))
	f.Add(buf.Bytes())
	f.Add(buf.Bytes()[:buf.Len()-3])
	f.Add([]byte{0, 0, 0, 0})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		starts, end := scanRecords(bytes.NewReader(b))
		if end > int64(len(b)) {
			t.Fatalf("scan ends at %d beyond %d bytes", end, len(b))
		}
		for i, s := range starts {
			if s < 0 || s+4 > end || (i > 0 && s <= starts[i-1]) {
				t.Fatalf("record %d starts at %d (end %d)", i, s, end)
			}
		}
		for i := range len(starts) + 1 {
			readRecordAt(&k, bytes.NewReader(b), "x", i) // an error or a chunk; never a panic
		}
	})
}
