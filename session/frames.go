package session

import "qkdchat/transport"

// The frame table of a session on the classical channel (the transport
// keeps the types below transport.FirstAppFrame for its handshake). A
// frame of any other type goes to the session's Handler: package delivery
// uses 0x52..0x56.
const (
	FrameBB84         transport.FrameType = 0x40 // classical BB84 message: BB84HeaderLen bytes + qkd encoding
	FrameKeyResult    transport.FrameType = 0x41 // JSON keyResult
	FrameRekeyRequest transport.FrameType = 0x42 // empty: the responder asks the initiator to rekey
	FrameChat         transport.FrameType = 0x50 // 4-byte epoch + signed ledger transaction
	FrameAck          transport.FrameType = 0x51 // message ID
	FrameCkptRequest  transport.FrameType = 0x60 // 8-byte size of the peer's tree we last cosigned [+ flags byte]
	FrameCheckpoint   transport.FrameType = 0x61 // JSON CheckpointOffer
	FrameCosign       transport.FrameType = 0x62 // our checkpoint, cosigned by the peer
	FrameCkptRefused  transport.FrameType = 0x63 // JSON checkpointRefusal: our checkpoint was not cosigned
	FrameBye          transport.FrameType = 0x6f // UTF-8 reason
)

// Checkpoint request flags (the byte after the size; absent means 0).
const (
	CkptFinal   = 1 // the asker is leaving: answer, then ask for its checkpoint
	CkptCounter = 2 // asked in answer to a final request
)
