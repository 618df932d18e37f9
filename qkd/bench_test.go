package qkd

import (
	"testing"
)

// benchCascade reconciles n-bit key pairs with round(q n) errors, Alice and
// Bob exchanging messages over Pipe as a run does (CascadeTrial, which
// also draws the keys: a small part of the time).
func benchCascade(b *testing.B, n int, q float64) {
	b.SetBytes(int64(n / 8))
	i := 0
	var rounds, f float64
	for b.Loop() {
		st, err := CascadeTrial(b.Context(), n, q, uint64(i))
		if err != nil {
			b.Fatal(err)
		}
		rounds += float64(st.RoundTrips)
		f += st.F
		i++
	}
	b.ReportMetric(float64(n)*float64(i)/b.Elapsed().Seconds()/1e6, "Mbit/s")
	b.ReportMetric(rounds/float64(i), "rounds")
	b.ReportMetric(f/float64(i), "f")
}

// BenchmarkCascade2pct reconciles 10,000 bits at 2% QBER over the
// in-memory pipe; Mbit/s is sifted key per second.
func BenchmarkCascade2pct(b *testing.B)    { benchCascade(b, 10000, 0.02) }
func BenchmarkCascade2pct1e5(b *testing.B) { benchCascade(b, 100000, 0.02) }
