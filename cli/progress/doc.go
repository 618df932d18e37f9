// Package progress draws a long run's progress on one terminal line: the
// progress bar of `qkdchat simulate`.
package progress
