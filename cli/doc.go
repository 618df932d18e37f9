// Package cli is the headless command line of QKD Chat: it parses
// `qkdchat SUBCOMMAND [flags]` and runs the matching command. Commands that
// need a window (the GUI and the demo) are registered by package main, so
// this package stays free of Fyne.
package cli
