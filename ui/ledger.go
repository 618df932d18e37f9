package ui

import "qkdchat/ui/ledger"

// ledgerEnv is what the shell gives the ledger pane and the banner.
func (s *Shell) ledgerEnv() ledger.Env {
	return ledger.Env{
		Ctx: s.ctx, Win: s.win, Spawn: s.spawn, Do: s.do, NameOf: s.nameOf,
		Names: func() map[string]string {
			m := make(map[string]string, len(s.names))
			for fp, n := range s.names {
				m[fp] = n
			}
			return m
		},
		SelfName: s.node.Profile().Name,
		Shown:    func() bool { return s.tabs != nil && s.tabs.Selected() == s.tabItems[TabLedger] },
		Status:   s.setStatus,
		Relayout: func() {
			if s.content != nil {
				s.content.Refresh()
			}
		},
	}
}
