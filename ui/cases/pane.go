package cases

import (
	"context"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"qkdchat/node"
	"qkdchat/ui/widgets"
)

// Workflow is what the pane asks of the node: the contacts to choose
// from, the cases, and the three steps of the workflow.
type Workflow interface {
	Profile() node.Profile
	Contacts() ([]node.Contact, error)
	Doctors() []node.Contact
	Cases() ([]node.Case, error)
	SubmitPHR(ctx context.Context, hospitalFP string, phr node.PHR, attachmentPaths []string) (*node.Case, error)
	Refer(ctx context.Context, caseID, doctorFP string) error
	SubmitReport(ctx context.Context, caseID string, r node.MedicalReport, attachmentPaths []string) error
}

// Jobs runs the pane's slow calls: Go off the UI goroutine, Do back on
// it, both ending with Context (the window's life). ui.Jobs is one.
type Jobs interface {
	Go(f func())
	Do(f func())
	Context() context.Context
}

// Peers names contacts and tells who is online.
type Peers interface {
	Name(fp string) string
	Online(fp string) bool
}

// sendTimeout bounds a send, including the wait for a first key.
const sendTimeout = 60 * time.Second

// Pane is the pane of the user's role. Build it with New and put Content
// in a tab titled Title; feed it the node's case and transfer events
// through ReloadCases and ShowTransfer, and contact changes through
// RefreshContacts.
type Pane struct {
	win     fyne.Window
	node    Workflow
	jobs    Jobs
	peers   Peers
	role    node.Role
	title   string
	content fyne.CanvasObject
	status  *widget.Label

	cases      []node.Case
	caseList   *widget.List
	caseSel    string
	caseDetail *widget.Label
	transfers  *fyne.Container
	rows       map[string]*widgets.ProgressRow
	attention              // unseen cases, file rows, the details view (attention.go)
	list       caseListing // choosing a case in the list (list.go)
	forms      caseForms   // the health record, referral and report forms (send.go)

	// problem is the form error shown in status, "" for none: every
	// edit checks the form again, so that it clears once fixed.
	problem string
	// now is the clock of date checks and "on 30 Nov" (time.Now).
	now func() time.Time

	// patient
	hospital    *widget.Select
	hospitalFPs map[string]string
	phr         map[string]*widget.Entry
	birth       *dateField
	phrFiles    *widgets.AttachPicker
	submitPHR   *widget.Button
	prefilled   bool // the form was filled from the patient's last record

	// hospital
	doctor    *widget.Select
	doctorFPs map[string]string
	refer     *widget.Button
	referForm fyne.CanvasObject // the doctor choice and Refer, while the step is to do

	// doctor
	report       map[string]*widget.Entry
	reportFiles  *widgets.AttachPicker
	submitReport *widget.Button
	reportForm   fyne.CanvasObject // heading, form and Send, while the step is to do

	// done says what the user already did with the selected case, in
	// place of the step's form (hospital and doctor).
	done *widget.Label
}

// phrFields are the text fields of the health record form; the date of
// birth, between the name and the symptoms, is a date field.
var phrFields = []string{"Patient name", "Symptoms", "Medications", "Allergies", "Notes"}
var reportFields = []string{"Findings", "Recommendations", "Prescriptions"}

// New makes the pane of role over node n, with file dialogs over win.
// Call Reload once the shell shows.
func New(win fyne.Window, role node.Role, n Workflow, jobs Jobs, peers Peers) *Pane {
	p := &Pane{win: win, node: n, jobs: jobs, peers: peers, role: role, rows: map[string]*widgets.ProgressRow{}, now: time.Now}
	p.forms, p.list = caseForms{p}, caseListing{p}
	p.status = widget.NewLabel("")
	p.status.Wrapping = fyne.TextWrapWord
	p.done = widget.NewLabel("")
	p.done.Wrapping = fyne.TextWrapWord
	p.done.Importance = widget.SuccessImportance
	p.done.Hide()
	p.transfers = container.NewVBox()
	p.caseDetail = widget.NewLabel("Choose a case.")
	p.caseDetail.Wrapping = fyne.TextWrapWord
	p.caseList = widgets.NewLabelList(func() int { return len(p.cases) }, func(i int) string {
		return p.list.caseLabel(p.cases[i])
	})
	p.caseList.OnSelected = p.list.caseChosen
	p.initAttention()
	switch p.role {
	case node.RolePatient:
		p.title = "Health record"
		p.content = p.forms.buildPatient()
	case node.RoleHospital:
		p.title = "Cases"
		p.content = p.forms.buildHospital()
	default:
		p.title = "Reports"
		p.content = p.forms.buildDoctor()
	}
	p.ReloadCases()
	return p
}

func heading(text string) *widget.Label {
	l := widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	l.SizeName = theme.SizeNameSubHeadingText
	return l
}

func wrapped(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	return l
}

func (p caseForms) buildPatient() fyne.CanvasObject {
	p.hospital = widget.NewSelect(nil, nil)
	p.hospital.PlaceHolder = "pair with a hospital first"
	p.phr = map[string]*widget.Entry{}
	form := widget.NewForm(widget.NewFormItem("Hospital", p.hospital))
	for _, f := range phrFields {
		e := widget.NewEntry()
		if f == "Symptoms" || f == "Notes" || f == "Medications" {
			e = widget.NewMultiLineEntry()
			e.Wrapping = fyne.TextWrapWord
			e.SetMinRowsVisible(2)
		}
		e.OnChanged = func(string) { p.recheck() }
		p.phr[f] = e
		form.Append(f, e)
		if f == fieldName {
			p.birth = newDateField()
			p.birth.onEdit = p.recheck
			form.Append(fieldBirth, p.birth)
		}
	}
	p.phr[fieldName].SetText(p.node.Profile().Name)
	p.phrFiles = widgets.NewAttachPicker(p.win)
	form.Append("Attachments", p.phrFiles.Box)
	p.submitPHR = widget.NewButtonWithIcon("Send health record", theme.MailSendIcon(), p.sendPHR)
	p.submitPHR.Importance = widget.HighImportance
	left := container.NewVScroll(container.NewPadded(container.NewVBox(
		heading("Send health record"),
		wrapped("Your record is encrypted under the BB84 key shared with the hospital and kept in both ledgers. "+
			"If the hospital is offline it waits in your outbox."),
		form, container.NewHBox(p.submitPHR), p.status, p.transfers)))
	// The case (its report first) gets most of the height; the list of
	// a patient's few cases little.
	cases := container.NewVSplit(p.caseList, container.NewVScroll(p.detail))
	cases.Offset = 0.25
	right := container.NewBorder(heading("Your cases"), nil, nil, nil, cases)
	split := container.NewHSplit(left, right)
	split.Offset = 0.58
	return split
}

func (p caseForms) buildHospital() fyne.CanvasObject {
	p.doctor = widget.NewSelect(nil, nil)
	p.doctor.PlaceHolder = "pair with a doctor first"
	p.refer = widget.NewButtonWithIcon("Refer to doctor", theme.MailForwardIcon(), p.sendReferral)
	p.refer.Importance = widget.HighImportance
	p.referForm = container.NewVBox(widget.NewForm(widget.NewFormItem("Doctor", p.doctor)), container.NewHBox(p.refer))
	right := container.NewVScroll(container.NewPadded(container.NewVBox(p.detail, p.done, p.referForm, p.status, p.transfers)))
	split := container.NewHSplit(container.NewBorder(heading("Cases"), nil, nil, nil, p.caseList), right)
	split.Offset = 0.38
	return container.NewPadded(container.NewBorder(wrapped("Health records patients sent you. Choose a case and refer it to one of your doctors."), nil, nil, nil, split))
}

func (p caseForms) buildDoctor() fyne.CanvasObject {
	p.report = map[string]*widget.Entry{}
	form := widget.NewForm()
	for _, f := range reportFields {
		e := widget.NewMultiLineEntry()
		e.Wrapping = fyne.TextWrapWord
		e.SetMinRowsVisible(3)
		e.OnChanged = func(string) { p.recheck() }
		p.report[f] = e
		form.Append(f, e)
	}
	p.reportFiles = widgets.NewAttachPicker(p.win)
	form.Append("Attachments", p.reportFiles.Box)
	p.submitReport = widget.NewButtonWithIcon("Send report", theme.MailSendIcon(), p.sendReport)
	p.submitReport.Importance = widget.HighImportance
	p.reportForm = container.NewVBox(heading("Write report"), form, container.NewHBox(p.submitReport))
	right := container.NewVScroll(container.NewPadded(container.NewVBox(p.detail, p.done, p.reportForm, p.status, p.transfers)))
	split := container.NewHSplit(container.NewBorder(heading("Referred cases"), nil, nil, nil, p.caseList), right)
	split.Offset = 0.35
	return container.NewPadded(container.NewBorder(wrapped("Cases hospitals referred to you. Your signed report goes to the hospital and to the patient."), nil, nil, nil, split))
}

// Title is the tab's title for the role: Health record, Cases or Reports.
func (p *Pane) Title() string { return p.title }

// Content is the pane's root object.
func (p *Pane) Content() fyne.CanvasObject { return p.content }

// SelectFirstCase shows the first case, if there is one (for the demo's
// screenshots).
func (p *Pane) SelectFirstCase() {
	if len(p.cases) > 0 {
		p.caseList.Select(0)
	}
}
