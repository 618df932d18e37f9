package join

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"qkdchat/node"
)

// Hospital is a hospital found on the LAN, as the Nearby list shows it
// (not authenticated: the code decides who answers).
type Hospital struct {
	Name        string
	Fingerprint string
	Addrs       []string
}

// Finder finds the hospitals nearby and joins one of them with just its
// code; the session lives as long as ctx. Package ui makes one
// from Node.Reach.
type Finder struct {
	Find func(ctx context.Context) ([]Hospital, error)
	Join func(ctx context.Context, h Hospital, code string) (*node.Session, error)
}

// nearby is the pane's "Nearby" card: the hospitals found on the LAN,
// each with a code field and Join.
type nearby struct {
	p       *Pane
	f       Finder
	list    *fyne.Container
	lookBtn *widget.Button
	found   []Hospital
	card    *widget.Card
}

// SetFinder adds the Nearby card, which looks for hospitals now and
// whenever Look again is tapped.
func (p *Pane) SetFinder(f Finder) {
	nb := &nearby{p: p, f: f, list: container.NewVBox()}
	nb.lookBtn = widget.NewButtonWithIcon("Look again", theme.SearchIcon(), nb.look)
	nb.card = widget.NewCard("Nearby hospitals", "", container.NewVBox(
		note("Hospitals on this network announce themselves: join one with just the code it gave you.", widget.MediumImportance),
		nb.list, container.NewHBox(nb.lookBtn)))
	p.near = nb
	p.outer.Add(nb.card)
	p.outer.Refresh()
	nb.look()
}

// look asks the LAN for hospitals in the background.
func (nb *nearby) look() {
	nb.lookBtn.Disable()
	nb.list.Objects = []fyne.CanvasObject{note("Looking for hospitals on this network…", widget.MediumImportance)}
	nb.list.Refresh()
	p := nb.p
	p.jobs.Go(func() {
		hs, err := nb.f.Find(p.jobs.Context())
		p.jobs.Do(func() {
			nb.lookBtn.Enable()
			nb.show(hs, err)
		})
	})
}

func (nb *nearby) show(hs []Hospital, err error) {
	nb.found = hs
	var objs []fyne.CanvasObject
	if err != nil {
		objs = append(objs, note("Could not look for hospitals nearby: "+node.UserError(err), widget.DangerImportance))
	}
	for _, h := range hs {
		h := h
		code := widget.NewEntry()
		code.SetPlaceHolder("code, e.g. 1234-word-word")
		btn := widget.NewButtonWithIcon("Join", theme.LoginIcon(), nil)
		btn.OnTapped = func() { nb.join(h, code, btn) }
		code.OnSubmitted = func(string) { nb.join(h, code, btn) }
		label := widget.NewLabelWithStyle("Nearby: "+h.Name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		label.Truncation = fyne.TextTruncateEllipsis
		objs = append(objs, container.NewBorder(nil, nil, nil, btn, container.NewGridWithColumns(2, label, code)))
	}
	if len(hs) == 0 && err == nil {
		objs = append(objs, note("No hospital announces itself on this network: paste its invite above.", widget.MediumImportance))
	}
	nb.list.Objects = objs
	nb.list.Refresh()
}

// join pairs with hospital h using the typed code.
func (nb *nearby) join(h Hospital, code *widget.Entry, btn *widget.Button) {
	c := strings.TrimSpace(code.Text)
	p := nb.p
	if c == "" {
		p.show("Type the code "+h.Name+" gave you, then Join.", true)
		return
	}
	btn.Disable()
	p.show("Joining "+h.Name+"…", false)
	p.jobs.Go(func() {
		_, err := nb.f.Join(p.jobs.Context(), h, c)
		p.jobs.Do(func() {
			btn.Enable()
			if err != nil {
				p.show(fmt.Sprintf("Could not join %s: %s", h.Name, ExplainCode(err)), true)
				return
			}
			code.SetText("")
			msg := fmt.Sprintf("Joined %s as a %s. The BB84 key exchange is running; it is in your contacts now.", h.Name, p.role)
			if p.role == node.RoleDoctor {
				msg += " With a code rather than an invite, the hospital approves you before it refers cases to you."
			}
			p.show(msg, false)
		})
	})
}

// ExplainCode says in plain words why joining with a bare code failed.
func ExplainCode(err error) string {
	switch {
	case errors.Is(err, node.ErrPairingFailed):
		return "the code is wrong (or someone is in the middle): check it, or ask for a new one."
	case errors.Is(err, node.ErrInviteUsed), errors.Is(err, node.ErrInviteRevoked),
		errors.Is(err, node.ErrInviteLapsed), errors.Is(err, node.ErrInviteExpired):
		return Explain(err, "", "")
	}
	return node.UserError(err)
}

func note(s string, imp widget.Importance) *widget.Label {
	l := widget.NewLabel(s)
	l.Wrapping = fyne.TextWrapWord
	l.Importance = imp
	return l
}
