//go:build race

package node

// raceEnabled: the race detector slows the load test about tenfold, so it
// runs a smaller load (load_test.go).
const raceEnabled = true
