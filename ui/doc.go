// Package ui holds the Fyne panes of QKD Chat. It renders the state and
// events exposed by package node and sends user actions back to it; it holds
// no protocol or storage logic of its own.
//
// A Shell is everything the user sees of one node: a sidebar of
// conversations grouped by case and the tabs: first Invite for a hospital
// (with its listening line above every tab) or Join for a patient or a
// doctor, then Connect, Chat, BB84 key, Ledger, the role's pane and
// Settings. A controller goroutine subscribes
// to the node's events and applies each one to the panes through fyne.Do;
// long work (connecting, re-keying, verifying, exporting) runs in
// goroutines that report back the same way, so the window never freezes.
//
// NewMainWindow is the desktop app: a first-run form for the name and role,
// then a Shell. Panes that stand alone live in sub-packages, each built
// from only what it uses of the node: ui/invites (a hospital's Invite tab
// and listening line), ui/join (Join a hospital), ui/cases (the role's tab), ui/exchanges
// (the BB84 key tab), ui/prefs (settings and theme), ui/files (attachments),
// ui/widgets (the reusable pieces); ui/demo is `qkdchat demo`. Every
// function takes the fyne.App it works in, so tests can pass
// fyne.io/fyne/v2/test's app.
package ui
