package app

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
)

// Checkpoint exchange. Each side asks the other for a checkpoint of its
// ledger, saying the tree size it last cosigned; the other answers with
// its signed checkpoint and a consistency proof from that size; the asker
// verifies, cosigns, stores and returns the cosignature. Afterwards either
// side can prove that the other rewrote or truncated its ledger: two
// conflicting signed checkpoints are the proof.

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

// requestCheckpoint asks the peer for a checkpoint of its ledger.
func (s *Session) requestCheckpoint(ctx context.Context) {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(s.node.ledger.PeerCheckpointSize(s.peer.PublicKey)))
	if err := s.send(ctx, frameCkptRequest, b[:]); err != nil {
		s.log.Warn("checkpoint request not sent", "err", err)
	}
}

func (s *Session) offerCheckpoint(ctx context.Context, payload []byte) error {
	if len(payload) != 8 {
		return errors.New("malformed checkpoint request")
	}
	from := int64(binary.BigEndian.Uint64(payload))
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
	return s.send(ctx, frameCheckpoint, b)
}

func (s *Session) cosignCheckpoint(ctx context.Context, payload []byte) error {
	var offer checkpointOffer
	if err := json.Unmarshal(payload, &offer); err != nil {
		return fmt.Errorf("malformed checkpoint: %w", err)
	}
	cosigned, err := s.node.ledger.CosignPeer(offer.Note, s.peer.PublicKey, offer.FromSize, offer.Proof)
	if err != nil {
		// A conflicting or unprovable checkpoint is evidence, kept by the
		// ledger; report it loudly but keep the session.
		s.log.Warn("peer checkpoint refused", "err", err)
		s.event(Event{Type: EventCheckpoint, Reason: "peer checkpoint refused: " + err.Error()})
		return nil
	}
	s.event(Event{Type: EventCheckpoint, Reason: "cosigned the peer's checkpoint"})
	return s.send(ctx, frameCosign, cosigned)
}

func (s *Session) storeCosignature(payload []byte) error {
	size, err := s.node.ledger.StoreCosignature(payload, s.peer.PublicKey)
	if err != nil {
		s.log.Warn("peer cosignature refused", "err", err)
		s.event(Event{Type: EventCheckpoint, Reason: "peer cosignature refused: " + err.Error()})
		return nil
	}
	s.event(Event{Type: EventCheckpoint, Reason: "peer cosigned our checkpoint", Size: size})
	return nil
}
