package bench

import (
	"context"
	"sync"
	"sync/atomic"
)

// parallel calls do(i) for every i in [from, to) on workers goroutines,
// each taking the next index, until every index is done, a call fails or
// ctx ends. It returns the first failure, or ctx's error.
func parallel(ctx context.Context, workers int, from, to int64, do func(i int64) error) error {
	var next atomic.Int64
	next.Store(from)
	var failed atomic.Bool
	var once sync.Once
	var first error
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for ctx.Err() == nil && !failed.Load() {
				i := next.Add(1) - 1
				if i >= to {
					return
				}
				if err := do(i); err != nil {
					once.Do(func() { first = err })
					failed.Store(true)
					return
				}
			}
		})
	}
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}
