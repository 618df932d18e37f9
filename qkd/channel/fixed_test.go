package channel

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"testing"
)

// TestBernoulliWord checks the share of ones BernoulliWord draws against
// p, exactly at 0 and 1 and within 5 standard deviations elsewhere.
func TestBernoulliWord(t *testing.T) {
	r := rand.New(rand.NewChaCha8([32]byte{16}))
	for _, p := range []float64{0, 1e-3, 0.02, 0.25, 0.5, 0.7, 0.999, 1} {
		ones, words := 0, 20000
		for i := 0; i < words; i++ {
			ones += bits.OnesCount64(BernoulliWord(r, ToFixed(p)))
		}
		n := 64 * words
		switch p {
		case 0, 1:
			if ones != int(p)*n {
				t.Errorf("p=%v: %d ones", p, ones)
			}
		default:
			if math.Abs(float64(ones)/float64(n)-p) > 5*math.Sqrt(p*(1-p)/float64(n)) { // 5 standard deviations
				t.Errorf("p=%v: %d ones of %d", p, ones, n)
			}
		}
	}
}
