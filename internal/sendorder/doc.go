// Package sendorder puts a session's concurrent Send calls on the wire in
// the order of their sequence numbers, so the receiver's replay window
// never sees a message overtaken by a later one.
package sendorder
