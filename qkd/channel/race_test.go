//go:build race

package channel

// raceEnabled: the race detector slows the per-pulse models about ten
// times, so the statistical tests draw fewer pulses under it.
const raceEnabled = true
