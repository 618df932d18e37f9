package ui

import (
	"fmt"
	"image/color"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"qkdchat/node"
	"qkdchat/ui/files"
	"qkdchat/ui/widgets"
)

// chatFiles is the chat pane's part for files: the files staged to go
// with the next message (from the Attach… button or dropped on the
// window), the transfers with the shown peer, and what opens and saves
// the files of the bubbles.
type chatFiles struct {
	win       fyne.Window
	files     *files.Actions
	caseTitle func(id string) string
	openCase  func(id string)

	attach    *widget.Button
	staged    []string
	stagedLbl *widget.Label
	stagedBox *fyne.Container

	transfers *fyne.Container
	trows     map[string]*widgets.ProgressRow
}

// maxTransferRows is how many finished transfers the chat keeps showing.
const maxTransferRows = 3

func (p *chatPane) initFiles() {
	p.caseTitle = func(id string) string { return "Case " + id }
	p.openCase = func(string) {}
	p.attach = widget.NewButtonWithIcon("Attach…", theme.MailAttachmentIcon(), p.pickFile)
	p.stagedLbl = widget.NewLabel("")
	p.stagedLbl.Truncation = fyne.TextTruncateEllipsis
	clear := widget.NewButtonWithIcon("", theme.CancelIcon(), p.unstage)
	clear.Importance = widget.LowImportance
	p.stagedBox = container.NewBorder(nil, nil, widget.NewIcon(theme.MailAttachmentIcon()), clear, p.stagedLbl)
	p.stagedBox.Hide()
	p.transfers = container.NewVBox()
	p.trows = map[string]*widgets.ProgressRow{}
}

// pickFile asks for a file to attach to the next message.
func (p *chatPane) pickFile() {
	if p.conv == nil {
		p.status("Choose a conversation first, then attach files.")
		return
	}
	if p.win == nil {
		return
	}
	dialog.ShowFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return
		}
		r.Close()
		p.stage([]string{r.URI().Path()})
	}, p.win)
}

// stage adds files to go with the next message; Send sends them.
func (p *chatPane) stage(paths []string) {
	if p.conv == nil {
		p.status("Choose a conversation first, then attach files.")
		return
	}
	p.staged = append(p.staged, paths...)
	names := make([]string, len(p.staged))
	for i, s := range p.staged {
		names[i] = filepath.Base(s)
	}
	p.stagedLbl.SetText(fmt.Sprintf("To send: %s", strings.Join(names, ", ")))
	p.stagedBox.Show()
}

// unstage forgets the staged files.
func (p *chatPane) unstage() {
	p.staged = nil
	p.stagedLbl.SetText("")
	p.stagedBox.Hide()
}

// Staged returns the files staged for the next message.
func (p *chatPane) Staged() []string { return append([]string(nil), p.staged...) }

// showTransfer shows a file's progress to or from the shown peer.
func (p *chatPane) showTransfer(e node.Event) {
	if p.conv == nil || e.Peer != p.conv.key.Peer {
		return
	}
	key := e.MessageID + "/" + e.Name
	r, ok := p.trows[key]
	if !ok {
		name := "Sending " + e.Name
		if e.MessageID == "" {
			name = "Receiving a file from " + e.PeerName
		}
		r = widgets.NewProgressRow(name)
		p.trows[key] = r
		p.transfers.Add(r)
		// Keep the newest few.
		for len(p.transfers.Objects) > maxTransferRows {
			old := p.transfers.Objects[0].(*widgets.ProgressRow)
			for k, v := range p.trows {
				if v == old {
					delete(p.trows, k)
				}
			}
			p.transfers.Remove(old)
		}
	}
	r.SetProgress(files.TransferRow(e.Done, e.Total))
}

// hideDoneTransfers hides the finished transfers once a message shows:
// its bubble carries the files from then on.
func (p *chatPane) hideDoneTransfers() {
	for _, r := range p.trows {
		if f, _ := r.Progress(); f >= 1 {
			r.Hide()
		}
	}
	p.transfers.Refresh()
}

func (p *chatPane) clearTransfers() {
	p.trows = map[string]*widgets.ProgressRow{}
	p.transfers.RemoveAll()
}

// describe decodes what message m carries into its entry e: its files,
// and for a health record, referral or report a readable text naming the
// case, with a report's findings.
func (s *Shell) describe(e *chatEntry, m *node.Message) {
	e.caseID = m.CaseID
	content, err := s.node.Clinic().MessageContent(m)
	if err != nil {
		e.broken = "Its content could not be read: " + node.UserError(err)
		if m.Kind != node.KindChat.String() {
			e.msg.Text = kindTitle(m.Kind) + " · " + s.att.caseTitle(m.CaseID)
		}
		e.msg.Text += "\n(" + e.broken + ")"
		return
	}
	e.files = content.Files
	switch m.Kind {
	case node.KindPHR.String():
		e.msg.Text = "Health record · " + s.att.caseTitle(m.CaseID)
		if r := content.PHR; r != nil && r.Symptoms != "" {
			e.msg.Text += "\nSymptoms: " + r.Symptoms
		}
	case node.KindReferral.String():
		e.msg.Text = "Referral · " + s.att.caseTitle(m.CaseID)
		switch {
		case content.Assigned != "":
			e.msg.Text += "\n" + content.Assigned + " was assigned to the case."
		case content.ReferredBy != "":
			e.msg.Text += "\nReferred by " + content.ReferredBy + "."
		}
		if r := content.PHR; r != nil && r.Symptoms != "" {
			e.msg.Text += "\nSymptoms: " + r.Symptoms
		}
	case node.KindReport.String():
		e.report = true
		e.msg.Text = "Medical report · " + s.att.caseTitle(m.CaseID)
		if r := content.Report; r != nil {
			e.msg.Text += "\nFindings: " + r.Findings
			if r.Recommendations != "" {
				e.msg.Text += "\nRecommendations: " + r.Recommendations
			}
			if r.Prescriptions != "" {
				e.msg.Text += "\nPrescriptions: " + r.Prescriptions
			}
		}
	}
}

// chatRow is one row of the chat: the bubble, then the files it carries
// (each with Open and Save…) and, for a report, a button that opens its
// case.
type chatRow struct {
	widget.BaseWidget
	p      *chatPane
	bubble *widgets.ChatBubble
	extra  *fyne.Container
	box    *fyne.Container

	// For tests: the file rows and the case button shown.
	rows     []*files.Row
	openCase *widget.Button
}

func newChatRow(p *chatPane) *chatRow {
	r := &chatRow{p: p, bubble: widgets.NewChatBubble(widgets.ChatMessage{}), extra: container.NewVBox()}
	r.box = container.NewVBox(r.bubble, r.extra)
	r.ExtendBaseWidget(r)
	return r
}

// set shows entry e.
func (r *chatRow) set(e *chatEntry) {
	r.bubble.SetMessage(e.msg)
	r.rows, r.openCase = nil, nil
	var objs []fyne.CanvasObject
	for _, f := range e.files {
		fr := files.NewRow(r.p.files, f)
		// One line, at a fixed width: the list measures rows without
		// knowing its own width.
		fr.Label.Wrapping = fyne.TextWrapOff
		fr.Label.Truncation = fyne.TextTruncateEllipsis
		r.rows = append(r.rows, fr)
		objs = append(objs, fr.Content)
	}
	if e.report && e.caseID != "" {
		id := e.caseID
		r.openCase = widget.NewButtonWithIcon("Open case", theme.DocumentIcon(), func() { r.p.openCase(id) })
		objs = append(objs, container.NewHBox(r.openCase))
	}
	if len(objs) > 0 {
		// A card under the bubble, on the bubble's side.
		bg := canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))
		bg.CornerRadius = theme.InputRadiusSize()
		card := container.NewStack(bg, gap(cardWidth), container.NewPadded(container.NewVBox(objs...)))
		if e.msg.Outgoing {
			objs = []fyne.CanvasObject{container.NewHBox(layout.NewSpacer(), card)}
		} else {
			objs = []fyne.CanvasObject{container.NewHBox(card)}
		}
	}
	r.extra.Objects = objs
	// A recycled row keeps its size: lay it out again for the new
	// bubble's height.
	r.box.Refresh()
}

// cardWidth is the width of the card of a message's files.
const cardWidth = 320

// gap is empty space w wide.
func gap(w float32) fyne.CanvasObject {
	r := canvas.NewRectangle(color.Transparent)
	r.SetMinSize(fyne.NewSize(w, 0))
	return r
}

// CreateRenderer is a private method to Fyne which links this widget to
// its renderer.
func (r *chatRow) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(r.box) }
