//go:build race

package app

// raceEnabled: the race detector slows the load test about tenfold, so it
// runs a smaller load (load_test.go).
const raceEnabled = true
