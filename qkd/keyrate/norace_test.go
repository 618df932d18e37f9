//go:build !race

package keyrate

const raceEnabled = false
