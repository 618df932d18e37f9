// Package wire is the byte encoding of qkd's messages: unsigned varints
// bounded to int32, little-endian 64-bit words, finite float64s, raw
// bytes and packed bit planes whose bits beyond their length are clear.
// Encoder and Decoder keep the first error, so a message is written or
// read field by field and checked once at the end. The message layouts
// themselves are qkd's (message.go).
package wire
