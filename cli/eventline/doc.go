// Package eventline renders a node's events as the lines connect and
// listen print, one per event, in words a user reads.
package eventline
