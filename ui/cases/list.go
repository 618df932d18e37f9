package cases

import (
	"fyne.io/fyne/v2/widget"

	"qkdchat/node"
)

// caseListing is the case list of the pane: choosing a case, keeping the
// shown one selected when the list is re-read, and each case's row.
type caseListing struct{ *Pane }

// caseChosen is the case list's selection: the user opening a case, or
// the pane keeping the shown case selected after a re-sort.
func (p caseListing) caseChosen(i widget.ListItemID) {
	if i >= len(p.cases) {
		return
	}
	p.caseSel = p.cases[i].ID
	if !p.programmatic && p.unseen[p.caseSel] {
		delete(p.unseen, p.caseSel)
		p.caseList.RefreshItem(i)
		p.unseenChanged()
	}
	p.showCase()
}

// keepSelection selects the shown case's row again after the list was
// re-read (its position may have moved), without counting it as seen.
func (p caseListing) keepSelection() {
	for i, c := range p.cases {
		if c.ID == p.caseSel {
			p.programmatic = true
			p.caseList.Select(i)
			p.programmatic = false
			return
		}
	}
	p.caseList.UnselectAll()
}

// caseLabel is a case's row in the list: a dot for news, the title and
// where the case is.
func (p caseListing) caseLabel(c node.Case) string {
	dot := ""
	if p.unseen[c.ID] {
		dot = "● "
	}
	return dot + CaseTitle(c) + " — " + statusText(c)
}
