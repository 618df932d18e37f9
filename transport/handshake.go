package transport

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"

	"qkdchat/identity"
)

// hsMaxFrame bounds handshake frames; the largest, a Hello, is under 200
// bytes.
const hsMaxFrame = 1024

// Domain separation of what the handshake hashes, MACs and signs.
const (
	transcriptLabel = "qkdchat transcript v1\x00"
	confirmLabel    = "qkdchat pair confirm v1\x00"
	proofLabel      = "qkdchat identity proof v1\x00"
)

// Sides, as mixed into the confirmations so one side's cannot be
// reflected back as the other's.
const (
	sideDialer   = "dialer"
	sideListener = "listener"
)

// transcript hashes the TLS channel binding and every Hello and PAKE
// message in the order both sides agree on: dialer Hello, dialer PAKE,
// listener Hello, listener PAKE.
type transcript struct{ h hash.Hash }

func newTranscript(binding []byte) *transcript {
	t := &transcript{h: sha256.New()}
	t.h.Write([]byte(transcriptLabel))
	t.write(binding)
	return t
}

func (t *transcript) write(b []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(b)))
	t.h.Write(n[:])
	t.h.Write(b)
}

func (t *transcript) add(f Frame) {
	t.h.Write([]byte{byte(f.Type)})
	t.write(f.Payload)
}

func (t *transcript) sum() []byte { return t.h.Sum(nil) }

func confirmMAC(key []byte, side string, th []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(confirmLabel))
	m.Write([]byte(side))
	m.Write([]byte{0})
	m.Write(th)
	return m.Sum(nil)
}

func proofMessage(mode Mode, side string, th []byte) []byte {
	b := make([]byte, 0, len(proofLabel)+1+len(side)+1+len(th))
	b = append(b, proofLabel...)
	b = append(b, byte(mode))
	b = append(b, side...)
	b = append(b, 0)
	return append(b, th...)
}

// hsConn runs the handshake over an established TLS connection whose
// deadline the caller has set.
type hsConn struct {
	rw io.ReadWriter
	t  *transcript
	// step, when set, is called after each frame received: the
	// listener's admission counts it as progress.
	step func()
}

func (c *hsConn) send(f Frame, record bool) error {
	if err := WriteFrame(c.rw, f); err != nil {
		return err
	}
	if record {
		c.t.add(f)
	}
	return nil
}

// recv reads the next frame, which must be of type want. An abort frame
// becomes a PeerAbortError.
func (c *hsConn) recv(want FrameType, record bool) (Frame, error) {
	f, err := ReadFrame(c.rw, hsMaxFrame)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return Frame{}, fmt.Errorf("handshake: peer closed the connection: %w", io.ErrUnexpectedEOF)
		}
		return Frame{}, fmt.Errorf("handshake: %w", err)
	}
	if c.step != nil {
		c.step()
	}
	if f.Type == FrameAbort {
		r, err := parseAbort(f.Payload)
		if err != nil {
			return Frame{}, err
		}
		return Frame{}, &PeerAbortError{Reason: r}
	}
	if f.Type != want {
		return Frame{}, fmt.Errorf("handshake: got frame type %#x, want %#x: %w", f.Type, want, ErrUnexpectedFrame)
	}
	if record {
		c.t.add(f)
	}
	return f, nil
}

// hsResult is what a successful handshake learned.
type hsResult struct {
	peer        Hello
	mode        Mode
	newlyPaired bool
	token       LinkToken
	nameplate   int    // the invite the peer paired with (listener side)
	grant       string // and its grant
}

// localFailure reports whether err was found on this side (so the peer
// should be told) rather than reported by the peer or the network.
func localFailure(err error) bool {
	var pa *PeerAbortError
	if errors.As(err, &pa) {
		return false
	}
	return errors.Is(err, ErrPairingFailed) || errors.Is(err, ErrAuthFailed) ||
		errors.Is(err, identity.ErrChanged) || errors.Is(err, ErrUnknownContact) ||
		errors.Is(err, ErrCodeExhausted) || errors.Is(err, ErrMalformed) ||
		errors.Is(err, ErrUnexpectedFrame) || errors.Is(err, ErrBadVersion) ||
		errors.Is(err, ErrFrameTooLarge) || errors.Is(err, ErrInviteUsed) ||
		errors.Is(err, ErrInviteExpired) || errors.Is(err, ErrInviteRevoked)
}

// sendAbort tells the peer why we give up, best effort.
func sendAbort(w io.Writer, err error) {
	if localFailure(err) {
		WriteFrame(w, Frame{Type: FrameAbort, Payload: []byte{byte(abortReasonFor(err))}})
	}
}

// checkPeer applies the caller's pins to the peer's Hello. In pinned mode
// the key must be known; in both modes a name pinned to another key is
// refused. It returns whether the key was unknown before.
func checkPeer(cfg *Config, h Hello, mode Mode) (newlyPaired bool, err error) {
	if !expectedPeer(cfg, h.Identity) {
		return false, fmt.Errorf("peer %s: %w", identity.Fingerprint(h.Identity), identity.ErrChanged)
	}
	if np, ok := cfg.Pins.(NamePins); ok {
		if k, ok := np.PinnedKey(h.Name, h.Role); ok && !k.Equal(h.Identity) {
			return false, fmt.Errorf("peer %s: %w: pinned as %s; remove the contact to pair again",
				identity.Fingerprint(h.Identity), identity.ErrChanged, identity.Fingerprint(k))
		}
	}
	known := cfg.PeerKey != nil || (cfg.Pins != nil && cfg.Pins.Pinned(h.Identity))
	if mode == ModePinned && !known {
		return false, fmt.Errorf("peer %s: %w", identity.Fingerprint(h.Identity), ErrUnknownContact)
	}
	return !known, nil
}

// expectedPeer reports whether pub is a key cfg.PeerKey and
// cfg.PeerFingerprint allow.
func expectedPeer(cfg *Config, pub ed25519.PublicKey) bool {
	if cfg.PeerKey != nil && !cfg.PeerKey.Equal(pub) {
		return false
	}
	if cfg.PeerFingerprint != ([16]byte{}) {
		return identity.FingerprintBytes(pub) == cfg.PeerFingerprint
	}
	return true
}

// verifyConfirm checks the peer's confirmation for side.
func verifyConfirm(mode Mode, c confirm, key []byte, peer ed25519.PublicKey, side string, th []byte) error {
	if mode == ModePair {
		if !hmac.Equal(c.MAC, confirmMAC(key, side, th)) {
			return fmt.Errorf("%w: key confirmation does not match (wrong code, or a relay in the middle)", ErrPairingFailed)
		}
		if !ed25519.Verify(peer, proofMessage(mode, side, th), c.Sig) {
			return fmt.Errorf("%w: the peer's identity is not bound to this connection (a relay in the middle)", ErrPairingFailed)
		}
		return nil
	}
	if !ed25519.Verify(peer, proofMessage(mode, side, th), c.Sig) {
		return fmt.Errorf("%w: the peer's signature does not cover this connection (a relay in the middle, or a stolen name)", ErrAuthFailed)
	}
	return nil
}

func makeConfirm(mode Mode, key []byte, id ed25519.PrivateKey, side string, th []byte) confirm {
	c := confirm{Sig: ed25519.Sign(id, proofMessage(mode, side, th))}
	if mode == ModePair {
		c.MAC = confirmMAC(key, side, th)
	}
	return c
}

// dialHandshake runs the dialer's side. binding is the TLS exporter value
// of this connection.
// exchangeConfirm sends this side's key confirmation and identity proof
// over the transcript so far, checks the peer's, and then checks the peer
// against the pins. Both handshake sides run it, each naming itself and
// the other, so a confirmation can never be reflected back.
func exchangeConfirm(c *hsConn, cfg *Config, mode Mode, key []byte, peer Hello, me, them string) (newlyPaired bool, err error) {
	th := c.t.sum()
	if err := c.send(Frame{Type: FrameConfirm, Payload: makeConfirm(mode, key, cfg.Identity, me, th).marshal()}, false); err != nil {
		return false, err
	}
	f, err := c.recv(FrameConfirm, false)
	if err != nil {
		return false, err
	}
	pc, err := parseConfirm(f.Payload, mode)
	if err != nil {
		return false, err
	}
	if err := verifyConfirm(mode, pc, key, peer.Identity, them, th); err != nil {
		return false, err
	}
	return checkPeer(cfg, peer, mode)
}

func dialHandshake(rw io.ReadWriter, cfg *Config, binding []byte) (res hsResult, err error) {
	c := &hsConn{rw: rw, t: newTranscript(binding)}
	defer func() {
		if err != nil {
			sendAbort(rw, err)
		}
	}()
	mode := ModePinned
	if cfg.Code != "" {
		mode = ModePair
	}
	hello := cfg.hello(mode)
	if mode == ModePair {
		// An invite's nameplate goes first, in the clear, so the
		// listener runs the PAKE with that invite's code.
		hello.Nameplate = CodeNameplate(cfg.Code)
	}
	hb, err := hello.MarshalBinary()
	if err != nil {
		return res, err
	}
	if err := c.send(Frame{Type: FrameHello, Payload: hb}, true); err != nil {
		return res, err
	}
	var pp *pakeParty
	if mode == ModePair {
		if pp, err = newPakeParty(cfg.Code, pakeDialer); err != nil {
			return res, err
		}
		x, err := pp.message()
		if err != nil {
			return res, err
		}
		if err := c.send(Frame{Type: FramePake, Payload: x}, true); err != nil {
			return res, err
		}
	}
	f, err := c.recv(FrameHello, true)
	var pa *PeerAbortError
	if hello.Nameplate != 0 && errors.As(err, &pa) && pa.Reason == AbortProtocol {
		return res, fmt.Errorf("%w (the listener may be a version without invites)", err)
	}
	if err != nil {
		return res, err
	}
	peer, err := ParseHello(f.Payload)
	if err != nil {
		return res, err
	}
	if mode == ModePair && !expectedPeer(cfg, peer.Identity) {
		// Refuse an unexpected listener before our key confirmation,
		// which it could test a guess of the code against.
		return res, fmt.Errorf("peer %s: %w", identity.Fingerprint(peer.Identity), identity.ErrChanged)
	}
	if peer.Mode != mode {
		return res, fmt.Errorf("handshake: peer answered in %v mode to %v: %w", peer.Mode, mode, ErrMalformed)
	}
	if mode == ModePinned {
		if _, err := checkPeer(cfg, peer, mode); err != nil {
			return res, err
		}
	}
	var key []byte
	if mode == ModePair {
		f, err := c.recv(FramePake, true)
		if err != nil {
			return res, err
		}
		if key, err = pp.update(f.Payload); err != nil {
			return res, err
		}
	}
	newly, err := exchangeConfirm(c, cfg, mode, key, peer, sideDialer, sideListener)
	if err != nil {
		return res, err
	}
	if err := c.send(Frame{Type: FrameFinished}, false); err != nil {
		return res, err
	}
	f, err = c.recv(FrameFinished, false)
	if err != nil {
		return res, err
	}
	tok, err := parseFinished(f.Payload, true)
	if err != nil {
		return res, err
	}
	return hsResult{peer: peer, mode: mode, newlyPaired: newly, token: tok}, nil
}

// pairSlot is what the listener's handshake needs from the code guard
// or an invite: the code and a way to report how the attempt ended.
type pairSlot struct {
	code    string
	release func(ok bool)

	// proved, when set, makes the listener read and check the dialer's
	// key confirmation before it sends its own, and report whether it
	// held; an error refuses the attempt. So a dialer that stops before
	// its confirmation has nothing to test a guess against, and is no
	// guess. The listener sets it for invites and its code alike.
	proved func(ok bool) error
	// nameplate and grant of the invite, for PeerInfo.
	nameplate int
	grant     string
}

// hsHooks let the listener follow its side of a handshake. Either may
// be nil.
type hsHooks struct {
	step   func() // after each frame received from the peer
	proven func() // once the peer's proof verified: its key, or the code
}

// listenHandshake runs the listener's side. acquire is called with the
// dialer's nameplate (0 if none) when the dialer asks to pair; it blocks
// until an attempt may proceed and returns the code. token is sent to the dialer once both sides are authenticated.
func listenHandshake(rw io.ReadWriter, cfg *Config, binding []byte, acquire func(nameplate int) (pairSlot, error), token LinkToken) (hsResult, error) {
	return listenHandshakeHooked(rw, cfg, binding, acquire, token, hsHooks{})
}

// listenHandshakeHooked is listenHandshake reporting its steps to hooks.
func listenHandshakeHooked(rw io.ReadWriter, cfg *Config, binding []byte, acquire func(nameplate int) (pairSlot, error), token LinkToken, hooks hsHooks) (res hsResult, err error) {
	c := &hsConn{rw: rw, t: newTranscript(binding), step: hooks.step}
	defer func() {
		if err != nil {
			sendAbort(rw, err)
		}
	}()
	f, err := c.recv(FrameHello, true)
	if err != nil {
		return res, err
	}
	peer, err := ParseHello(f.Payload)
	if err != nil {
		return res, err
	}
	mode := peer.Mode
	var x []byte
	var slot pairSlot
	if mode == ModePair {
		var pf Frame
		if pf, err = c.recv(FramePake, true); err != nil {
			return res, err
		}
		x = pf.Payload
		if slot, err = acquire(peer.Nameplate); err != nil {
			return res, err
		}
		// err is the named result: release learns whether the whole
		// handshake succeeded (what a failed proof costs is told to
		// slot.proved).
		defer func() { slot.release(err == nil) }()
		cfg2 := *cfg
		cfg2.Code = slot.code
		cfg = &cfg2
	} else if _, err := checkPeer(cfg, peer, mode); err != nil {
		return res, err
	}
	hb, err := cfg.hello(mode).MarshalBinary()
	if err != nil {
		return res, err
	}
	if err := c.send(Frame{Type: FrameHello, Payload: hb}, true); err != nil {
		return res, err
	}
	var key []byte
	if mode == ModePair {
		pp, err := newPakeParty(cfg.Code, pakeListener)
		if err != nil {
			return res, err
		}
		if key, err = pp.update(x); err != nil {
			return res, err
		}
		y, err := pp.message()
		if err != nil {
			return res, err
		}
		if err := c.send(Frame{Type: FramePake, Payload: y}, true); err != nil {
			return res, err
		}
	}
	var newly bool
	if slot.proved != nil {
		newly, err = confirmDialerFirst(c, cfg, key, peer, slot.proved)
	} else {
		newly, err = exchangeConfirm(c, cfg, mode, key, peer, sideListener, sideDialer)
	}
	if err != nil {
		return res, err
	}
	if hooks.proven != nil {
		hooks.proven()
	}
	if err := c.send(Frame{Type: FrameFinished, Payload: token[:]}, false); err != nil {
		return res, err
	}
	f, err = c.recv(FrameFinished, false)
	if err != nil {
		return res, err
	}
	if _, err := parseFinished(f.Payload, false); err != nil {
		return res, err
	}
	return hsResult{peer: peer, mode: mode, newlyPaired: newly, token: token, nameplate: slot.nameplate, grant: slot.grant}, nil
}

// confirmDialerFirst is the listener's exchangeConfirm in pair mode: it
// reads and checks the dialer's confirmation first and tells proved the
// outcome, then sends its own. Until the dialer's confirmation arrives,
// the dialer has seen nothing keyed by the PAKE, so an attempt that dies
// earlier is no guess. Dialers need no change: they send their
// confirmation before reading ours.
func confirmDialerFirst(c *hsConn, cfg *Config, key []byte, peer Hello, proved func(ok bool) error) (newlyPaired bool, err error) {
	th := c.t.sum()
	f, err := c.recv(FrameConfirm, false)
	if err != nil {
		return false, err
	}
	pc, err := parseConfirm(f.Payload, ModePair)
	if err != nil {
		return false, err
	}
	verr := verifyConfirm(ModePair, pc, key, peer.Identity, sideDialer, th)
	if err := proved(verr == nil); err != nil {
		return false, err
	}
	if verr != nil {
		return false, verr
	}
	newly, err := checkPeer(cfg, peer, ModePair)
	if err != nil {
		return false, err
	}
	if err := c.send(Frame{Type: FrameConfirm, Payload: makeConfirm(ModePair, key, cfg.Identity, sideListener, th).marshal()}, false); err != nil {
		return false, err
	}
	return newly, nil
}
