package ledger

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"qkdchat/node/audit"
)

// Banner shows each standing ledger conflict (a peer signed
// conflicting checkpoints, or reports that we did) as a red warning above
// the tabs, with a Dismiss button, until the user dismisses it. It is
// hidden, taking no space, when there is none.
type Banner struct {
	a   *audit.Auditor
	env Env
	box *fyne.Container
}

// NewBanner builds the conflict banner, hidden until Reload finds a conflict.
func NewBanner(a *audit.Auditor, env Env) *Banner {
	b := &Banner{a: a, env: env, box: container.NewVBox()}
	b.box.Hide()
	return b
}

// Reload reads the standing conflicts off the UI goroutine and shows them.
func (b *Banner) Reload() {
	b.env.Spawn(func() {
		pcs, err := b.a.Conflicts()
		b.env.Do(func() { b.show(pcs, err) })
	})
}

func (b *Banner) show(pcs []audit.StandingConflict, err error) {
	b.box.RemoveAll()
	warn := func(text string) *widget.Label {
		l := widget.NewLabel(text)
		l.Importance = widget.DangerImportance
		l.TextStyle.Bold = true
		l.Wrapping = fyne.TextWrapWord
		return l
	}
	if err != nil {
		b.box.Add(warn("Could not read the ledger's conflicts: " + err.Error()))
	}
	for _, pc := range pcs {
		fp := pc.PeerFingerprint
		name := b.env.NameOf(fp)
		var msg string
		if pc.Reported {
			msg = fmt.Sprintf("Ledger conflict: %s refused our ledger checkpoint as conflicting (%s). %s", name, pc.Since.Local().Format("2006-01-02 15:04"), pc.ReportNote)
		} else {
			msg = fmt.Sprintf("Ledger conflict: %s (%s) signed conflicting ledger checkpoints (%s) on %s: its ledger was rewritten or truncated. The evidence is kept; its checkpoints are refused until you dismiss this.",
				name, fp, pc.Kind, pc.Since.Local().Format("2006-01-02 15:04"))
		}
		dismiss := widget.NewButtonWithIcon("Dismiss", theme.CancelIcon(), func() {
			b.env.Spawn(func() {
				_, err := b.a.DismissConflict(fp)
				b.env.Do(func() {
					if err != nil {
						b.env.Status("Could not dismiss the conflict: " + err.Error())
					}
				})
				b.Reload()
			})
		})
		b.box.Add(container.NewBorder(nil, nil, widget.NewIcon(theme.NewErrorThemedResource(theme.WarningIcon())), dismiss, warn(msg)))
	}
	if len(b.box.Objects) == 0 {
		b.box.Hide()
	} else {
		b.box.Show()
	}
	b.box.Refresh()
	// The banner's height changed: lay out the window's content again, or
	// the tabs below stay where they were, under the banner.
	b.env.Relayout()
}

// Content is the banner's root object, to put above the tabs.
func (b *Banner) Content() fyne.CanvasObject { return b.box }
