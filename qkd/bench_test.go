package qkd

import (
	"context"
	"math/rand/v2"
	"qkdchat/qkd/bitvec"
	"qkdchat/qkd/finitekey"
	"testing"
)

// reconcileOverPipe runs Cascade with Alice and Bob in two goroutines
// exchanging messages over Pipe, as the protocol does.
func reconcileOverPipe(alice, bob []uint64, n int, q float64, seed [32]byte) (cascadeOutcome, error) {
	ctx := context.Background()
	ca, cb := Pipe()
	errc := make(chan error, 1)
	go func() {
		a := newCascadeAlice(alice, n, q, seed)
		if err := ca.Send(ctx, a.start(seed)); err != nil {
			errc <- err
			return
		}
		for {
			m, err := ca.Recv(ctx)
			if err != nil {
				errc <- err
				return
			}
			q := m.(*ParityQuery)
			if q.Done {
				errc <- nil
				return
			}
			r, err := a.answer(q)
			if err != nil {
				errc <- err
				return
			}
			if err := ca.Send(ctx, r); err != nil {
				errc <- err
				return
			}
		}
	}()
	m, err := cb.Recv(ctx)
	if err != nil {
		return cascadeOutcome{}, err
	}
	b, err := newCascadeBob(bob, n, q, m.(*CascadeStart))
	if err != nil {
		return cascadeOutcome{}, err
	}
	for qm := b.next(); qm != nil; qm = b.next() {
		if err := cb.Send(ctx, qm); err != nil {
			return cascadeOutcome{}, err
		}
		r, err := cb.Recv(ctx)
		if err != nil {
			return cascadeOutcome{}, err
		}
		if err := b.receive(qm, r.(*ParityReply)); err != nil {
			return cascadeOutcome{}, err
		}
	}
	if err := cb.Send(ctx, &ParityQuery{Done: true, Corrected: b.corrected}); err != nil {
		return cascadeOutcome{}, err
	}
	if err := <-errc; err != nil {
		return cascadeOutcome{}, err
	}
	return cascadeOutcome{leak: b.leak, rounds: b.rounds, corrected: b.corrected}, nil
}

func benchCascade(b *testing.B, n int, q float64) {
	r := rand.New(rand.NewChaCha8([32]byte{3}))
	type pair struct{ a, b []uint64 }
	pairs := make([]pair, 8)
	for i := range pairs {
		pa, pb, _ := noisyPair(r, n, q)
		pairs[i] = pair{pa, pb}
	}
	bob := make([]uint64, bitvec.Words(n))
	b.SetBytes(int64(n / 8))
	i := 0
	var rounds, leak float64
	for b.Loop() {
		p := pairs[i%len(pairs)]
		copy(bob, p.b)
		o, err := reconcileOverPipe(p.a, bob, n, q, [32]byte{byte(i)})
		if err != nil {
			b.Fatal(err)
		}
		rounds += float64(o.rounds)
		leak += float64(o.leak)
		i++
	}
	b.ReportMetric(float64(n)*float64(i)/b.Elapsed().Seconds()/1e6, "Mbit/s")
	b.ReportMetric(rounds/float64(i), "rounds")
	b.ReportMetric(leak/float64(i)/(float64(n)*finitekey.BinaryEntropy(q)), "f")
}

// BenchmarkCascade2pct reconciles 10,000 bits at 2% QBER over the
// in-memory pipe; Mbit/s is sifted key per second.
func BenchmarkCascade2pct(b *testing.B)    { benchCascade(b, 10000, 0.02) }
func BenchmarkCascade2pct1e5(b *testing.B) { benchCascade(b, 100000, 0.02) }
