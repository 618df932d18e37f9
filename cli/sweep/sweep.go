package sweep

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// MaxPoints bounds the distances of one sweep.
const MaxPoints = 101

// Range is a parsed FROM:TO:STEP of fibre lengths in km.
type Range struct{ From, To, Step float64 }

// Parse parses FROM:TO:STEP with 0 <= FROM <= TO <= maxKm, STEP > 0 and at
// most MaxPoints distances; its errors say what is wrong in words.
func Parse(s string, maxKm float64) (Range, error) {
	f := strings.Split(s, ":")
	if len(f) != 3 {
		return Range{}, fmt.Errorf("%q: want FROM:TO:STEP in km, e.g. 0:60:20", s)
	}
	var v [3]float64
	for i, x := range f {
		n, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		if err != nil || math.IsNaN(n) || math.IsInf(n, 0) {
			return Range{}, fmt.Errorf("%q: %q is not a number of km", s, x)
		}
		v[i] = n
	}
	r := Range{v[0], v[1], v[2]}
	switch {
	case !(r.From >= 0 && r.To >= r.From && r.To <= maxKm):
		return Range{}, fmt.Errorf("%q: want 0 <= FROM <= TO <= %v", s, maxKm)
	case !(r.Step > 0):
		return Range{}, fmt.Errorf("%q: STEP must be positive", s)
	case (r.To-r.From)/r.Step >= MaxPoints:
		return Range{}, fmt.Errorf("%q makes more than %d distances", s, MaxPoints)
	}
	return r, nil
}

// Km lists the distances: From by Step, the last capped at To.
func (r Range) Km() []float64 {
	n := int(math.Floor((r.To-r.From)/r.Step+1e-9)) + 1
	km := make([]float64, n)
	for i := range km {
		km[i] = math.Min(r.From+float64(i)*r.Step, r.To)
	}
	return km
}

// Point is the JSON line of one distance of a sweep.
type Point struct {
	Km      float64 `json:"km"`
	Pulses  int     `json:"pulses"`   // per run
	Runs    int     `json:"runs"`     // runs at this distance
	Keys    int     `json:"keys"`     // runs that made a key
	KeyBits int     `json:"key_bits"` // final key bits, all runs together
	// Rate is the mean secret key bits per pulse sent over the runs (0
	// for a run that aborted); RateErr its standard error (0 for one run).
	Rate    float64 `json:"rate"`
	RateErr float64 `json:"rate_err"`
	// Model is qkd/keyrate's asymptotic rate for the run's setting at
	// this distance, with the same link.
	Model float64 `json:"model_rate"`
	sum   float64
	sum2  float64
}

// Add records a run: keyBits of final key (0 for an abort) from pulses.
func (p *Point) Add(keyBits, pulses int) {
	r := 0.0
	if keyBits > 0 {
		p.Keys++
		p.KeyBits += keyBits
		r = float64(keyBits) / float64(pulses)
	}
	p.Runs++
	p.sum, p.sum2 = p.sum+r, p.sum2+r*r
	p.Rate = p.sum / float64(p.Runs)
	if p.Runs > 1 {
		p.RateErr = math.Sqrt(math.Max(0, p.sum2/float64(p.Runs)-p.Rate*p.Rate) / float64(p.Runs-1))
	}
}
