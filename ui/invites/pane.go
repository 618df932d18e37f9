package invites

import (
	"context"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"qkdchat/node"
)

// Book is what the pane asks of the node's invites (Node.Invites).
type Book interface {
	Create(role node.Role, name string, ttl time.Duration) (node.InviteRecord, error)
	List() ([]node.InviteRecord, error)
	Revoke(nameplate int) error
}

// Roster is what the pane asks of the clinic (Node.Clinic): the contacts,
// to find doctors who paired with the plain code, and Approve.
type Roster interface {
	Contacts() ([]node.Contact, error)
	Approve(ref string) (node.Contact, error)
}

// Jobs runs the pane's slow calls: Go off the UI goroutine, Do back on
// it, both ending with Context (the window's life). ui.Jobs is one.
type Jobs interface {
	Go(f func())
	Do(f func())
	Context() context.Context
}

// Lifetimes offered for a new invite, the default first.
var lifetimes = []struct {
	label string
	ttl   time.Duration
}{
	{"3 days", node.DefaultInviteTTL},
	{"1 day", 24 * time.Hour},
	{"1 hour", time.Hour},
	{"7 days", 7 * 24 * time.Hour},
}

// Pane is the hospital's Invite pane. Build it with New, put Content in a
// tab and call Reload when an invite, pairing or approval event arrives.
type Pane struct {
	book   Book
	roster Roster
	jobs   Jobs
	copied func(label, value string)
	now    func() time.Time

	name       *widget.Entry
	lifetime   *widget.Select
	patientBtn *widget.Button
	doctorBtn  *widget.Button
	problem    *widget.Label
	created    *fyne.Container // the invite just issued
	last       node.InviteRecord

	list      *fyne.Container
	records   []node.InviteRecord
	approvals *fyne.Container
	waiting   []node.Contact

	content fyne.CanvasObject
}

// New makes the pane; copied is called with a label and the value of a
// Copy button tapped (to put it on the clipboard and say so).
func New(book Book, roster Roster, jobs Jobs, copied func(label, value string)) *Pane {
	p := &Pane{book: book, roster: roster, jobs: jobs, copied: copied, now: time.Now}
	p.name = widget.NewEntry()
	p.name.SetPlaceHolder("optional: whom it is for, e.g. Ann Smith")
	var labels []string
	for _, l := range lifetimes {
		labels = append(labels, l.label)
	}
	p.lifetime = widget.NewSelect(labels, nil)
	p.lifetime.SetSelectedIndex(0)
	p.patientBtn = widget.NewButtonWithIcon("Invite a patient", theme.AccountIcon(), func() { p.create(node.RolePatient) })
	p.patientBtn.Importance = widget.HighImportance
	p.doctorBtn = widget.NewButtonWithIcon("Invite a doctor", theme.AccountIcon(), func() { p.create(node.RoleDoctor) })
	p.doctorBtn.Importance = widget.HighImportance
	p.problem = widget.NewLabel("")
	p.problem.Importance = widget.DangerImportance
	p.problem.Wrapping = fyne.TextWrapWord
	p.problem.Hide()
	p.created = container.NewVBox()
	form := widget.NewForm(widget.NewFormItem("Name", p.name), widget.NewFormItem("Works for", p.lifetime))
	invite := widget.NewCard("Invite someone", "",
		container.NewVBox(wrapped("An invite works once, for the role it names. Hand it over in person or by a channel you trust.", widget.MediumImportance),
			form, container.NewHBox(p.patientBtn, p.doctorBtn), p.problem, p.created))

	p.list = container.NewVBox()
	issued := widget.NewCard("Invites", "", container.NewVBox(wrapped("What became of each invite you issued.", widget.MediumImportance), p.list))
	p.approvals = container.NewVBox()
	approve := widget.NewCard("Doctors to approve", "", container.NewVBox(
		wrapped("Doctors who paired with the plain code, not an invite: cases are referred only to doctors you invited or approved.", widget.MediumImportance),
		p.approvals))
	p.content = container.NewVScroll(container.NewPadded(container.NewVBox(invite, issued, approve)))
	p.Reload()
	return p
}

// Content is the pane's root object.
func (p *Pane) Content() fyne.CanvasObject { return p.content }

// Title is the tab's title.
func (p *Pane) Title() string { return "Invite" }

func (p *Pane) ttl() time.Duration {
	if i := p.lifetime.SelectedIndex(); i >= 0 && i < len(lifetimes) {
		return lifetimes[i].ttl
	}
	return node.DefaultInviteTTL
}

// create issues an invite for role in the background and shows it.
func (p *Pane) create(role node.Role) {
	name, ttl := p.name.Text, p.ttl()
	p.patientBtn.Disable()
	p.doctorBtn.Disable()
	p.jobs.Go(func() {
		rec, err := p.book.Create(role, name, ttl)
		p.jobs.Do(func() {
			p.patientBtn.Enable()
			p.doctorBtn.Enable()
			if err != nil {
				p.showProblem("Could not make the invite: " + node.UserError(err))
				return
			}
			p.showProblem("")
			p.name.SetText("")
			p.showCreated(rec)
			p.Reload()
		})
	})
}

func (p *Pane) showProblem(msg string) {
	p.problem.SetText(msg)
	if msg == "" {
		p.problem.Hide()
	} else {
		p.problem.Show()
	}
}

// showCreated shows the invite just issued, with Copy buttons.
func (p *Pane) showCreated(r node.InviteRecord) {
	p.last = r
	head := fmt.Sprintf("Give this invite to the %s", r.Role)
	if r.Name != "" {
		head += " (" + r.Name + ")"
	}
	head += ". It works once, until " + r.Expires.Local().Format("Mon 2 Jan 15:04") + "."
	h := widget.NewLabelWithStyle(head, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	h.Wrapping = fyne.TextWrapWord
	note := widget.NewLabel("They paste it into Join a hospital. The code alone also works, typed with an address in Connect.")
	note.Wrapping = fyne.TextWrapWord
	rows := container.New(layout.NewFormLayout())
	for _, kv := range [][2]string{{"Invite", r.Invite}, {"Link", r.Link}, {"Code", r.Code}} {
		rows.Add(widget.NewLabel(kv[0] + ":"))
		rows.Add(p.copyValue(kv[0], kv[1]))
	}
	p.created.Objects = []fyne.CanvasObject{h, rows, note}
	p.created.Refresh()
}

// copyValue is "value [Copy]" with a value that wraps anywhere, so that
// a long invite never widens the window.
func (p *Pane) copyValue(label, value string) fyne.CanvasObject {
	v := widget.NewLabelWithStyle(value, fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	v.Selectable = true
	v.Wrapping = fyne.TextWrapBreak
	btn := widget.NewButtonWithIcon("Copy", theme.ContentCopyIcon(), func() {
		if p.copied != nil {
			p.copied(label, value)
		}
	})
	return container.NewBorder(nil, nil, nil, btn, v)
}

// Reload reads the invites and the doctors waiting for approval again, in
// the background.
func (p *Pane) Reload() {
	p.jobs.Go(func() {
		rs, err := p.book.List()
		cs, cerr := p.roster.Contacts()
		p.jobs.Do(func() {
			p.showInvites(rs, err)
			p.showApprovals(Unapproved(cs), cerr)
		})
	})
}

func (p *Pane) showInvites(rs []node.InviteRecord, err error) {
	p.records = rs
	var objs []fyne.CanvasObject
	if err != nil {
		objs = append(objs, wrapped("Cannot read the invites: "+node.UserError(err), widget.DangerImportance))
	}
	now := p.now()
	for _, r := range rs {
		title := widget.NewLabelWithStyle(Title(r), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		title.Wrapping = fyne.TextWrapWord
		imp := widget.MediumImportance
		switch r.State {
		case node.InviteBurned:
			imp = widget.DangerImportance
		case node.InviteUsed:
			imp = widget.SuccessImportance
		}
		info := container.NewVBox(title, wrapped(StateLine(r, now), imp))
		var right fyne.CanvasObject
		if Revocable(r, now) {
			np := r.Nameplate
			btn := widget.NewButtonWithIcon("Revoke", theme.CancelIcon(), nil)
			btn.OnTapped = func() { p.revoke(np, btn) }
			right = container.NewVBox(btn)
		}
		if len(objs) > 0 {
			objs = append(objs, widget.NewSeparator())
		}
		objs = append(objs, container.NewBorder(nil, nil, nil, right, info))
	}
	if len(rs) == 0 && err == nil {
		objs = append(objs, wrapped("No invites yet: the buttons above make one.", widget.MediumImportance))
	}
	p.list.Objects = objs
	p.list.Refresh()
}

func (p *Pane) revoke(np int, btn *widget.Button) {
	btn.Disable()
	p.jobs.Go(func() {
		err := p.book.Revoke(np)
		p.jobs.Do(func() {
			if err != nil {
				btn.Enable()
				p.showProblem(fmt.Sprintf("Could not revoke invite %d: %s", np, node.UserError(err)))
			}
			p.Reload()
		})
	})
}

func (p *Pane) showApprovals(cs []node.Contact, err error) {
	p.waiting = cs
	var objs []fyne.CanvasObject
	if err != nil {
		objs = append(objs, wrapped("Cannot read the contacts: "+node.UserError(err), widget.DangerImportance))
	}
	for _, c := range cs {
		fp := c.Fingerprint
		btn := widget.NewButtonWithIcon("Approve", theme.ConfirmIcon(), nil)
		btn.OnTapped = func() { p.approve(fp, btn) }
		short := fp
		if len(short) > 8 {
			short = short[:8]
		}
		who := wrapped(fmt.Sprintf("%s says they are a doctor (key %s…): approve only if you know them.", c.Name, short), widget.MediumImportance)
		objs = append(objs, container.NewBorder(nil, nil, nil, container.NewVBox(btn), who))
	}
	if len(cs) == 0 && err == nil {
		objs = append(objs, wrapped("Nobody is waiting.", widget.MediumImportance))
	}
	p.approvals.Objects = objs
	p.approvals.Refresh()
}

func (p *Pane) approve(fp string, btn *widget.Button) {
	btn.Disable()
	p.jobs.Go(func() {
		_, err := p.roster.Approve(fp)
		p.jobs.Do(func() {
			if err != nil {
				btn.Enable()
				p.showProblem("Could not approve: " + node.UserError(err))
			}
			p.Reload()
		})
	})
}

func wrapped(s string, imp widget.Importance) *widget.Label {
	l := widget.NewLabel(s)
	l.Wrapping = fyne.TextWrapWord
	l.Importance = imp
	return l
}
