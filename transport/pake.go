package transport

import (
	"crypto/ecdh"
	"crypto/sha256"
	"fmt"
	"math/big"

	"github.com/schollz/pake/v3"
)

// pakeCurve is the curve of schollz/pake used for pairing: NIST P-256,
// whose arithmetic comes from the standard library.
const pakeCurve = "p256"

// Roles of schollz/pake: the dialer sends X first, the listener answers Y.
const (
	pakeDialer   = 0
	pakeListener = 1
)

// pakeParty is one side of the PAKE2 exchange of schollz/pake. The wire
// message is our own strict encoding (an uncompressed P-256 point checked
// by crypto/ecdh), never the library's JSON, so the library only sees
// points that are on the curve.
type pakeParty struct {
	p    *pake.Pake
	role int
}

// pakePassword turns a normalized pairing code into the weak secret.
func pakePassword(code string) []byte {
	h := sha256.Sum256([]byte("qkdchat pairing code v1\x00" + code))
	return h[:]
}

func newPakeParty(code string, role int) (pp *pakeParty, err error) {
	defer recoverPake(&err)
	p, err := pake.InitCurve(pakePassword(code), role, pakeCurve)
	if err != nil {
		return nil, fmt.Errorf("transport: pake init: %w", err)
	}
	return &pakeParty{p: p, role: role}, nil
}

// message returns our public value: X for the dialer (available at once),
// Y for the listener (available after update).
func (pp *pakeParty) message() ([]byte, error) {
	x, y := pp.p.Xᵤ, pp.p.Xᵥ
	if pp.role == pakeListener {
		x, y = pp.p.Yᵤ, pp.p.Yᵥ
	}
	if x == nil || y == nil || x.Sign() <= 0 || x.BitLen() > 256 || y.Sign() < 0 || y.BitLen() > 256 {
		return nil, fmt.Errorf("transport: pake: no public value")
	}
	b := make([]byte, pakeMsgLen)
	b[0] = 4
	x.FillBytes(b[1:33])
	y.FillBytes(b[33:])
	return b, nil
}

// update takes the peer's public value and computes the shared key.
func (pp *pakeParty) update(msg []byte) (key []byte, err error) {
	defer recoverPake(&err)
	if len(msg) != pakeMsgLen {
		return nil, fmt.Errorf("transport: pake value of %d bytes: %w", len(msg), ErrMalformed)
	}
	if _, err := ecdh.P256().NewPublicKey(msg); err != nil {
		return nil, fmt.Errorf("transport: pake value is not a P-256 point: %w", ErrMalformed)
	}
	x := new(big.Int).SetBytes(msg[1:33])
	y := new(big.Int).SetBytes(msg[33:])
	peer := &pake.Pake{Role: 1 - pp.role}
	if pp.role == pakeListener {
		peer.Xᵤ, peer.Xᵥ = x, y
	} else {
		peer.Yᵤ, peer.Yᵥ = x, y
	}
	if err := pp.p.Update(peer.Bytes()); err != nil {
		return nil, fmt.Errorf("transport: pake: %w", err)
	}
	k, err := pp.p.SessionKey()
	if err != nil {
		return nil, fmt.Errorf("transport: pake: %w", err)
	}
	return k, nil
}

// recoverPake turns a panic inside the PAKE library (it panics on some
// inputs it does not expect) into an error, so a peer can never crash us.
func recoverPake(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("transport: pake: internal error: %w", ErrMalformed)
	}
}
