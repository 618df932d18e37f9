//go:build race

package ledger

// raceEnabled: the race detector slows the journal flip tests about
// tenfold, so they sample fewer bytes (journalloss_test.go).
const raceEnabled = true
