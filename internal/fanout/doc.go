// Package fanout hands every published value to every subscriber, in
// order, without ever blocking the publisher: each subscriber has its own
// unbounded queue. A node's events reach its front ends through it.
package fanout
