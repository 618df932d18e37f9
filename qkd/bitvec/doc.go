// Package bitvec holds packed bit strings: bit i of a string is bit i%64 of
// word i/64 of a []uint64. It reads, writes, counts, extracts, compacts and
// selects bits of such strings for every part of the protocol (sifting,
// Cascade, the Toeplitz hash, the photon model). Functions never look past
// the words they are given.
package bitvec
