//go:build !unix

package qkd

import "time"

func processCPU() (time.Duration, bool) { return 0, false }
