package sendorder

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// TestSendTurnOrder has many Send calls in flight finish their appends in
// a random order, some giving up, and checks that the ones that go on the
// wire do so in sequence order, each once.
func TestSendTurnOrder(t *testing.T) {
	s := New()
	done := make(chan struct{})
	const n = 500
	r := rand.New(rand.NewPCG(1, 2))
	var seqs []uint64
	for range n {
		if r.IntN(10) == 0 {
			s.Next() // a reliable-path number: never waits for its turn
			continue
		}
		seqs = append(seqs, s.Enter())
	}
	giveUp := map[uint64]bool{}
	for _, q := range seqs {
		if r.IntN(20) == 0 {
			giveUp[q] = true
		}
	}
	delays := make(map[uint64]time.Duration)
	for _, q := range seqs {
		delays[q] = time.Duration(r.IntN(2000)) * time.Microsecond
	}
	var (
		mu    sync.Mutex
		wire  []uint64
		wg    sync.WaitGroup
		ctx   = context.Background()
		early = make(chan uint64, n)
	)
	for _, q := range seqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(delays[q]) // the seal, sign and append
			if giveUp[q] {
				s.Leave(q)
				return
			}
			if err := s.AwaitTurn(ctx, q, done); err != nil {
				early <- q
				return
			}
			mu.Lock()
			wire = append(wire, q)
			mu.Unlock()
			s.Leave(q)
		}()
	}
	wg.Wait()
	close(early)
	for q := range early {
		t.Errorf("send %d gave up waiting", q)
	}
	want := 0
	for _, q := range seqs {
		if !giveUp[q] {
			want++
		}
	}
	if len(wire) != want {
		t.Fatalf("%d sends on the wire, want %d", len(wire), want)
	}
	for i := 1; i < len(wire); i++ {
		if wire[i] <= wire[i-1] {
			t.Fatalf("send %d went on the wire after %d", wire[i], wire[i-1])
		}
	}
	if len(s.waiting) != 0 {
		t.Errorf("%d sends left in the order", len(s.waiting))
	}
}
