//go:build race

package qkd

// raceEnabled: the race detector slows long simulations several times, so
// the attack trials run fewer qubits under it (trust_test.go).
const raceEnabled = true
