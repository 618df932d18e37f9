//go:build race

package toeplitz

// toeplitzRaceBuild: the race detector slows the Toeplitz reference checks about
// tenfold, so they run fewer and smaller cases (toeplitz_test.go).
const toeplitzRaceBuild = true
