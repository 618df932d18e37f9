// Package boltcheck inspects a bbolt database file before bbolt opens it.
//
// bbolt maps its file into memory and trusts what it finds there: a file
// cut short makes the first read past its end kill the process with
// SIGBUS, and damaged header pages make it fail with messages about its
// internals, or fall back silently to an older commit. Check reads the
// file's header pages with ordinary reads and refuses, in words, a file
// that bbolt must not be given.
package boltcheck
