package delivery

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"qkdchat/ledger"
	"qkdchat/session"
	"qkdchat/transport"
)

// Frames of reliable delivery.
const (
	frameReliable   transport.FrameType = 0x52 // 4-byte epoch + signed ledger transaction; acked with frameReliableAck
	frameReliableAk transport.FrameType = 0x53 // JSON reliableAck
	frameChunk      transport.FrameType = 0x54 // chunkHeader + Fernet token of one attachment chunk
	frameChunkAck   transport.FrameType = 0x55 // digest(32) next(4) status(1)
	frameChunkQuery transport.FrameType = 0x56 // digest(32) size(8): how much of this attachment do you hold?
)

// Chunk acknowledgement status.
const (
	chunkOK      = 0
	chunkRefused = 1 // too large for the receiver: give up
	chunkReset   = 2 // the receiver discarded its copy: start again
)

// chunkTimeout bounds the wait for one chunk acknowledgement.
const chunkTimeout = 30 * time.Second

// reliableAck answers a reliable message: recorded as TxID, or refused.
// The acknowledgement of a resend of a message recorded earlier carries
// that recorded transaction (Tx, at most maxAckTx bytes), so a sender that
// no longer keeps the attempt the receiver recorded can still record it;
// older receivers leave it out.
type reliableAck struct {
	ID      string `json:"id"`
	TxID    string `json:"txid,omitempty"`
	Refused string `json:"refused,omitempty"`
	Tx      []byte `json:"tx,omitempty"`
}

func parseReliableAck(b []byte) (reliableAck, error) {
	var a reliableAck
	if err := json.Unmarshal(b, &a); err != nil {
		return a, fmt.Errorf("malformed delivery acknowledgement: %w", err)
	}
	if !session.ValidMessageID(a.ID) {
		return a, errors.New("malformed delivery acknowledgement: bad message ID")
	}
	if a.Refused == "" {
		if _, err := ledger.ParseTxID(a.TxID); err != nil {
			return a, fmt.Errorf("malformed delivery acknowledgement: %w", err)
		}
	}
	return a, nil
}

// DerivedMessageID is the ID of a message made because of another one (a
// relay): a resend of the cause yields the same ID, so the final recipient
// drops the duplicate.
func DerivedMessageID(purpose, id string) string {
	h := sha256.Sum256([]byte("qkdchat " + purpose + "\x00" + id))
	return hex.EncodeToString(h[:16])
}
