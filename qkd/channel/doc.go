// Package channel models the physical layer of a simulated BB84 link: the
// qubit states and bases, Alice's photon source, the fibre, Bob's
// detectors and attacks on the photons in flight. Photons travel as a
// Frame of packed planes, 64 per word (see qkd/bitvec); State is the
// general two-amplitude model the bulk model agrees with. Probabilities
// are drawn in 32-bit fixed point (Fixed) so a word of 64 photons costs a
// few random words. The package knows nothing of the protocol that runs
// over the link.
package channel
