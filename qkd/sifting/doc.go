// Package sifting is one side's sifted string in a BB84 run, from the
// comparison of the bases (sifting) to the raw key that enters error
// correction: the pool of sifted slots after the trace, the sample
// disclosed to estimate the error rates and its error counts, and the key
// (the pool minus the sample).
//
// Packed is the implementation runs use: packed bit strings throughout.
// Reference is the straightforward code it replaced, one index per sifted
// bit, kept as the specification Packed is tested against bit for bit and
// as the baseline of `qkdchat bench qkd`. Both give the same counts,
// sample and key bits for the same inputs and seed.
package sifting
