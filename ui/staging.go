package ui

import "qkdchat/node"

// Staging puts a shell's panes into the states that the demo's
// screenshots show, and reads back what they show, for package demo and
// its tests. Its methods run on the UI goroutine.
type Staging struct{ s *Shell }

// Staging returns the shell's staging hooks.
func (s *Shell) Staging() Staging { return Staging{s} }

// ProveAndVerifyLedger picks the second transaction of the ledger page,
// proves it, and verifies the whole ledger.
func (g Staging) ProveAndVerifyLedger() { g.s.ledger.ProveAndVerify() }

// ShowBloch shows qubit q (from 1) of the selected exchange on the BB84
// tab's Bloch sphere.
func (g Staging) ShowBloch(q int) {
	g.s.ShowTab(TabBB84)
	g.s.bb84.ShowBloch(q)
}

// ShowHistory shows the history charts beside the BB84 tab again.
func (g Staging) ShowHistory() { g.s.bb84.ShowHistory() }

// SelectFirstCase shows the first case on the role's tab.
func (g Staging) SelectFirstCase() { g.s.role.SelectFirstCase() }

// KeyVerdict is the verdict the BB84 tab shows.
func (g Staging) KeyVerdict() string { return g.s.bb84.Shown().Verdict }

// Listened shows that the node listens on addr with join code code, as
// the listening event does: a node that listened before its shell was
// built (the demo's hospital) has no such event for the shell to show.
func (g Staging) Listened(addr, code string) {
	g.s.apply(node.Event{Type: node.EventListening, Addr: addr, Code: code})
}

// OpenAdvancedSettings shows the Settings tab with its key exchange
// section open.
func (g Staging) OpenAdvancedSettings() {
	g.s.ShowTab(TabSettings)
	g.s.prefs.advanced.Open(0)
}
