//go:build race

package transport

// raceEnabled: the race detector slows the flood tests several times, so
// they run a shorter flood (flood_test.go).
const raceEnabled = true
