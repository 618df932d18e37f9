// Package qkd simulates the BB84 quantum key distribution protocol and runs
// the classical post-processing a real QKD link needs: sifting, parameter
// estimation from a random sample sized by a finite-key rule (with biased
// bases, the asymmetric protocol: key from the likelier basis, phase error
// from the other), Cascade error
// correction with batched parity exchanges, a universal-hash verification,
// Toeplitz privacy amplification with the finite-key bound of Tomamichel et
// al. (Nat. Commun. 3:634, 2012) and HKDF key derivation.
//
// The quantum channel is simulated by qkd/channel (source, fibre,
// detectors, intercept-resend); PhotonFrame is the message that carries its
// frames of photons, 64 per machine word. The parts that stand alone live
// in sub-packages that never import qkd: qkd/bitvec (packed bit strings),
// qkd/cascade (error correction), qkd/toeplitz (the verification and
// privacy-amplification hash), qkd/finitekey (the finite-key bounds) and
// qkd/keyrate (the decoy-state key rate figures). qkd itself runs the
// protocol over a Conn: configuration, messages, sifting, the sample plan
// and estimate, and the report.
//
// A Config has two halves: Protocol, what Alice and Bob choose and
// announce, and Channel, what the simulated channel and devices are. The
// parties plan and decide from Protocol and what they measure only.
//
// Alice and Bob are state machines (RunAlice, RunBob) exchanging typed
// messages over a Conn. Photon frames and classical messages are distinct
// message kinds so a transport can route them separately; Pipe connects the
// two in memory. Simulate runs both sides in-process and fills in the truths
// only a simulator knows (the true QBER and what an eavesdropper learned).
//
// The package has no networking, no GUI and no global mutable state.
// Randomness comes from crypto/rand unless Config.Seed asks for a
// reproducible ChaCha8 stream.
package qkd
