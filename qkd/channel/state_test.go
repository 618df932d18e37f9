package channel

import (
	"math"
	"math/rand/v2"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }

func TestPrepareBornProbabilities(t *testing.T) {
	for _, basis := range []Basis{Z, X} {
		for _, bit := range []uint8{0, 1} {
			s := Prepare(bit, basis)
			if !near(s.Prob(basis, bit), 1) || !near(s.Prob(basis, 1-bit), 0) {
				t.Errorf("%v%d: same-basis probabilities %v %v", basis, bit, s.Prob(basis, bit), s.Prob(basis, 1-bit))
			}
			other := 1 - basis
			if !near(s.Prob(other, 0), 0.5) || !near(s.Prob(other, 1), 0.5) {
				t.Errorf("%v%d: other-basis probabilities %v %v", basis, bit, s.Prob(other, 0), s.Prob(other, 1))
			}
		}
	}
}

func TestBlochPoints(t *testing.T) {
	cases := []struct {
		bit     uint8
		basis   Basis
		x, y, z float64
	}{{0, Z, 0, 0, 1}, {1, Z, 0, 0, -1}, {0, X, 1, 0, 0}, {1, X, -1, 0, 0}}
	for _, c := range cases {
		x, y, z := Prepare(c.bit, c.basis).Bloch()
		if !near(x, c.x) || !near(y, c.y) || !near(z, c.z) {
			t.Errorf("%v%d: Bloch (%v,%v,%v), want (%v,%v,%v)", c.basis, c.bit, x, y, z, c.x, c.y, c.z)
		}
	}
	// |+i> = (|0> + i|1>)/√2 sits on +y.
	x, y, z := State{A0: complex(1/math.Sqrt2, 0), A1: complex(0, 1/math.Sqrt2)}.Bloch()
	if !near(x, 0) || !near(y, 1) || !near(z, 0) {
		t.Errorf("|+i>: (%v,%v,%v)", x, y, z)
	}
}

// TestMeasureWrongBasisIsFair measures |0> in X 200,000 times: the count
// of 1s must be within 5 standard deviations of half.
func TestMeasureWrongBasisIsFair(t *testing.T) {
	r := rand.New(rand.NewChaCha8([32]byte{1}))
	const n = 200000
	ones := 0
	for i := 0; i < n; i++ {
		b, post := Prepare(0, Z).Measure(X, r)
		ones += int(b)
		if post.Prob(X, b) < 1-1e-12 {
			t.Fatal("measurement did not collapse the state")
		}
	}
	if d := math.Abs(float64(ones) - n/2); d > 5*math.Sqrt(n/4) {
		t.Fatalf("%d ones of %d", ones, n)
	}
	// And a right-basis measurement is deterministic.
	for i := 0; i < 1000; i++ {
		if b, _ := Prepare(1, X).Measure(X, r); b != 1 {
			t.Fatal("|-> measured in X gave 0")
		}
	}
}

// TestMeasureTiltedState checks the Born rule off the BB84 states:
// cos(π/8)|0> + sin(π/8)|1> gives 0 in Z with probability cos²(π/8).
func TestMeasureTiltedState(t *testing.T) {
	r := rand.New(rand.NewChaCha8([32]byte{2}))
	s := State{A0: complex(math.Cos(math.Pi/8), 0), A1: complex(math.Sin(math.Pi/8), 0)}
	p := math.Pow(math.Cos(math.Pi/8), 2)
	const n = 200000
	zeros := 0
	for i := 0; i < n; i++ {
		if b, _ := s.Measure(Z, r); b == 0 {
			zeros++
		}
	}
	if d := math.Abs(float64(zeros) - n*p); d > 5*math.Sqrt(n*p*(1-p)) {
		t.Fatalf("%d zeros of %d, want about %.0f", zeros, n, n*p)
	}
}
