//go:build !race

package toeplitz

const toeplitzRaceBuild = false
