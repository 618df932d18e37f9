package cli

import (
	"runtime/debug"
	"testing"
)

func TestLowerMemoryLimit(t *testing.T) {
	orig := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(orig)

	debug.SetMemoryLimit(1 << 40)
	restore := lowerMemoryLimit(150 << 20)
	if got := debug.SetMemoryLimit(-1); got != 150<<20 {
		t.Fatalf("limit %d while lowered, want %d", got, 150<<20)
	}
	restore()
	if got := debug.SetMemoryLimit(-1); got != 1<<40 {
		t.Fatalf("limit %d after restore, want %d", got, int64(1<<40))
	}

	// A lower limit the user set (GOMEMLIMIT) is kept.
	debug.SetMemoryLimit(100 << 20)
	restore = lowerMemoryLimit(150 << 20)
	if got := debug.SetMemoryLimit(-1); got != 100<<20 {
		t.Fatalf("limit %d, want the user's %d", got, 100<<20)
	}
	restore()
	if got := debug.SetMemoryLimit(-1); got != 100<<20 {
		t.Fatalf("limit %d after restore, want %d", got, 100<<20)
	}
}
