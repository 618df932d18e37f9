// Package store is a node's local state database, DATA/state.db (bbolt),
// and its encrypted attachment files: pinned contacts, outboxes and the
// IDs of messages seen, message keys, case records and refused actions.
// schema.go lists every bucket. Every transaction runs behind a guard
// that turns a damaged page into an error naming the file. Records only
// this node reads back are sealed (Fernet) under its record key.
package store
