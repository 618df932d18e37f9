package delivery

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/fernet/fernet-go"

	"qkdchat/session"
	"qkdchat/store"
)

// refusedError means the peer refuses an attachment outright.
type refusedError struct{ msg string }

func (e *refusedError) Error() string { return e.msg }

type chunkAck struct {
	digest [32]byte
	next   uint32
	status byte
}

func parseChunkAck(b []byte) (chunkAck, error) {
	var a chunkAck
	if len(b) != 32+4+1 {
		return a, fmt.Errorf("malformed chunk acknowledgement (%d bytes)", len(b))
	}
	copy(a.digest[:], b)
	a.next = binary.BigEndian.Uint32(b[32:])
	a.status = b[36]
	if a.status > chunkReset {
		return a, fmt.Errorf("malformed chunk acknowledgement: status %d", a.status)
	}
	return a, nil
}

func (a chunkAck) marshal() []byte {
	b := append(a.digest[:0:0], a.digest[:]...)
	b = binary.BigEndian.AppendUint32(b, a.next)
	return append(b, a.status)
}

// chunkHeader precedes the token in a chunk frame.
type chunkHeader struct {
	epoch  uint32
	digest [32]byte
	size   int64
	index  uint32
}

const chunkHeaderLen = 4 + 32 + 8 + 4

func parseChunkFrame(b []byte) (chunkHeader, []byte, error) {
	var h chunkHeader
	if len(b) < chunkHeaderLen+1 {
		return h, nil, errors.New("chunk frame too short")
	}
	h.epoch = binary.BigEndian.Uint32(b)
	copy(h.digest[:], b[4:36])
	size := binary.BigEndian.Uint64(b[36:44])
	h.index = binary.BigEndian.Uint32(b[44:48])
	if size == 0 || size > 1<<40 {
		return h, nil, fmt.Errorf("chunk frame: attachment size %d out of range", size)
	}
	h.size = int64(size)
	if int64(h.index) >= int64(store.ChunkCount(h.size)) {
		return h, nil, fmt.Errorf("chunk frame: index %d beyond the %d chunks", h.index, store.ChunkCount(h.size))
	}
	return h, b[chunkHeaderLen:], nil
}

func parseChunkQuery(b []byte) ([32]byte, int64, error) {
	var d [32]byte
	if len(b) != 40 {
		return d, 0, fmt.Errorf("malformed attachment query (%d bytes)", len(b))
	}
	copy(d[:], b)
	size := binary.BigEndian.Uint64(b[32:])
	if size > 1<<40 {
		return d, 0, fmt.Errorf("attachment query: size %d out of range", size)
	}
	return d, int64(size), nil
}

// chunkPlainHeader binds a chunk's position to its sealed content.
func chunkPlainHeader(d [32]byte, index uint32) []byte {
	return binary.BigEndian.AppendUint32(append([]byte(nil), d[:]...), index)
}

// sendAttachment transfers f unless the peer already holds it, resuming
// after the chunks the peer has. Each chunk waits for its acknowledgement.
func (c *Courier) sendAttachment(ctx context.Context, msgID string, f store.AttachmentInfo) error {
	d, err := store.ParseDigest(f.SHA256)
	if err != nil {
		return err
	}
	q := binary.BigEndian.AppendUint64(append([]byte(nil), d[:]...), uint64(f.Size))
	if err := c.s.SendFrame(ctx, frameChunkQuery, q); err != nil {
		return err
	}
	a, err := c.awaitChunkAck(ctx, d)
	if err != nil {
		return err
	}
	count := store.ChunkCount(f.Size)
	stalls := 0
	for {
		switch a.status {
		case chunkRefused:
			return &refusedError{msg: fmt.Sprintf("%s refused attachment %s (%s): too large for them", c.s.Peer().Name, f.Name, store.HumanBytes(f.Size))}
		case chunkReset:
			stalls++
		}
		next := int(a.next)
		done := min(int64(next)*store.ChunkSize, f.Size)
		c.s.Event(session.Event{Type: session.EventTransfer, MessageID: msgID, Name: f.Name, Done: done, Total: f.Size})
		if next >= count {
			return nil
		}
		if stalls > 3 {
			return fmt.Errorf("attachment %s: the peer keeps discarding it", f.Name)
		}
		chunk, err := c.files.Chunk(d, next)
		if err != nil {
			return err
		}
		epoch, key := c.s.CurrentKey()
		tok, err := fernet.EncryptAndSign(append(chunkPlainHeader(d, uint32(next)), chunk...), key)
		if err != nil {
			return err
		}
		h := make([]byte, 0, chunkHeaderLen+len(tok))
		h = binary.BigEndian.AppendUint32(h, epoch)
		h = append(h, d[:]...)
		h = binary.BigEndian.AppendUint64(h, uint64(f.Size))
		h = binary.BigEndian.AppendUint32(h, uint32(next))
		if err := c.s.SendFrame(ctx, frameChunk, append(h, tok...)); err != nil {
			return err
		}
		prev := next
		if a, err = c.awaitChunkAck(ctx, d); err != nil {
			return err
		}
		if int(a.next) <= prev {
			stalls++
		}
	}
}

func (c *Courier) awaitChunkAck(ctx context.Context, d [32]byte) (chunkAck, error) {
	t := time.NewTimer(chunkTimeout)
	defer t.Stop()
	for {
		select {
		case a := <-c.acks:
			if a.digest == d {
				return a, nil
			}
		case <-ctx.Done():
			return chunkAck{}, ctx.Err()
		case <-c.s.Done():
			return chunkAck{}, errors.New("session ended")
		case <-t.C:
			return chunkAck{}, errors.New("attachment transfer: no acknowledgement from the peer")
		}
	}
}

func (c *Courier) answerChunkQuery(ctx context.Context, payload []byte) error {
	d, size, err := parseChunkQuery(payload)
	if err != nil {
		return err
	}
	a := chunkAck{digest: d}
	switch {
	case size > c.cfg.MaxAttachment:
		a.status = chunkRefused
	case size == 0:
		if d != sha256.Sum256(nil) {
			a.status = chunkRefused
		} else if err := c.files.StoreEmpty(d); err != nil {
			return err
		}
	default:
		next, err := c.files.PartialNext(d, size)
		if err != nil {
			return err
		}
		a.next = uint32(next)
	}
	return c.s.SendFrame(ctx, frameChunkAck, a.marshal())
}

func (c *Courier) receiveChunkFrame(ctx context.Context, payload []byte) error {
	h, tok, err := parseChunkFrame(payload)
	if err != nil {
		return err
	}
	a := chunkAck{digest: h.digest}
	if h.size > c.cfg.MaxAttachment {
		a.status = chunkRefused
		return c.s.SendFrame(ctx, frameChunkAck, a.marshal())
	}
	// A chunk sent under the key the peer has just switched to can come
	// before this side has installed it: wait for it as a message would,
	// rather than refuse the chunk (the sender's retries would all come
	// within that moment, and the transfer be given up).
	key, _ := c.s.KeyFor(ctx, h.epoch)
	var plain []byte
	if key != nil {
		plain = fernet.VerifyAndDecrypt(tok, 0, []*fernet.Key{key})
	}
	hdr := chunkPlainHeader(h.digest, h.index)
	if plain == nil || len(plain) < len(hdr) || string(plain[:len(hdr)]) != string(hdr) {
		c.s.Event(session.Event{Type: session.EventRejected, Reason: "attachment chunk failed authentication"})
		next, err := c.files.PartialNext(h.digest, h.size)
		if err != nil {
			return err
		}
		a.next = uint32(next)
		return c.s.SendFrame(ctx, frameChunkAck, a.marshal())
	}
	next, err := c.files.ReceiveChunk(h.digest, h.size, int(h.index), plain[len(hdr):])
	if err != nil {
		c.log.Warn("attachment chunk discarded", "err", err)
		c.s.Event(session.Event{Type: session.EventRejected, Reason: err.Error()})
		a.status = chunkReset
	}
	a.next = uint32(next)
	c.s.Event(session.Event{Type: session.EventTransfer, Name: hex.EncodeToString(h.digest[:6]), Done: min(int64(next)*store.ChunkSize, h.size), Total: h.size})
	return c.s.SendFrame(ctx, frameChunkAck, a.marshal())
}
