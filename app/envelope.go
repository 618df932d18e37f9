package app

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/fernet/fernet-go"
)

// Message is one message as the user sees it, sent or received.
type Message struct {
	ID       string    `json:"id"`
	Seq      uint64    `json:"seq"`
	Epoch    uint32    `json:"epoch"`
	Kind     string    `json:"kind"` // chat, phr, referral, report
	CaseID   string    `json:"case,omitempty"`
	Text     string    `json:"text"`
	Body     []byte    `json:"body,omitempty"` // structured content (PHR, report), JSON
	Time     time.Time `json:"time"`
	From     string    `json:"from"` // sender's key fingerprint
	FromName string    `json:"from_name,omitempty"`
	To       string    `json:"to"` // recipient's key fingerprint
	TxID     string    `json:"txid,omitempty"`
	Outgoing bool      `json:"outgoing,omitempty"`
}

// sealed is what travels inside a Fernet token. The sequence number and
// epoch are inside the authenticated ciphertext, so a relay cannot renumber
// a message to slip a replay past the window.
type sealed struct {
	ID     string          `json:"id"`
	Seq    uint64          `json:"seq"`
	Epoch  uint32          `json:"epoch"`
	Kind   string          `json:"kind"`
	CaseID string          `json:"case,omitempty"`
	Text   string          `json:"text"`
	Body   json.RawMessage `json:"body,omitempty"`
}

// Why a received token is refused.
var (
	ErrTampered = errors.New("token failed authentication (tampered, or sealed under another key)")
	ErrExpired  = errors.New("token is older than the time-to-live")
	ErrFuture   = errors.New("token is dated in the future")
	ErrReplay   = errors.New("message was already received (replay)")
	ErrTooOld   = errors.New("message arrived too far out of order")
)

// maxClockSkew is how far in the future a token's timestamp may lie, to
// allow for peers whose clocks differ a little.
const maxClockSkew = 60 * time.Second

// sealMessage encrypts s into a Fernet token under key, stamped at now.
func sealMessage(key *fernet.Key, s sealed, now time.Time) ([]byte, error) {
	plain, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("app: encode message: %w", err)
	}
	tok, err := fernet.EncryptAndSignAtTime(plain, key, now)
	if err != nil {
		return nil, fmt.Errorf("app: encrypt message: %w", err)
	}
	return tok, nil
}

// openMessage authenticates and decrypts a Fernet token, then checks its
// age. fernet.VerifyAndDecrypt folds "tampered" and "expired" into one nil
// result; checking the MAC first with no TTL and the timestamp second lets
// the receiver say which it was.
func openMessage(key *fernet.Key, token []byte, ttl time.Duration, now time.Time) (sealed, time.Time, error) {
	var s sealed
	plain := fernet.VerifyAndDecrypt(token, 0, []*fernet.Key{key})
	if plain == nil {
		return s, time.Time{}, ErrTampered
	}
	stamped, err := tokenTime(token)
	if err != nil {
		return s, time.Time{}, ErrTampered
	}
	if ttl > 0 && now.Sub(stamped) > ttl {
		return s, stamped, fmt.Errorf("%w: sealed %s ago, limit %s", ErrExpired, now.Sub(stamped).Round(time.Second), ttl)
	}
	if stamped.Sub(now) > maxClockSkew {
		return s, stamped, fmt.Errorf("%w: %s ahead of this clock", ErrFuture, stamped.Sub(now).Round(time.Second))
	}
	if err := json.Unmarshal(plain, &s); err != nil {
		return s, stamped, fmt.Errorf("app: authenticated message does not decode: %w", err)
	}
	return s, stamped, nil
}

// tokenTime reads the timestamp of a Fernet token: the 8 bytes after the
// version byte, in seconds since the Unix epoch.
func tokenTime(token []byte) (time.Time, error) {
	raw := make([]byte, base64.URLEncoding.DecodedLen(len(token)))
	n, err := base64.URLEncoding.Decode(raw, token)
	if err != nil || n < 9 {
		return time.Time{}, errors.New("app: not a Fernet token")
	}
	return time.Unix(int64(binary.BigEndian.Uint64(raw[1:9])), 0), nil
}

// replayWindow is a sliding anti-replay window over sequence numbers, as
// in IPsec (RFC 4303, 3.4.3): it accepts each number once and tolerates
// reordering of up to replayWindowSize positions.
type replayWindow struct {
	top    uint64 // highest accepted sequence number; 0 = none yet
	bitmap uint64 // bit i set: top-i was accepted
}

const replayWindowSize = 64

// check reports whether seq may be accepted, without accepting it.
func (w *replayWindow) check(seq uint64) error {
	switch {
	case seq == 0:
		return fmt.Errorf("%w: sequence number 0 is never used", ErrReplay)
	case seq > w.top:
		return nil
	case w.top-seq >= replayWindowSize:
		return fmt.Errorf("%w: sequence %d is %d behind the newest %d (window %d)", ErrTooOld, seq, w.top-seq, w.top, replayWindowSize)
	case w.bitmap&(1<<(w.top-seq)) != 0:
		return fmt.Errorf("%w: sequence %d", ErrReplay, seq)
	}
	return nil
}

// accept records seq; call it only after check passed and the message was
// fully processed.
func (w *replayWindow) accept(seq uint64) {
	if seq > w.top {
		shift := seq - w.top
		if shift >= replayWindowSize {
			w.bitmap = 0
		} else {
			w.bitmap <<= shift
		}
		w.bitmap |= 1
		w.top = seq
		return
	}
	w.bitmap |= 1 << (w.top - seq)
}
