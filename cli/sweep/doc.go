// Package sweep is the distance sweep of `qkdchat simulate --sweep-km`:
// the FROM:TO:STEP range of fibre lengths and each distance's measured
// key rate over its runs.
package sweep
