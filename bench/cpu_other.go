//go:build !unix

package bench

import "time"

// processCPU is not measured here: the CPU-time ratio is left out.
func processCPU() (time.Duration, bool) { return 0, false }
