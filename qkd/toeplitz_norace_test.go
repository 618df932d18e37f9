//go:build !race

package qkd

const toeplitzRaceBuild = false
