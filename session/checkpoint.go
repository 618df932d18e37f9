package session

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
// ends with a final exchange both ways (final).

// Checkpoint frame limits of a session: a burst, then a steady rate;
// frames over it are dropped and counted, and a flood ends the session.
// An honest peer sends at most three frames per exchange, one exchange at
// a time.
const (
	CkptBurst      = 32
	ckptPerSecond  = 8
	CkptFloodLimit = 256 // dropped frames that end the session
	// finalCheckpointTimeout bounds the final exchange at the end of a
	// session.
	finalCheckpointTimeout = 10 * time.Second
	// ckptRequestTimeout: a request unanswered this long is taken as lost.
	ckptRequestTimeout = 30 * time.Second
	// maxRefusalLen bounds a refusal frame.
	maxRefusalLen = 2048
)

// checkpointer runs a session's checkpoint exchanges.
type checkpointer struct {
	s      *Session
	frames chan transport.Frame // checkpoint frames, to loop
	ckptState
}

func newCheckpointer(s *Session) *checkpointer {
	return &checkpointer{s: s, frames: make(chan transport.Frame, 16)}
}

// ckptState is the state of the checkpoint exchanges.
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
		c.tokens, c.refill = CkptBurst, now
	}
	c.tokens = min(CkptBurst, c.tokens+now.Sub(c.refill).Seconds()*ckptPerSecond)
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

// admitFrame rate-limits a checkpoint frame before it is queued
// for loop: excess frames are dropped (counted, logged and
// reported rate-limited), and a flood ends the session.
func (c *checkpointer) admitFrame(ctx context.Context, f transport.Frame) error {
	ok, dropped := c.admit(time.Now())
	if !ok {
		if dropped >= CkptFloodLimit {
			return fmt.Errorf("%w (%d dropped)", errCheckpointFlood, dropped)
		}
		if dropped == 1 || dropped%64 == 0 {
			c.s.log.Warn("checkpoint frames over the rate limit dropped", "dropped", dropped)
			c.s.Event(Event{Type: EventRejected, Reason: fmt.Sprintf("checkpoint frames over the rate limit: %d dropped so far", dropped)})
		}
		return nil
	}
	select {
	case c.frames <- f:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// loop handles the checkpoint frames of the session in the order
// they came. They wait for ledger commits, so the classical reader hands
// them over rather than making chat messages wait behind them. It returns
// when ctx ends, or with the error of a malformed frame, which ends the
// session.
func (c *checkpointer) loop(ctx context.Context) error {
	for {
		select {
		case f := <-c.frames:
			var err error
			switch f.Type {
			case FrameCkptRequest:
				err = c.offer(ctx, f.Payload)
			case FrameCheckpoint:
				err = c.cosign(ctx, f.Payload)
			case FrameCosign:
				err = c.storeCosignature(f.Payload)
			case FrameCkptRefused:
				err = c.peerRefused(f.Payload)
			}
			if err != nil && ctx.Err() == nil {
				return err
			}
		case <-ctx.Done():
			return nil
		}
	}
}

// CheckpointOffer answers a checkpoint request (FrameCheckpoint).
type CheckpointOffer struct {
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

// request asks the peer for a checkpoint of its ledger, or, if
// a request is in flight, has one sent when its answer was handled.
func (c *checkpointer) request(ctx context.Context) { c.requestWith(ctx, 0) }

func (c *checkpointer) requestWith(ctx context.Context, flags byte) {
	c.mu.Lock()
	if c.requests > c.answered && time.Since(c.sentAt) < ckptRequestTimeout {
		c.again = max(c.again, flags+1)
		c.mu.Unlock()
		return
	}
	c.reserveLocked()
	c.mu.Unlock()
	c.sendRequest(ctx, flags)
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
func (c *checkpointer) sendRequest(ctx context.Context, flags byte) error {
	b := binary.BigEndian.AppendUint64(nil, uint64(c.s.cfg.Ledger.PeerCheckpointSize(c.s.peer.PublicKey)))
	if flags != 0 {
		b = append(b, flags) // a plain request stays 8 bytes, as older peers expect
	}
	if err := c.s.SendFrame(ctx, FrameCkptRequest, b); err != nil {
		c.s.log.Warn("checkpoint request not sent", "err", err)
		return err
	}
	return nil
}

// answered records that the offer for our request in flight was handled,
// and sends the request wanted meanwhile.
func (c *checkpointer) requestAnswered(ctx context.Context) {
	c.mu.Lock()
	if c.answered < c.requests {
		c.answered++
	}
	again := c.again
	if c.answered < c.requests {
		again = 0
	}
	if again > 0 {
		c.reserveLocked()
	}
	c.changedLocked()
	c.mu.Unlock()
	if again > 0 {
		c.sendRequest(ctx, again-1)
	}
}

func (c *checkpointer) offer(ctx context.Context, payload []byte) error {
	if len(payload) != 8 && len(payload) != 9 {
		return errors.New("malformed checkpoint request")
	}
	from := int64(binary.BigEndian.Uint64(payload))
	var flags byte
	if len(payload) == 9 {
		flags = payload[8]
	}
	note, size, err := c.s.cfg.Ledger.Checkpoint()
	if err != nil {
		return fmt.Errorf("make checkpoint: %w", err)
	}
	offer := CheckpointOffer{Note: note, FromSize: from}
	if from > size {
		// The peer claims to have seen more of our ledger than we hold:
		// our ledger was truncated (or the peer lies). Offer the proof-less
		// checkpoint; the peer's ledger records the conflict.
		offer.FromSize = 0
	} else if from > 0 {
		offer.Proof, err = c.s.cfg.Ledger.ConsistencyProof(from, size)
		if err != nil {
			return fmt.Errorf("consistency proof %d..%d: %w", from, size, err)
		}
	}
	b, err := json.Marshal(offer)
	if err != nil {
		return err
	}
	if err := c.s.SendFrame(ctx, FrameCheckpoint, b); err != nil {
		return err
	}
	c.mu.Lock()
	c.offers++
	if flags&CkptCounter != 0 {
		c.counter = true
	}
	c.changedLocked()
	c.mu.Unlock()
	if flags&CkptFinal != 0 {
		// The peer is leaving: have our view of its ledger brought up to
		// date too, before it goes.
		c.mu.Lock()
		c.final, c.finalOK = true, false
		c.mu.Unlock()
		c.requestWith(ctx, CkptCounter)
	}
	return nil
}

func (c *checkpointer) cosign(ctx context.Context, payload []byte) error {
	// An offer handled while none of our requests was in flight answers
	// none: it was sent before the peer could read a request reserved
	// after this point, so counting it would take it for the answer to
	// that later request (the final one, whose real answer then went
	// unchecked). It is cosigned or refused like any other.
	c.mu.Lock()
	solicited := c.answered < c.requests
	c.mu.Unlock()
	if solicited {
		defer c.requestAnswered(ctx)
	}
	var offer CheckpointOffer
	if err := json.Unmarshal(payload, &offer); err != nil {
		return fmt.Errorf("malformed checkpoint: %w", err)
	}
	cosigned, err := c.s.cfg.Ledger.CosignPeer(offer.Note, c.s.peer.PublicKey, offer.FromSize, offer.Proof)
	c.mu.Lock()
	c.refused = err
	if c.final {
		c.finalOK = err == nil // set before our answer goes out, so before the peer's goodbye
	}
	c.mu.Unlock()
	if err != nil {
		return c.refuse(ctx, offer.Note, err)
	}
	c.s.Event(Event{Type: EventCheckpoint, Reason: "cosigned the peer's checkpoint"})
	return c.s.SendFrame(ctx, FrameCosign, cosigned)
}

// ckptRefusalReportEvery is how often, after the first, a refused peer
// checkpoint is logged and published.
const ckptRefusalReportEvery = 64

// refuse handles a peer checkpoint the ledger did not cosign: a
// conflict is evidence (kept by the ledger), announced to the user and to
// the peer; the session goes on, but no later checkpoint of the peer is
// cosigned until the user dismisses the conflict.
func (c *checkpointer) refuse(ctx context.Context, msg []byte, err error) error {
	ref := checkpointRefusal{Reason: err.Error()}
	if sc, perr := ledger.OpenCheckpoint(msg, c.s.peer.PublicKey); perr == nil {
		ref.Size = sc.Size
	}
	var ce *ledger.ConflictError
	var pe *ledger.PeerConflictError
	switch {
	case errors.As(err, &ce):
		ref.Conflict, ref.Kind = true, string(ce.Conflict.Kind)
		ref.Reason = fmt.Sprintf("your checkpoint at size %d conflicts with the one of size %d I cosigned (%s)", ce.Conflict.New.Size, ce.Conflict.Old.Size, ce.Conflict.Kind)
		if !ce.Duplicate {
			c.s.log.Warn("peer signed conflicting checkpoints", "kind", ce.Conflict.Kind, "old_size", ce.Conflict.Old.Size, "new_size", ce.Conflict.New.Size, "stored", !ce.Dropped)
			c.s.Event(Event{Type: EventConflict, Kind: string(ce.Conflict.Kind), Size: ce.Conflict.New.Size,
				Reason: fmt.Sprintf("%s signed conflicting ledger checkpoints (%s: size %d, then size %d): its ledger was rewritten or truncated; evidence kept, its checkpoints are refused until you dismiss this",
					c.s.peer.Name, ce.Conflict.Kind, ce.Conflict.Old.Size, ce.Conflict.New.Size)})
		}
	case errors.As(err, &pe):
		ref.Conflict, ref.Kind = true, string(pe.State.Kind)
		ref.Reason = "a conflict with your ledger stands; your checkpoints are refused until it is dismissed"
	}
	c.mu.Lock()
	c.refusals++
	n := c.refusals
	c.mu.Unlock()
	// A peer can make us refuse a checkpoint as often as the rate limit
	// admits frames: report the first, then a count now and then.
	if n == 1 || n%ckptRefusalReportEvery == 0 {
		if ce == nil && pe == nil {
			c.s.log.Warn("peer checkpoint refused", "err", err, "refused_this_session", n)
		}
		c.s.Event(Event{Type: EventCheckpoint, Reason: fmt.Sprintf("peer checkpoint refused (%d this session): %v", n, err)})
	}
	c.mu.Lock()
	tell := !ref.Conflict || !c.reported
	if ref.Conflict {
		c.reported = true
	}
	c.mu.Unlock()
	if !tell {
		ref.Reason = "" // said once this session; the answer is still owed
	}
	b, err := encodeRefusal(ref)
	if err != nil {
		return err
	}
	return c.s.SendFrame(ctx, FrameCkptRefused, b)
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

func (c *checkpointer) storeCosignature(payload []byte) error {
	defer c.offerReplied()
	size, err := c.s.cfg.Ledger.StoreCosignature(payload, c.s.peer.PublicKey)
	if err != nil {
		c.s.log.Warn("peer cosignature refused", "err", err)
		c.s.Event(Event{Type: EventCheckpoint, Reason: "peer cosignature refused: " + err.Error()})
		return nil
	}
	c.s.Event(Event{Type: EventCheckpoint, Reason: "peer cosigned our checkpoint", Size: size})
	return nil
}

func (c *checkpointer) offerReplied() {
	c.mu.Lock()
	if c.replies < c.offers {
		c.replies++
	}
	c.changedLocked()
	c.mu.Unlock()
}

// peerRefused handles the peer's refusal of our checkpoint. A conflict
// the peer reports stands here too (shown to the user until dismissed);
// the peer's words are not evidence, the peer keeps that.
func (c *checkpointer) peerRefused(payload []byte) error {
	defer c.offerReplied()
	if len(payload) > maxRefusalLen {
		return errors.New("malformed checkpoint refusal: too long")
	}
	var ref checkpointRefusal
	if err := json.Unmarshal(payload, &ref); err != nil {
		return fmt.Errorf("malformed checkpoint refusal: %w", err)
	}
	if !ref.Conflict {
		c.s.Event(Event{Type: EventCheckpoint, Reason: "the peer refused our checkpoint: " + ref.Reason, Size: ref.Size})
		return nil
	}
	c.mu.Lock()
	heard := c.heard
	c.heard = true
	c.mu.Unlock()
	if ref.Reason == "" || heard {
		return nil // once a session is enough
	}
	if err := c.s.cfg.Ledger.RecordReportedConflict(c.s.peer.PublicKey, ref.Reason); err != nil {
		c.s.log.Warn("could not record the peer's conflict report", "err", err)
	}
	c.s.log.Warn("peer reports conflicting checkpoints of our ledger", "kind", ref.Kind, "size", ref.Size)
	c.s.Event(Event{Type: EventConflict, Reported: true, Kind: ref.Kind, Size: ref.Size,
		Reason: fmt.Sprintf("%s refused our ledger checkpoint as conflicting: %s", c.s.peer.Name, ref.Reason)})
	return nil
}

// finalExchange runs the last exchange of a session, both ways: our
// request (marked final) with the size last cosigned, read after every
// earlier request was answered; the peer's offer, cosigned; the peer's
// request for ours, answered; and its cosignature (or refusal). It
// returns why it could not complete, or nil.
func (c *checkpointer) finalExchange(ctx context.Context) error {
	waitFor := func(what string, done func() bool) error {
		for {
			c.mu.Lock()
			ok := done()
			ch := c.wait()
			c.mu.Unlock()
			if ok {
				return nil
			}
			select {
			case <-ch:
			case <-c.s.done:
				return fmt.Errorf("the session ended while waiting for %s", what)
			case <-c.s.ts.Done():
				return fmt.Errorf("the connection closed while waiting for %s", what)
			case <-ctx.Done():
				return fmt.Errorf("%s did not come within %s", what, finalCheckpointTimeout)
			}
		}
	}
	c.mu.Lock()
	c.leaving = true
	c.mu.Unlock()
	if err := waitFor("the answer to an earlier checkpoint request", func() bool {
		return c.answered >= c.requests || time.Since(c.sentAt) >= ckptRequestTimeout
	}); err != nil {
		return err
	}
	c.mu.Lock()
	c.reserveLocked()
	c.mu.Unlock()
	if err := c.sendRequest(ctx, CkptFinal); err != nil {
		return fmt.Errorf("final checkpoint request not sent: %w", err)
	}
	var refused error
	if err := waitFor("the peer's final checkpoint", func() bool {
		refused = c.refused
		return c.answered >= c.requests
	}); err != nil {
		return err
	}
	if err := waitFor("the peer's cosignature of our final checkpoint", func() bool {
		return c.counter && c.replies >= c.offers
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
func (c *checkpointer) reportPeerLeftEarly() {
	c.mu.Lock()
	done := c.leaving || c.finalOK
	c.mu.Unlock()
	if done {
		return
	}
	size := c.s.cfg.Ledger.PeerCheckpointSize(c.s.peer.PublicKey)
	c.s.log.Warn("session ended without the peer's final checkpoint", "cosigned_size", size)
	c.s.Event(Event{Type: EventCheckpointIncomplete, Size: size,
		Reason: fmt.Sprintf("final checkpoint exchange incomplete: the session ended before %s gave its final checkpoint; the last one of its ledger cosigned here is at size %d", c.s.peer.Name, size)})
}
