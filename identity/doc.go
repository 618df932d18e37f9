// Package identity is a qkdchat user's long-term Ed25519 identity: the key
// files of a data directory (identity.key, identity.pub), and the one
// fingerprint format people read aloud and type to name a key (the first
// 16 bytes of SHA-256 of the key, 32 hex digits in groups of four).
package identity
