//go:build race

package keyrate

// raceEnabled: the race detector slows the nested vacuum+weak search
// about tenfold, so TestFiniteVacuumWeakReach and TestSettingsOrdered
// try fewer points.
const raceEnabled = true
