package bench

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/fernet/fernet-go"

	"qkdchat/identity"
	"qkdchat/ledger"
	"qkdchat/transport"
)

// The chat baseline's frames: a sealed message (4-byte key epoch, signed
// transaction) and its acknowledgement (the message ID), as a node sends
// them.
const (
	frameSealed    transport.FrameType = transport.FirstAppFrame
	frameSealedAck transport.FrameType = transport.FirstAppFrame + 1
)

// sealedTTL is how old a token the baseline's receiver accepts, a node's
// default.
const sealedTTL = 5 * time.Minute

// exporterLabel names the baseline's Fernet key in the TLS exporter.
const exporterLabel = "qkdchat bench sealed-stream key"

// sealedEpoch is the key epoch the baseline's frames carry: its key never
// changes.
const sealedEpoch = 1

// envelope is the JSON a node seals into each message's Fernet token.
type envelope struct {
	ID    string `json:"id"`
	Seq   uint64 `json:"seq"`
	Epoch uint32 `json:"epoch"`
	Kind  string `json:"kind"`
	Case  string `json:"case,omitempty"`
	Text  string `json:"text"`
}

// sealedEnd is one end of a baseline session: its identity, the peer's
// key, and the Fernet key both ends derive from the session.
type sealedEnd struct {
	s    *transport.Session
	id   *identity.Identity
	peer ed25519.PublicKey
	key  *fernet.Key
	mu   sync.Mutex // guards seq
	seq  uint64
}

func newSealedEnd(s *transport.Session, id *identity.Identity) (*sealedEnd, error) {
	k, err := s.Exporter(exporterLabel, nil, len(fernet.Key{}))
	if err != nil {
		return nil, err
	}
	key := new(fernet.Key)
	copy(key[:], k)
	return &sealedEnd{s: s, id: id, peer: s.Peer().Identity, key: key}, nil
}

// send seals text and sends it.
func (e *sealedEnd) send(ctx context.Context, text string) error {
	payload, err := e.seal(text)
	if err != nil {
		return err
	}
	return e.s.Send(ctx, transport.Frame{Type: frameSealed, Payload: payload})
}

// seal makes the frame a node sends for a chat message: a JSON envelope
// in a Fernet token, in a transaction signed by this end for the peer,
// behind the key epoch.
func (e *sealedEnd) seal(text string) ([]byte, error) {
	e.mu.Lock()
	e.seq++
	seq := e.seq
	e.mu.Unlock()
	var id [16]byte
	rand.Read(id[:])
	now := time.Now()
	plain, err := json.Marshal(envelope{ID: hex.EncodeToString(id[:]), Seq: seq, Epoch: sealedEpoch, Kind: ledger.KindChat.String(), Case: "bench", Text: text})
	if err != nil {
		return nil, err
	}
	tok, err := fernet.EncryptAndSignAtTime(plain, e.key, now)
	if err != nil {
		return nil, err
	}
	tx := &ledger.Transaction{Kind: ledger.KindChat, Sender: e.id.Public(), Recipient: e.peer, CaseID: "bench", Time: now, Token: tok}
	if err := tx.Sign(e.id); err != nil {
		return nil, err
	}
	raw, err := tx.MarshalBinary()
	if err != nil {
		return nil, err
	}
	return append(binary.BigEndian.AppendUint32(make([]byte, 0, 4+len(raw)), sealedEpoch), raw...), nil
}

// open makes a node's checks of a received message frame: the signature,
// that it is from the peer to this end, the token's MAC and age, and that
// the sealed header matches the transaction. It returns the envelope.
func (e *sealedEnd) open(payload []byte) (envelope, error) {
	var env envelope
	if len(payload) < 4 {
		return env, errors.New("message frame too short")
	}
	tx := new(ledger.Transaction)
	if err := tx.UnmarshalBinary(payload[4:]); err != nil {
		return env, err
	}
	if err := tx.Verify(); err != nil {
		return env, fmt.Errorf("bad signature: %w", err)
	}
	if !tx.Sender.Equal(e.peer) || !tx.Recipient.Equal(e.id.Public()) {
		return env, errors.New("not from this peer to this end")
	}
	plain := fernet.VerifyAndDecrypt(tx.Token, sealedTTL, []*fernet.Key{e.key})
	if plain == nil {
		return env, errors.New("token failed authentication or expired")
	}
	if err := json.Unmarshal(plain, &env); err != nil {
		return env, fmt.Errorf("authenticated message does not decode: %w", err)
	}
	if env.Epoch != binary.BigEndian.Uint32(payload) || env.Kind != tx.Kind.String() || env.Case != tx.CaseID {
		return env, errors.New("sealed header does not match the frame")
	}
	return env, nil
}

// receive reads frames until the session ends: it opens each message,
// records its arrival (or refusal) in a and acknowledges it with its ID;
// acknowledgements are read and dropped.
func (e *sealedEnd) receive(ctx context.Context, a *arrivals) {
	for {
		f, err := e.s.Recv(ctx)
		if err != nil {
			return
		}
		if f.Type != frameSealed {
			continue
		}
		env, err := e.open(f.Payload)
		if err != nil {
			a.refused(err.Error())
			continue
		}
		a.arrived(env.Text, time.Now())
		if err := e.s.Send(ctx, transport.Frame{Type: frameSealedAck, Payload: []byte(env.ID)}); err != nil {
			return
		}
	}
}

// runSealedRound is the chat benchmark's baseline: cfg's message stream
// from cfg.peers transport sessions, paired with a code as nodes pair, to
// one listener on 127.0.0.1, each message sealed, checked and acknowledged
// as between nodes, with no node, ledger or BB84.
func runSealedRound(ctx context.Context, cfg streamConfig) (r chatRound, err error) {
	root, err := os.MkdirTemp("", "qkdchat-bench-sealed-")
	if err != nil {
		return r, err
	}
	defer os.RemoveAll(root)
	ctx, cancel := context.WithCancel(ctx)
	var sessions []*transport.Session
	var wg sync.WaitGroup
	defer func() {
		cancel()
		for _, s := range sessions {
			s.Close()
		}
		wg.Wait()
	}()
	identity := func() (*identity.Identity, error) {
		dir, err := os.MkdirTemp(root, "id-")
		if err != nil {
			return nil, err
		}
		return identity.LoadOrCreate(dir)
	}
	hosp, err := identity()
	if err != nil {
		return r, err
	}
	ln, err := transport.Listen(ctx, "127.0.0.1:0", transport.Config{Identity: hosp.PrivateKey(), Name: "Hospital", Role: "hospital"})
	if err != nil {
		return r, err
	}
	defer ln.Close()

	a := newArrivals(cfg.peers, cfg.n)
	senders := make([]*sealedEnd, cfg.peers)
	for p := range cfg.peers {
		id, err := identity()
		if err != nil {
			return r, err
		}
		accepted := make(chan *transport.Session, 1)
		go func() {
			s, _ := ln.Accept(ctx)
			accepted <- s
		}()
		ds, err := transport.Connect(ctx, ln.Addr().String(), transport.Config{Identity: id.PrivateKey(),
			Name: fmt.Sprintf("Patient %d", p), Role: "patient", Code: ln.Code()})
		if err != nil {
			return r, fmt.Errorf("peer %d: %w", p, err)
		}
		sessions = append(sessions, ds)
		ls := <-accepted
		if ls == nil {
			return r, fmt.Errorf("peer %d: the listener accepted no session", p)
		}
		sessions = append(sessions, ls)
		sender, err := newSealedEnd(ds, id)
		if err != nil {
			return r, err
		}
		receiver, err := newSealedEnd(ls, hosp)
		if err != nil {
			return r, err
		}
		senders[p] = sender
		wg.Go(func() { sender.receive(ctx, a) })
		wg.Go(func() { receiver.receive(ctx, a) })
	}
	send := func(ctx context.Context, p, i int) error { return senders[p].send(ctx, streamText(p, i)) }
	if err := a.stream(ctx, cfg, send, &r); err != nil {
		return r, err
	}
	return r, nil
}
