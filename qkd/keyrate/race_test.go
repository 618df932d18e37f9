//go:build race

package keyrate

// raceEnabled: the race detector slows the nested vacuum+weak search
// about tenfold, so TestFiniteVacuumWeakReach tries fewer pulse counts.
const raceEnabled = true
