package app

import "qkdchat/session"

// The wire vocabulary of package session, as the multi-node tests of this
// package forge and inspect frames.
const (
	frameChat        = session.FrameChat
	frameKeyResult   = session.FrameKeyResult
	frameCkptRequest = session.FrameCkptRequest
	frameCheckpoint  = session.FrameCheckpoint
	frameCosign      = session.FrameCosign
	frameBye         = session.FrameBye
	ckptFinal        = session.CkptFinal
	ckptCounter      = session.CkptCounter
	ckptBurst        = session.CkptBurst
	ckptFloodLimit   = session.CkptFloodLimit
	replayWindowSize = session.ReplayWindowSize
)

type checkpointOffer = session.CheckpointOffer
