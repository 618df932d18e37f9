// Package identitytest holds what the tests of the packages that name
// keys share about identities: the 16-digit fingerprint an older qkdchat
// printed, computed as it did. It imports nothing of qkdchat, so the
// tests of every package (store and telehealth below the node, the
// node's own) can use it without an import cycle.
package identitytest
