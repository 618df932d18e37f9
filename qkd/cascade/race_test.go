//go:build race

package cascade

// raceEnabled: the race detector slows Cascade several times, so the
// efficiency tests make fewer runs under it (perf_test.go).
const raceEnabled = true
