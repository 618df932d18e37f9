package channel

import (
	"fmt"
	"math"
	"math/cmplx"
	"math/rand/v2"
)

// Basis is a measurement or preparation basis: Z (computational, |0>,|1>)
// or X (diagonal, |+>,|->).
type Basis uint8

// The two BB84 bases.
const (
	Z Basis = 0
	X Basis = 1
)

func (b Basis) String() string {
	switch b {
	case Z:
		return "Z"
	case X:
		return "X"
	}
	return fmt.Sprintf("Basis(%d)", uint8(b))
}

// State is a pure qubit state a|0> + b|1> held as two complex amplitudes.
// It is the general model: any single-qubit attack can be written with it,
// and Bloch gives the point the UI draws. The zero State is not normalised;
// use Prepare.
type State struct {
	A0, A1 complex128 // amplitudes of |0> and |1>
}

// Prepare returns the BB84 state for bit in basis (Eq. 5 of the paper):
// |0>, |1> in Z and |+>, |-> = (|0> ± |1>)/√2 in X. Only the low bit of bit
// counts, and any basis other than Z is X.
func Prepare(bit uint8, basis Basis) State {
	bit &= 1
	if basis == Z {
		if bit == 0 {
			return State{A0: 1}
		}
		return State{A1: 1}
	}
	s := complex(1/math.Sqrt2, 0)
	if bit == 0 {
		return State{A0: s, A1: s}
	}
	return State{A0: s, A1: -s}
}

// Prob returns the Born-rule probability that measuring s in basis gives
// bit: |<bit_basis|s>|² / <s|s>.
func (s State) Prob(basis Basis, bit uint8) float64 {
	norm := sq(s.A0) + sq(s.A1)
	if norm == 0 {
		return 0.5
	}
	var amp complex128
	if basis == Z {
		amp = s.A0
		if bit&1 == 1 {
			amp = s.A1
		}
	} else {
		amp = (s.A0 + s.A1) / math.Sqrt2
		if bit&1 == 1 {
			amp = (s.A0 - s.A1) / math.Sqrt2
		}
	}
	return sq(amp) / norm
}

// Measure measures s in basis with Born-rule probabilities, drawing from r,
// and returns the result and the collapsed state. Measuring a BB84 state in
// the wrong basis gives a uniformly random result.
func (s State) Measure(basis Basis, r *rand.Rand) (bit uint8, post State) {
	if r.Float64() >= s.Prob(basis, 0) {
		bit = 1
	}
	return bit, Prepare(bit, basis)
}

// Bloch returns the point of s on the Bloch sphere: x = 2 Re(a0* a1),
// y = 2 Im(a0* a1), z = |a0|² - |a1|² (normalised).
func (s State) Bloch() (x, y, z float64) {
	norm := sq(s.A0) + sq(s.A1)
	if norm == 0 {
		return 0, 0, 0
	}
	c := cmplx.Conj(s.A0) * s.A1
	return 2 * real(c) / norm, 2 * imag(c) / norm, (sq(s.A0) - sq(s.A1)) / norm
}

func sq(c complex128) float64 { return real(c)*real(c) + imag(c)*imag(c) }
