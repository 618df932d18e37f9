package node

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"qkdchat/ledger"
	"qkdchat/telehealth"
)

// Files in chat. A chat message may carry attachments like a health
// record does: SendFiles imports them into the attachment store, and the
// outbox transfers them (with EventTransfer progress both ways) before the
// message, whose sealed body lists them as a chatBody and whose ledger
// transaction commits to their sizes and digests.

// chatBody is the sealed body of a chat message with files.
type chatBody struct {
	Files []AttachmentInfo `json:"files"`
}

// SendFiles queues a chat message with the files at paths for the
// contact peer (fingerprint or name), in case caseID ("" for the general
// conversation). Each file is checked against the attachment limit and
// stored, encrypted, before anything is queued.
func (cl *Clinic) SendFiles(ctx context.Context, peer, caseID, text string, paths []string) (*Message, error) {
	n := cl.n
	c, err := n.contactByRef(peer)
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, errors.New("no files to send")
	}
	if len(paths) > ledger.MaxAttachments-1 {
		return nil, fmt.Errorf("%d files is too many for one message; the limit is %d", len(paths), ledger.MaxAttachments-1)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	imported, err := importFiles(n.store, n.recordKey(), n.opts.MaxAttachment, paths, "chat")
	if err != nil {
		return nil, err
	}
	files := storeFiles(imported)
	body, err := json.Marshal(chatBody{Files: files})
	if err != nil {
		return nil, err
	}
	it := &outboxItem{ID: newMessageID(), Kind: ledger.KindChat, CaseID: caseID, Text: text, Body: body, Files: files, Created: time.Now()}
	if err := n.enqueue(c, it); err != nil {
		return nil, err
	}
	return &Message{ID: it.ID, Kind: ledger.KindChat.String(), CaseID: caseID, Text: text, Body: body, Time: it.Created,
		From: n.Fingerprint(), FromName: n.profile.Name, To: c.Fingerprint, Outgoing: true}, nil
}

// MessageContent is what a message carries besides its text, decoded for
// display: its attachments and, for a health record or a report, the
// record or the report (with the doctor's attachments).
type MessageContent struct {
	Files  []AttachmentInfo
	PHR    *PHR
	Report *MedicalReport
	// Doctor is the fingerprint of the doctor who signed a report.
	Doctor string
	// Assigned names the doctor a referral notice assigns to the case.
	Assigned string
	// ReferredBy names the hospital that referred the case (a referral).
	ReferredBy string
}

// ErrContentMismatch means a received message lists other files than its
// ledger transaction commits to.
var ErrContentMismatch = errors.New("the message's files differ from what its ledger entry commits to")

// DecodeContent decodes a message body: a chat message's files, or a
// workflow message's record, report and files. A message without a body
// has no content. It does not check the files against the ledger; see
// Node.MessageContent.
func DecodeContent(m *Message) (MessageContent, error) {
	var out MessageContent
	if len(m.Body) == 0 {
		return out, nil
	}
	if m.Kind == ledger.KindChat.String() {
		if len(m.Body) > telehealth.MaxBodyLen {
			return out, fmt.Errorf("message body is %d bytes; the limit is %d", len(m.Body), telehealth.MaxBodyLen)
		}
		var b chatBody
		dec := json.NewDecoder(bytes.NewReader(m.Body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&b); err != nil {
			return out, fmt.Errorf("message body does not decode: %w", err)
		}
		if len(b.Files) > ledger.MaxAttachments-1 {
			return out, errors.New("message body: too many files")
		}
		for _, f := range b.Files {
			if f.Name == "" || len(f.Name) > ledger.MaxAttachNameLen || f.Size < 0 {
				return out, errors.New("message body: a file has a bad name or size")
			}
			if _, err := parseDigest(f.SHA256); err != nil {
				return out, err
			}
		}
		out.Files = b.Files
		return out, nil
	}
	w, err := telehealth.ParseBody(m.Body)
	if err != nil {
		return out, err
	}
	out.PHR = w.PHR
	out.Files = storeFiles(w.Files())
	if w.Doctor != nil {
		out.Assigned = w.Doctor.Name
	}
	if w.Hospital != nil {
		out.ReferredBy = w.Hospital.Name
	}
	if w.Report != nil {
		r := w.Report.Report
		out.Report, out.Doctor = &r, w.Report.Doctor
	}
	return out, nil
}

// MessageContent decodes m's body (see DecodeContent) and, for a received
// message recorded in the ledger, checks that the files it lists are the
// ones its transaction commits to (same sizes and digests, in order), so
// that a peer cannot label a file with another one's name.
func (cl *Clinic) MessageContent(m *Message) (MessageContent, error) {
	n := cl.n
	c, err := DecodeContent(m)
	if err != nil || m.Outgoing || m.TxID == "" || len(c.Files) == 0 {
		return c, err
	}
	id, err := ledger.ParseTxID(m.TxID)
	if err != nil {
		return MessageContent{}, fmt.Errorf("message %s: %w", m.ID, err)
	}
	_, tx, err := n.ledger.Lookup(id)
	if err != nil {
		return MessageContent{}, fmt.Errorf("message %s: %w", m.ID, err)
	}
	it := &outboxItem{Files: c.Files}
	refs, err := it.Refs()
	if err != nil {
		return MessageContent{}, err
	}
	var got []ledger.AttachmentRef
	for _, r := range tx.Attachments {
		if r.Name != reportDigestRef {
			got = append(got, r)
		}
	}
	if !slices.Equal(refs, got) {
		return MessageContent{}, ErrContentMismatch
	}
	return c, nil
}
