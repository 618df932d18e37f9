package cases

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"qkdchat/node"
	"qkdchat/ui/files"
)

// attention is what the pane keeps to draw the user's eye without taking
// it: which cases have news the user has not opened, and the case view's
// attachments and details.
type attention struct {
	files    *files.Actions
	unseen   map[string]bool
	onUnseen func(n int) // the number of unseen cases changed
	// programmatic is set while the pane re-selects the shown case in a
	// re-sorted list, which is not the user opening it.
	programmatic bool

	detail     *fyne.Container // the title, caseDetail, fileBox and the details button
	titleLbl   *widget.Label
	fileBox    *fyne.Container
	fileRows   []*files.Row
	detailsBtn *widget.Button
}

func (p *Pane) initAttention() {
	p.unseen = map[string]bool{}
	p.fileBox = container.NewVBox()
	p.detailsBtn = widget.NewButtonWithIcon("Details", theme.InfoIcon(), p.showDetails)
	p.detailsBtn.Importance = widget.LowImportance
	p.detailsBtn.Hide()
	p.titleLbl = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	p.titleLbl.Wrapping = fyne.TextWrapWord
	p.titleLbl.Hide()
	p.detail = container.NewVBox(p.titleLbl, p.caseDetail, p.fileBox, container.NewHBox(p.detailsBtn))
}

// SetFiles makes the case view's attachments openable and savable
// through a.
func (p *Pane) SetFiles(a *files.Actions) {
	p.files = a
	p.showCase()
}

// OnUnseen calls f with the number of cases that have news the user has
// not opened, whenever it changes (for the tab's badge).
func (p *Pane) OnUnseen(f func(n int)) { p.onUnseen = f }

// Unseen returns the number of cases with news the user has not opened.
func (p *Pane) Unseen() int { return len(p.unseen) }

// IsUnseen reports whether case id has news the user has not opened.
func (p *Pane) IsUnseen(id string) bool { return p.unseen[id] }

// MarkUnseen records news on case id (a record, referral or report
// received). visible says the pane is on screen: news on the case the
// user is looking at is seen already. Nothing is selected or shown.
func (p *Pane) MarkUnseen(id string, visible bool) {
	if id == "" || (visible && id == p.caseSel) || p.unseen[id] {
		return
	}
	p.unseen[id] = true
	p.caseList.Refresh()
	p.unseenChanged()
}

// SeenShown marks the shown case seen, when the pane comes on screen.
func (p *Pane) SeenShown() {
	if p.unseen[p.caseSel] {
		delete(p.unseen, p.caseSel)
		p.caseList.Refresh()
		p.unseenChanged()
	}
}

func (p *Pane) unseenChanged() {
	if p.onUnseen != nil {
		p.onUnseen(len(p.unseen))
	}
}

// ShowCase shows case id, as the user asked (from a report card in the
// chat); it reports whether the pane has the case.
func (p *Pane) ShowCase(id string) bool {
	for i, c := range p.cases {
		if c.ID == id {
			p.caseList.Select(i)
			p.caseList.ScrollTo(i)
			return true
		}
	}
	// Not loaded yet: show it once it is.
	p.caseSel = id
	delete(p.unseen, id)
	p.unseenChanged()
	p.ReloadCases()
	return false
}

// showFiles lists the shown case's attachments, each with Open and
// Save….
func (p *Pane) showFiles(c node.Case, ok bool) {
	p.fileRows = nil
	var objs []fyne.CanvasObject
	if ok {
		for _, part := range []struct{ part, title string }{{"phr", "Health record attachments"}, {"report", "Report attachments"}} {
			var rows []fyne.CanvasObject
			for _, a := range c.Attachments {
				if (a.Part == "report") != (part.part == "report") {
					continue
				}
				if p.files == nil {
					rows = append(rows, widget.NewLabel(files.Label(node.AttachmentInfo(a))))
					continue
				}
				r := files.NewRow(p.files, node.AttachmentInfo(a))
				p.fileRows = append(p.fileRows, r)
				rows = append(rows, r.Content)
			}
			if len(rows) > 0 {
				objs = append(objs, widget.NewLabelWithStyle(part.title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
				objs = append(objs, rows...)
			}
		}
	}
	p.fileBox.Objects = objs
	p.fileBox.Refresh()
	if ok {
		p.titleLbl.SetText(CaseTitle(c))
		p.titleLbl.Show()
		p.detailsBtn.Show()
	} else {
		p.titleLbl.Hide()
		p.detailsBtn.Hide()
	}
}

// DetailsText is the case's details view: its identifiers and digests,
// which the rest of the pane leaves out.
func DetailsText(c node.Case) string {
	s := "Case ID: " + c.ID + "\nOpened: " + openedText(c.Opened) + "\nUpdated: " + openedText(c.Updated) + "\nStatus: " + c.Status
	s += "\nPatient key: " + c.Patient + "\nHospital key: " + c.Hospital
	if c.Doctor != "" {
		s += "\nDoctor key: " + c.Doctor
	}
	if c.PHRTxID != "" {
		s += "\nHealth record ledger entry: " + c.PHRTxID
	}
	if c.ReportDigest != "" {
		s += "\nReport digest (SHA-256): " + c.ReportDigest
	}
	for _, a := range c.Attachments {
		s += "\n" + a.Name + ": SHA-256 " + a.SHA256
	}
	return s
}

func (p *Pane) showDetails() {
	c, ok := p.selectedCase()
	if !ok || p.win == nil {
		return
	}
	l := widget.NewLabel(DetailsText(c))
	l.Wrapping = fyne.TextWrapBreak
	l.Selectable = true
	sc := container.NewVScroll(l)
	sc.SetMinSize(fyne.NewSize(520, 240))
	dialog.ShowCustom("Case details", "Close", sc, p.win)
}

// AddFiles attaches files dropped on the window to the pane's form (the
// health record's or the report's); it reports false for a pane without
// one.
func (p *Pane) AddFiles(paths []string) bool {
	picker := p.phrFiles
	if picker == nil {
		picker = p.reportFiles
	}
	if picker == nil {
		return false
	}
	for _, path := range paths {
		picker.Add(path)
	}
	return true
}

// FileRows returns the shown case's attachment rows.
func (p *Pane) FileRows() []*files.Row { return p.fileRows }
