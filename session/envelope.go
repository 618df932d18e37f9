package session

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
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

// Sealed is what travels inside a Fernet token. The sequence number and
// epoch are inside the authenticated ciphertext, so a relay cannot renumber
// a message to slip a replay past the window.
type Sealed struct {
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
	ErrTampered = errors.New("token failed authentication (tampered, or Sealed under another key)")
	ErrExpired  = errors.New("token is older than the time-to-live")
	ErrFuture   = errors.New("token is dated in the future")
	ErrReplay   = errors.New("message was already received (replay)")
	ErrTooOld   = errors.New("message arrived too far out of order")
)

// MaxClockSkew is how far in the future a token's timestamp may lie, to
// allow for peers whose clocks differ a little.
const MaxClockSkew = 60 * time.Second

// SealMessage encrypts s into a Fernet token under key, stamped at now.
func SealMessage(key *fernet.Key, s Sealed, now time.Time) ([]byte, error) {
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

// OpenMessage authenticates and decrypts a Fernet token, then checks its
// age. fernet.VerifyAndDecrypt folds "tampered" and "expired" into one nil
// result; checking the MAC first with no TTL and the timestamp second lets
// the receiver say which it was.
func OpenMessage(key *fernet.Key, token []byte, ttl time.Duration, now time.Time) (Sealed, time.Time, error) {
	var s Sealed
	plain := fernet.VerifyAndDecrypt(token, 0, []*fernet.Key{key})
	if plain == nil {
		return s, time.Time{}, ErrTampered
	}
	stamped, err := tokenTime(token)
	if err != nil {
		return s, time.Time{}, ErrTampered
	}
	if ttl > 0 && now.Sub(stamped) > ttl {
		return s, stamped, fmt.Errorf("%w: Sealed %s ago, limit %s", ErrExpired, now.Sub(stamped).Round(time.Second), ttl)
	}
	if stamped.Sub(now) > MaxClockSkew {
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
// reordering of up to ReplayWindowSize positions.
type replayWindow struct {
	top    uint64 // highest accepted sequence number; 0 = none yet
	bitmap uint64 // bit i set: top-i was accepted
}

const ReplayWindowSize = 64

// check reports whether seq may be accepted, without accepting it.
func (w *replayWindow) check(seq uint64) error {
	switch {
	case seq == 0:
		return fmt.Errorf("%w: sequence number 0 is never used", ErrReplay)
	case seq > w.top:
		return nil
	case w.top-seq >= ReplayWindowSize:
		return fmt.Errorf("%w: sequence %d is %d behind the newest %d (window %d)", ErrTooOld, seq, w.top-seq, w.top, ReplayWindowSize)
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
		if shift >= ReplayWindowSize {
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

// replayGuard is a session's replay window over received sequence
// numbers, behind its own lock.
type replayGuard struct {
	mu sync.Mutex
	w  replayWindow
}

// admit checks seq against the window and, if it passes, accepts it.
func (g *replayGuard) admit(seq uint64) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if err := g.w.check(seq); err != nil {
		return err
	}
	g.w.accept(seq)
	return nil
}

// ValidMessageID accepts the 32 lower-case hex digits of NewMessageID.
func ValidMessageID(id string) bool {
	if len(id) != 32 {
		return false
	}
	for _, c := range id {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
