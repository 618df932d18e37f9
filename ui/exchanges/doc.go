// Package exchanges is the BB84 key tab of QKD Chat: the key exchanges
// with one peer, each with its counts, QBER gauge and verdict, the first
// qubits in a table and on a Bloch sphere, and the history of all of them
// in charts; a Re-key button runs a new exchange.
//
// The panel is built from only what it uses: Sessions (to re-key), Jobs
// to run that off the UI goroutine, a name for each peer and a status
// line. Package ui feeds it the node's key events through Show and
// ShowProgress. RunPoint turns an exchange into a point of the history
// charts, for this panel and for the demo's Eve window.
package exchanges
