package nodetest

import "context"

// Inline is the job runner of a test that wants no goroutines: it runs
// the work of a pane (the Jobs of ui/cases, ui/files and ui/exchanges)
// at once on the caller's goroutine, under Ctx (context.Background when
// nil).
type Inline struct{ Ctx context.Context }

// Go runs f now.
func (Inline) Go(f func()) { f() }

// Do runs f now.
func (Inline) Do(f func()) { f() }

// Context is Ctx, or context.Background when Ctx is nil.
func (j Inline) Context() context.Context {
	if j.Ctx == nil {
		return context.Background()
	}
	return j.Ctx
}
