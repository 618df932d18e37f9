// Package demo is `qkdchat demo`: Alice (a patient) and Bob (a hospital),
// two real nodes in temporary data directories, paired on loopback through
// an in-process eavesdropper, each in a window of its own (a ui.Shell),
// and Eve's window with the intercept and noise sliders, the Re-key
// button, the big QBER and the history of exchanges. Screenshots walks the
// running demo through a short story and captures every pane.
//
// It uses package ui only through its exported API: Shell, Thread and Jobs
// to share one UI thread with the shells, and Shell.Staging to put panes
// into the states the screenshots show.
package demo
