package app

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
	"unicode/utf8"

	"qkdchat/ledger"
	"qkdchat/transport"
)

// Checkpoint exchange. Each side asks the other for a checkpoint of its
// ledger, saying the tree size it last cosigned; the other answers with
// its signed checkpoint and a consistency proof from that size; the asker
// verifies, cosigns, stores and returns the cosignature (or, refusing,
// says why). Afterwards either side can prove that the other rewrote or
// truncated its ledger: two conflicting signed checkpoints are the proof.
//
// One request of each side is in flight at a time: a request made while
// one is unanswered is sent when the answer has been handled, so it
// always carries the size last cosigned (a request sent earlier would
// carry a stale size, and the proof from it would be refused). A session
// ends with a final exchange both ways (finalCheckpoint).

// Checkpoint frame limits of a session: a burst, then a steady rate;
// frames over it are dropped and counted, and a flood ends the session.
// An honest peer sends at most three frames per exchange, one exchange at
// a time.
const (
	ckptBurst      = 32
	ckptPerSecond  = 8
	ckptFloodLimit = 256 // dropped frames that end the session
	// finalCheckpointTimeout bounds the final exchange at the end of a
	// session.
	finalCheckpointTimeout = 10 * time.Second
	// ckptRequestTimeout: a request unanswered this long is taken as lost.
	ckptRequestTimeout = 30 * time.Second
	// maxRefusalLen bounds a refusal frame.
	maxRefusalLen = 2048
)

// ckptState is a session's part of the checkpoint exchanges.
type ckptState struct {
	mu       sync.Mutex
	changed  chan struct{} // closed and replaced at every change
	requests uint64        // requests sent
	answered uint64        // offers received for them, handled
	sentAt   time.Time     // of the request in flight
	again    byte          // flags+1 of a request wanted while one was in flight (0: none)
	offers   uint64        // offers sent in answer to the peer's requests
	replies  uint64        // cosignatures and refusals received for them
	counter  bool          // the peer asked for ours in answer to our final request
	reported bool          // we told the peer of a conflict this session
	heard    bool          // the peer told us of one this session
	refused  error         // why the peer's last checkpoint was not cosigned (nil: it was)
	leaving  bool          // this side runs its own final exchange
	final    bool          // the peer asked for our final checkpoint
	finalOK  bool          // and its checkpoint offered after that was cosigned
	tokens   float64
	refill   time.Time
	dropped  int
	// refusals counts the peer's checkpoints refused this session; the
	// first and every ckptRefusalReportEvery-th are logged and published.
	refusals int
}

func (c *ckptState) changedLocked() {
	if c.changed != nil {
		close(c.changed)
	}
	c.changed = make(chan struct{})
}

// wait returns a channel closed at the next change.
func (c *ckptState) wait() <-chan struct{} {
	if c.changed == nil {
		c.changed = make(chan struct{})
	}
	return c.changed
}

// admit takes one token for a checkpoint frame arriving now. It reports
// whether the frame may be handled and how many frames were dropped so
// far.
func (c *ckptState) admit(now time.Time) (bool, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.refill.IsZero() {
		c.tokens, c.refill = ckptBurst, now
	}
	c.tokens = min(ckptBurst, c.tokens+now.Sub(c.refill).Seconds()*ckptPerSecond)
	c.refill = now
	if c.tokens < 1 {
		c.dropped++
		return false, c.dropped
	}
	c.tokens--
	return true, c.dropped
}

// errCheckpointFlood ends a session whose peer floods checkpoint frames.
var errCheckpointFlood = errors.New("the peer flooded the session with checkpoint frames")

// admitCheckpointFrame rate-limits a checkpoint frame before it is queued
// for checkpointLoop: excess frames are dropped (counted, logged and
// reported rate-limited), and a flood ends the session.
func (s *Session) admitCheckpointFrame(ctx context.Context, f transport.Frame) error {
	ok, dropped := s.ck.admit(time.Now())
	if !ok {
		if dropped >= ckptFloodLimit {
			return fmt.Errorf("%w (%d dropped)", errCheckpointFlood, dropped)
		}
		if dropped == 1 || dropped%64 == 0 {
			s.log.Warn("checkpoint frames over the rate limit dropped", "dropped", dropped)
			s.event(Event{Type: EventRejected, Reason: fmt.Sprintf("checkpoint frames over the rate limit: %d dropped so far", dropped)})
		}
		return nil
	}
	select {
	case s.ckpt <- f:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// checkpointLoop handles the checkpoint frames of the session in the order
// they came. They wait for ledger commits, so the classical reader hands
// them over rather than making chat messages wait behind them. It returns
// when ctx ends, or with the error of a malformed frame, which ends the
// session.
func (s *Session) checkpointLoop(ctx context.Context) error {
	for {
		select {
		case f := <-s.ckpt:
			var err error
			switch f.Type {
			case frameCkptRequest:
				err = s.offerCheckpoint(ctx, f.Payload)
			case frameCheckpoint:
				err = s.cosignCheckpoint(ctx, f.Payload)
			case frameCosign:
				err = s.storeCosignature(f.Payload)
			case frameCkptRefused:
				err = s.peerRefused(f.Payload)
			}
			if err != nil && ctx.Err() == nil {
				return err
			}
		case <-ctx.Done():
			return nil
		}
	}
}

// checkpointOffer answers a checkpoint request.
type checkpointOffer struct {
	Note     []byte   `json:"note"`            // signed checkpoint note
	FromSize int64    `json:"from_size"`       // the size the proof starts at
	Proof    [][]byte `json:"proof,omitempty"` // consistency proof FromSize -> note's size
}

// checkpointRefusal tells the peer its checkpoint was not cosigned.
type checkpointRefusal struct {
	Conflict bool   `json:"conflict"`       // it conflicts with one cosigned before (or a conflict stands)
	Kind     string `json:"kind,omitempty"` // ledger.ConflictKind
	Size     int64  `json:"size"`           // of the refused checkpoint
	Reason   string `json:"reason"`
}

// Request flags (the byte after the size; absent means 0).
const (
	ckptFinal   = 1 // the asker is leaving: answer, then ask for its checkpoint
	ckptCounter = 2 // asked in answer to a final request
)

// requestCheckpoint asks the peer for a checkpoint of its ledger, or, if
// a request is in flight, has one sent when its answer was handled.
func (s *Session) requestCheckpoint(ctx context.Context) { s.requestWith(ctx, 0) }

func (s *Session) requestWith(ctx context.Context, flags byte) {
	s.ck.mu.Lock()
	if s.ck.requests > s.ck.answered && time.Since(s.ck.sentAt) < ckptRequestTimeout {
		s.ck.again = max(s.ck.again, flags+1)
		s.ck.mu.Unlock()
		return
	}
	s.ck.reserveLocked()
	s.ck.mu.Unlock()
	s.sendRequest(ctx, flags)
}

// reserveLocked records a request about to be sent.
func (c *ckptState) reserveLocked() {
	c.answered = c.requests // one lost (unanswered too long) is no longer awaited
	c.requests++
	c.sentAt = time.Now()
	c.again = 0
	c.changedLocked()
}

// sendRequest sends a request reserved with reserveLocked, carrying the
// size last cosigned, read now.
func (s *Session) sendRequest(ctx context.Context, flags byte) error {
	b := binary.BigEndian.AppendUint64(nil, uint64(s.node.ledger.PeerCheckpointSize(s.peer.PublicKey)))
	if flags != 0 {
		b = append(b, flags) // a plain request stays 8 bytes, as older peers expect
	}
	if err := s.send(ctx, frameCkptRequest, b); err != nil {
		s.log.Warn("checkpoint request not sent", "err", err)
		return err
	}
	return nil
}

// answered records that the offer for our request in flight was handled,
// and sends the request wanted meanwhile.
func (s *Session) requestAnswered(ctx context.Context) {
	s.ck.mu.Lock()
	if s.ck.answered < s.ck.requests {
		s.ck.answered++
	}
	again := s.ck.again
	if s.ck.answered < s.ck.requests {
		again = 0
	}
	if again > 0 {
		s.ck.reserveLocked()
	}
	s.ck.changedLocked()
	s.ck.mu.Unlock()
	if again > 0 {
		s.sendRequest(ctx, again-1)
	}
}

func (s *Session) offerCheckpoint(ctx context.Context, payload []byte) error {
	if len(payload) != 8 && len(payload) != 9 {
		return errors.New("malformed checkpoint request")
	}
	from := int64(binary.BigEndian.Uint64(payload))
	var flags byte
	if len(payload) == 9 {
		flags = payload[8]
	}
	note, size, err := s.node.ledger.Checkpoint()
	if err != nil {
		return fmt.Errorf("make checkpoint: %w", err)
	}
	offer := checkpointOffer{Note: note, FromSize: from}
	if from > size {
		// The peer claims to have seen more of our ledger than we hold:
		// our ledger was truncated (or the peer lies). Offer the proof-less
		// checkpoint; the peer's ledger records the conflict.
		offer.FromSize = 0
	} else if from > 0 {
		offer.Proof, err = s.node.ledger.ConsistencyProof(from, size)
		if err != nil {
			return fmt.Errorf("consistency proof %d..%d: %w", from, size, err)
		}
	}
	b, err := json.Marshal(offer)
	if err != nil {
		return err
	}
	if err := s.send(ctx, frameCheckpoint, b); err != nil {
		return err
	}
	s.ck.mu.Lock()
	s.ck.offers++
	if flags&ckptCounter != 0 {
		s.ck.counter = true
	}
	s.ck.changedLocked()
	s.ck.mu.Unlock()
	if flags&ckptFinal != 0 {
		// The peer is leaving: have our view of its ledger brought up to
		// date too, before it goes.
		s.ck.mu.Lock()
		s.ck.final, s.ck.finalOK = true, false
		s.ck.mu.Unlock()
		s.requestWith(ctx, ckptCounter)
	}
	return nil
}

func (s *Session) cosignCheckpoint(ctx context.Context, payload []byte) error {
	defer s.requestAnswered(ctx)
	var offer checkpointOffer
	if err := json.Unmarshal(payload, &offer); err != nil {
		return fmt.Errorf("malformed checkpoint: %w", err)
	}
	cosigned, err := s.node.ledger.CosignPeer(offer.Note, s.peer.PublicKey, offer.FromSize, offer.Proof)
	s.ck.mu.Lock()
	s.ck.refused = err
	if s.ck.final {
		s.ck.finalOK = err == nil // set before our answer goes out, so before the peer's goodbye
	}
	s.ck.mu.Unlock()
	if err != nil {
		return s.refuseCheckpoint(ctx, offer.Note, err)
	}
	s.event(Event{Type: EventCheckpoint, Reason: "cosigned the peer's checkpoint"})
	return s.send(ctx, frameCosign, cosigned)
}

// ckptRefusalReportEvery is how often, after the first, a refused peer
// checkpoint is logged and published.
const ckptRefusalReportEvery = 64

// refuseCheckpoint handles a peer checkpoint the ledger did not cosign: a
// conflict is evidence (kept by the ledger), announced to the user and to
// the peer; the session goes on, but no later checkpoint of the peer is
// cosigned until the user dismisses the conflict.
func (s *Session) refuseCheckpoint(ctx context.Context, msg []byte, err error) error {
	ref := checkpointRefusal{Reason: err.Error()}
	if sc, perr := ledger.OpenCheckpoint(msg, s.peer.PublicKey); perr == nil {
		ref.Size = sc.Size
	}
	var ce *ledger.ConflictError
	var pe *ledger.PeerConflictError
	switch {
	case errors.As(err, &ce):
		ref.Conflict, ref.Kind = true, string(ce.Conflict.Kind)
		ref.Reason = fmt.Sprintf("your checkpoint at size %d conflicts with the one of size %d I cosigned (%s)", ce.Conflict.New.Size, ce.Conflict.Old.Size, ce.Conflict.Kind)
		if !ce.Duplicate {
			s.log.Warn("peer signed conflicting checkpoints", "kind", ce.Conflict.Kind, "old_size", ce.Conflict.Old.Size, "new_size", ce.Conflict.New.Size, "stored", !ce.Dropped)
			s.event(Event{Type: EventConflict, Kind: string(ce.Conflict.Kind), Size: ce.Conflict.New.Size,
				Reason: fmt.Sprintf("%s signed conflicting ledger checkpoints (%s: size %d, then size %d): its ledger was rewritten or truncated; evidence kept, its checkpoints are refused until you dismiss this",
					s.peer.Name, ce.Conflict.Kind, ce.Conflict.Old.Size, ce.Conflict.New.Size)})
		}
	case errors.As(err, &pe):
		ref.Conflict, ref.Kind = true, string(pe.State.Kind)
		ref.Reason = "a conflict with your ledger stands; your checkpoints are refused until it is dismissed"
	}
	s.ck.mu.Lock()
	s.ck.refusals++
	n := s.ck.refusals
	s.ck.mu.Unlock()
	// A peer can make us refuse a checkpoint as often as the rate limit
	// admits frames: report the first, then a count now and then.
	if n == 1 || n%ckptRefusalReportEvery == 0 {
		if ce == nil && pe == nil {
			s.log.Warn("peer checkpoint refused", "err", err, "refused_this_session", n)
		}
		s.event(Event{Type: EventCheckpoint, Reason: fmt.Sprintf("peer checkpoint refused (%d this session): %v", n, err)})
	}
	s.ck.mu.Lock()
	tell := !ref.Conflict || !s.ck.reported
	if ref.Conflict {
		s.ck.reported = true
	}
	s.ck.mu.Unlock()
	if !tell {
		ref.Reason = "" // said once this session; the answer is still owed
	}
	b, err := encodeRefusal(ref)
	if err != nil {
		return err
	}
	return s.send(ctx, frameCkptRefused, b)
}

// encodeRefusal encodes ref within maxRefusalLen, which the peer enforces,
// shortening its reason at a character boundary as needed: JSON's escapes
// can make the encoding several times longer than the reason.
func encodeRefusal(ref checkpointRefusal) ([]byte, error) {
	for {
		b, err := json.Marshal(ref)
		if err != nil || len(b) <= maxRefusalLen || ref.Reason == "" {
			return b, err
		}
		cut := len(ref.Reason) / 2
		for cut > 0 && !utf8.RuneStart(ref.Reason[cut]) {
			cut--
		}
		ref.Reason = ref.Reason[:cut]
	}
}

func (s *Session) storeCosignature(payload []byte) error {
	defer s.offerReplied()
	size, err := s.node.ledger.StoreCosignature(payload, s.peer.PublicKey)
	if err != nil {
		s.log.Warn("peer cosignature refused", "err", err)
		s.event(Event{Type: EventCheckpoint, Reason: "peer cosignature refused: " + err.Error()})
		return nil
	}
	s.event(Event{Type: EventCheckpoint, Reason: "peer cosigned our checkpoint", Size: size})
	return nil
}

func (s *Session) offerReplied() {
	s.ck.mu.Lock()
	if s.ck.replies < s.ck.offers {
		s.ck.replies++
	}
	s.ck.changedLocked()
	s.ck.mu.Unlock()
}

// peerRefused handles the peer's refusal of our checkpoint. A conflict
// the peer reports stands here too (shown to the user until dismissed);
// the peer's words are not evidence, the peer keeps that.
func (s *Session) peerRefused(payload []byte) error {
	defer s.offerReplied()
	if len(payload) > maxRefusalLen {
		return errors.New("malformed checkpoint refusal: too long")
	}
	var ref checkpointRefusal
	if err := json.Unmarshal(payload, &ref); err != nil {
		return fmt.Errorf("malformed checkpoint refusal: %w", err)
	}
	if !ref.Conflict {
		s.event(Event{Type: EventCheckpoint, Reason: "the peer refused our checkpoint: " + ref.Reason, Size: ref.Size})
		return nil
	}
	s.ck.mu.Lock()
	heard := s.ck.heard
	s.ck.heard = true
	s.ck.mu.Unlock()
	if ref.Reason == "" || heard {
		return nil // once a session is enough
	}
	if err := s.node.ledger.RecordReportedConflict(s.peer.PublicKey, ref.Reason); err != nil {
		s.log.Warn("could not record the peer's conflict report", "err", err)
	}
	s.log.Warn("peer reports conflicting checkpoints of our ledger", "kind", ref.Kind, "size", ref.Size)
	s.event(Event{Type: EventConflict, Reported: true, Kind: ref.Kind, Size: ref.Size,
		Reason: fmt.Sprintf("%s refused our ledger checkpoint as conflicting: %s", s.peer.Name, ref.Reason)})
	return nil
}

// finalCheckpoint runs the last exchange of a session, both ways: our
// request (marked final) with the size last cosigned, read after every
// earlier request was answered; the peer's offer, cosigned; the peer's
// request for ours, answered; and its cosignature (or refusal). It
// returns why it could not complete, or nil.
func (s *Session) finalCheckpoint(ctx context.Context) error {
	waitFor := func(what string, done func() bool) error {
		for {
			s.ck.mu.Lock()
			ok := done()
			ch := s.ck.wait()
			s.ck.mu.Unlock()
			if ok {
				return nil
			}
			select {
			case <-ch:
			case <-s.done:
				return fmt.Errorf("the session ended while waiting for %s", what)
			case <-s.ts.Done():
				return fmt.Errorf("the connection closed while waiting for %s", what)
			case <-ctx.Done():
				return fmt.Errorf("%s did not come within %s", what, finalCheckpointTimeout)
			}
		}
	}
	s.ck.mu.Lock()
	s.ck.leaving = true
	s.ck.mu.Unlock()
	if err := waitFor("the answer to an earlier checkpoint request", func() bool {
		return s.ck.answered >= s.ck.requests || time.Since(s.ck.sentAt) >= ckptRequestTimeout
	}); err != nil {
		return err
	}
	s.ck.mu.Lock()
	s.ck.reserveLocked()
	s.ck.mu.Unlock()
	if err := s.sendRequest(ctx, ckptFinal); err != nil {
		return fmt.Errorf("final checkpoint request not sent: %w", err)
	}
	var refused error
	if err := waitFor("the peer's final checkpoint", func() bool {
		refused = s.ck.refused
		return s.ck.answered >= s.ck.requests
	}); err != nil {
		return err
	}
	if err := waitFor("the peer's cosignature of our final checkpoint", func() bool {
		return s.ck.counter && s.ck.replies >= s.ck.offers
	}); err != nil {
		return err
	}
	if refused != nil {
		// A stale, forged or conflicting answer: our view of the peer's
		// ledger is not brought up to the size the session ended at.
		return fmt.Errorf("the peer's final checkpoint was not cosigned: %w", refused)
	}
	return nil
}

// reportPeerLeftEarly tells the user, when the session ended without this
// side's own final exchange (the peer left, or the connection broke),
// unless the peer asked for our final checkpoint and gave its own, which
// was cosigned: otherwise our view of its ledger, from which its later
// rewrites are caught, may be older than the session.
func (s *Session) reportPeerLeftEarly() {
	s.ck.mu.Lock()
	done := s.ck.leaving || s.ck.finalOK
	s.ck.mu.Unlock()
	if done {
		return
	}
	size := s.node.ledger.PeerCheckpointSize(s.peer.PublicKey)
	s.log.Warn("session ended without the peer's final checkpoint", "cosigned_size", size)
	s.event(Event{Type: EventCheckpointIncomplete, Size: size,
		Reason: fmt.Sprintf("final checkpoint exchange incomplete: the session ended before %s gave its final checkpoint; the last one of its ledger cosigned here is at size %d", s.peer.Name, size)})
}

// StandingConflicts returns the conflicts with peers that the user has
// not dismissed: the UI shows each as a red warning.
func (n *Node) StandingConflicts() ([]ledger.PeerConflict, error) {
	return n.ledger.PeerConflicts()
}
