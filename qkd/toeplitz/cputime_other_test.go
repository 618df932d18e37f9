//go:build !unix

package toeplitz

import "time"

func processCPU() (time.Duration, bool) { return 0, false }
