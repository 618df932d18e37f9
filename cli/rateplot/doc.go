// Package rateplot draws secret key rate against fibre length as a PNG:
// the analytic curves of `qkdchat keyrate` and the measured points, with
// error bars, of `qkdchat simulate --sweep-km`.
package rateplot
