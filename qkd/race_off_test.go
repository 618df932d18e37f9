//go:build !race

package qkd

const raceEnabled = false
