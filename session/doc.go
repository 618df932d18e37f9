// Package session runs one authenticated peer connection over a
// transport.Session: the frame table, the epoch keys and the BB84 runs
// that make them, chat messages with their replay window and send order,
// and the ledger checkpoint exchanges. It takes what it needs of the node
// as small interfaces (Config) and hands every frame it does not handle
// itself to a Handler (package delivery), the way syncthing's connection
// hands decoded messages to its Model.
package session
