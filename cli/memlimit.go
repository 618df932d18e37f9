package cli

import "runtime/debug"

// simulateMemoryLimit is the Go runtime's soft memory limit while
// `simulate` runs. A run of qkd.MaxQubits (1e7) photons holds about 100
// MiB live during error correction; with no limit the garbage collector
// lets the heap grow to twice its live size before collecting, which put
// such a run at 200 MB resident. Under this limit it stays near 150 MB.
const simulateMemoryLimit = 150 << 20

// lowerMemoryLimit lowers the soft memory limit to limit, unless it is
// already lower (e.g. GOMEMLIMIT), and returns the function restoring it.
func lowerMemoryLimit(limit int64) (restore func()) {
	cur := debug.SetMemoryLimit(-1)
	if cur <= limit {
		return func() {}
	}
	debug.SetMemoryLimit(limit)
	return func() { debug.SetMemoryLimit(cur) }
}
