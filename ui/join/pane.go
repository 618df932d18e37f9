package join

import (
	"context"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"qkdchat/node"
)

// Joiner is what the pane asks of the node (Node.Invites).
type Joiner interface {
	Join(ctx context.Context, invite string) (*node.Session, error)
}

// Jobs runs the pane's slow calls: Go off the UI goroutine, Do back on
// it, both ending with Context (the window's life, which a joined
// session lives as long as). ui.Jobs is one.
type Jobs interface {
	Go(f func())
	Do(f func())
	Context() context.Context
}

// Pane is the "Join a hospital" pane. Build it with New and put Content
// in a tab.
type Pane struct {
	joiner Joiner
	jobs   Jobs
	role   node.Role

	field   *widget.Entry
	joinBtn *widget.Button
	busy    *widget.ProgressBarInfinite
	result  *widget.Label
	failed  bool

	box     *fyne.Container
	outer   *fyne.Container // the cards
	near    *nearby         // nil until SetFinder
	content fyne.CanvasObject
}

// New makes the pane for a profile of role (patient or doctor).
func New(j Joiner, role node.Role, jobs Jobs) *Pane {
	p := &Pane{joiner: j, jobs: jobs, role: role}
	p.field = widget.NewMultiLineEntry()
	p.field.Wrapping = fyne.TextWrapBreak
	p.field.SetMinRowsVisible(3)
	p.field.SetPlaceHolder("Paste the invite here: qkdchat-invite-… or qkdchat:invite/…")
	p.joinBtn = widget.NewButtonWithIcon("Join", theme.LoginIcon(), p.start)
	p.joinBtn.Importance = widget.HighImportance
	p.busy = widget.NewProgressBarInfinite()
	p.busy.Hide()
	p.busy.Stop()
	p.result = widget.NewLabel("")
	p.result.Wrapping = fyne.TextWrapWord
	p.result.Hide()
	p.box = container.NewVBox(p.field, container.NewHBox(p.joinBtn), p.busy, p.result)
	intro := widget.NewLabel(fmt.Sprintf("Paste the hospital's invite: it works once, and you join as a %s.", role))
	intro.Wrapping = fyne.TextWrapWord
	card := widget.NewCard("Join a hospital", "", container.NewVBox(intro, p.box))
	p.outer = container.NewVBox(card)
	p.content = container.NewVScroll(container.NewPadded(p.outer))
	return p
}

// Content is the pane's root object.
func (p *Pane) Content() fyne.CanvasObject { return p.content }

// Title is the tab's title.
func (p *Pane) Title() string { return "Join" }

// Result is the line the pane shows after Join, and whether it says why
// joining failed.
func (p *Pane) Result() (text string, failed bool) { return p.result.Text, p.failed }

// start joins with the pasted invite in the background.
func (p *Pane) start() {
	text := strings.TrimSpace(p.field.Text)
	if text == "" {
		p.show("Paste the invite the hospital gave you first.", true)
		return
	}
	p.joinBtn.Disable()
	p.busy.Show()
	p.busy.Start()
	p.show("Joining: dialling the hospital and checking the invite…", false)
	p.jobs.Go(func() {
		s, err := p.joiner.Join(p.jobs.Context(), text)
		p.jobs.Do(func() {
			p.joinBtn.Enable()
			p.busy.Stop()
			p.busy.Hide()
			if err != nil {
				p.show(Explain(err, text, p.role), true)
				return
			}
			p.field.SetText("")
			name := "the hospital"
			if s != nil && s.Peer().Name != "" {
				name = s.Peer().Name
			}
			p.show(fmt.Sprintf("Joined %s as a %s. The BB84 key exchange is running; it is in your contacts now.", name, p.role), false)
		})
	})
}

func (p *Pane) show(msg string, failed bool) {
	p.failed = failed
	p.result.Importance = widget.MediumImportance
	if failed {
		p.result.Importance = widget.DangerImportance
	} else if strings.HasPrefix(msg, "Joined") {
		p.result.Importance = widget.SuccessImportance
	}
	p.result.SetText(msg)
	p.result.Show()
}
