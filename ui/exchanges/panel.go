package exchanges

import (
	"context"
	"fmt"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"qkdchat/node"
	"qkdchat/qkd"
	"qkdchat/ui/widgets"
)

// Panel shows the BB84 exchanges of the current peer: the first qubits of
// one exchange, its counts, QBER and verdict, a Bloch sphere of one qubit,
// and the history of all exchanges (the paper's Fig. 3-6).
type Panel struct {
	node      Sessions
	jobs      Jobs
	name      func(fp string) string
	status    func(string)
	threshold float64

	title    *widget.Label
	pick     *widget.Select
	rekey    *widget.Button
	phase    *widget.Label
	working  *widget.ProgressBarInfinite
	summary  *widget.Label // the outcome in a plain sentence (node.ExplainExchange)
	verdict  *widget.Label // the short verdict, with the numbers under Details
	details  *widget.Accordion
	gauge    *widgets.QBERGauge
	counts   map[string]*widget.Label
	source   *widget.Label // the light source and, for decoys, the bounds
	table    *widgets.QubitTable
	bloch    *widgets.BlochSphere
	blochCap *widget.Label // the sphere's caption, wrapped below it
	qubit    *widget.Slider
	qubitLbl *widget.Label
	history  *widgets.HistoryCharts
	side     *container.AppTabs // history, Bloch sphere
	content  fyne.CanvasObject

	peer     string
	xs       []*node.KeyExchange
	selected int // index into xs, -1 for none
}

// CountNames are the count rows of the panel, in display order.
var CountNames = []string{"Sent", "Detected", "Sifted", "Sample", "Errors", "QBER Z / X", "EC leaked", "Key"}

// Sessions is what the panel asks of the node: a peer's session, to
// re-key it.
type Sessions interface {
	Session(peer string) (*node.Session, bool)
}

// Jobs runs the re-key off the UI goroutine (Go) and reports back on it
// (Do), both ending with Context (the window's life). ui.Jobs is one.
type Jobs interface {
	Go(f func())
	Do(f func())
	Context() context.Context
}

// New makes the panel. name gives a peer's display name; status shows a
// line in the window's status bar.
func New(n Sessions, jobs Jobs, name func(fp string) string, status func(string)) *Panel {
	p := &Panel{node: n, jobs: jobs, name: name, status: status, selected: -1, counts: map[string]*widget.Label{}}
	p.title = widget.NewLabelWithStyle("BB84 key exchanges", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	p.pick = widget.NewSelect(nil, func(string) { p.selectExchange(p.pick.SelectedIndex()) })
	p.pick.PlaceHolder = "no exchange yet"
	p.rekey = widget.NewButtonWithIcon("Re-key now", theme.ViewRefreshIcon(), p.startRekey)
	p.phase = widget.NewLabel("")
	p.phase.Truncation = fyne.TextTruncateEllipsis
	p.working = widget.NewProgressBarInfinite()
	p.working.Stop()
	p.working.Hide()
	p.summary = widget.NewLabelWithStyle("No key exchange yet.", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	p.summary.SizeName = theme.SizeNameSubHeadingText
	p.summary.Wrapping = fyne.TextWrapWord
	p.verdict = widget.NewLabelWithStyle("No key exchange yet", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	p.verdict.Wrapping = fyne.TextWrapWord
	p.gauge = widgets.NewQBERGauge()
	// A label column and a value column that takes the rest, so that no
	// value is cut off in a narrow window.
	grid := container.New(layout.NewFormLayout())
	for _, n := range CountNames {
		v := widget.NewLabelWithStyle("-", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		v.Wrapping = fyne.TextWrapWord
		p.counts[n] = v
		grid.Add(widget.NewLabel(n + ":"))
		grid.Add(v)
	}
	p.source = widget.NewLabel("")
	p.source.Wrapping = fyne.TextWrapWord
	p.source.Hide()
	p.details = widget.NewAccordion(widget.NewAccordionItem("Details: the numbers of this exchange",
		container.NewVBox(p.verdict, grid)))
	p.table = widgets.NewQubitTable()
	p.bloch = widgets.NewBlochSphere()
	p.blochCap = widget.NewLabel("")
	p.blochCap.Wrapping = fyne.TextWrapWord
	p.blochCap.Alignment = fyne.TextAlignCenter
	p.qubitLbl = widget.NewLabel("Qubit")
	p.qubit = widget.NewSlider(1, 1)
	p.qubit.Step = 1
	p.qubit.OnChanged = func(v float64) { p.showQubit(int(v) - 1) }
	p.history = widgets.NewHistoryCharts()
	tableCaption := widget.NewLabelWithStyle("First qubits of this exchange (disclosed for display, never used in the key):", fyne.TextAlignLeading, fyne.TextStyle{Italic: true})
	tableCaption.Wrapping = fyne.TextWrapWord

	p.title.Truncation = fyne.TextTruncateEllipsis
	top := container.NewVBox(
		p.title,
		container.NewBorder(nil, nil, container.NewHBox(p.pick, p.rekey), nil, container.NewStack(p.working, p.phase)),
		p.summary, p.gauge, p.source, p.details,
		tableCaption,
	)
	left := container.NewBorder(top, nil, nil, nil, p.table)
	blochBox := container.NewBorder(container.NewBorder(nil, nil, p.qubitLbl, nil, p.qubit), p.blochCap, nil, nil, p.bloch)
	p.side = container.NewAppTabs(
		container.NewTabItem("History of exchanges", widgets.ChartsWithLegend(p.history, widgets.NewLegend(widgets.HistoryLegend))),
		container.NewTabItem("Bloch sphere", container.New(widgets.ShrinkLayout{Min: fyne.NewSize(200, 200)}, blochBox)),
	)
	// The left column scrolls down when the window is too short for it
	// (800x600); it is never wider than its half, so that the outcome
	// wraps in sight instead of running under the charts.
	split := container.NewHSplit(container.NewVScroll(left), p.side)
	split.Offset = 0.6
	p.content = container.NewPadded(split)
	return p
}

// SetThreshold sets the abort threshold the verdicts and charts use.
func (p *Panel) SetThreshold(t float64) {
	p.threshold = t
	p.history.SetRuns(p.history.Runs(), t)
}

// Show shows the exchanges with a peer. newest selects the last one;
// otherwise the selection is kept when it still exists.
func (p *Panel) Show(peer string, xs []*node.KeyExchange, newest bool) {
	samePeer := peer == p.peer
	p.peer = peer
	p.xs = xs
	p.title.SetText("BB84 key exchanges with " + p.name(peer))
	opts := make([]string, len(xs))
	for i, x := range xs {
		st := "key"
		if !x.OK {
			st = "aborted"
		}
		opts[i] = fmt.Sprintf("#%d: %s", i+1, st)
	}
	p.pick.Options = opts
	sel := p.selected
	if newest || !samePeer || sel >= len(xs) {
		sel = len(xs) - 1
	}
	if !newest {
		// Keep the progress line when only switching the view.
	} else {
		p.working.Stop()
		p.working.Hide()
		p.phase.SetText("")
	}
	runs := make([]widgets.RunPoint, 0, len(xs))
	for _, x := range xs {
		runs = append(runs, RunPoint(x, p.threshold))
	}
	p.history.SetRuns(runs, p.threshold)
	if sel >= 0 {
		p.pick.SetSelectedIndex(sel) // calls selectExchange
	} else {
		p.pick.ClearSelected()
		p.selectExchange(-1)
	}
	p.pick.Refresh()
}

// RunPoint turns an exchange into a point of the history charts.
func RunPoint(x *node.KeyExchange, threshold float64) widgets.RunPoint {
	r := x.Report
	if r == nil {
		return widgets.RunPoint{Aborted: !x.OK}
	}
	return widgets.RunPoint{Qubits: r.QubitsSent, Matches: r.Matches, QBER: r.QBEREstimate,
		Aborted: !x.OK, EveDetected: !x.OK && r.QBEREstimate > threshold}
}

// selectExchange shows exchange i of the current list.
func (p *Panel) selectExchange(i int) {
	p.selected = i
	if i < 0 || i >= len(p.xs) {
		p.summary.SetText("No key exchange yet.")
		p.summary.Importance = widget.MediumImportance
		p.summary.Refresh()
		p.verdict.SetText("No key exchange yet")
		p.verdict.Importance = widget.MediumImportance
		p.verdict.Refresh()
		p.gauge.Clear()
		for _, l := range p.counts {
			l.SetText("-")
		}
		p.table.SetRows(nil)
		p.setBloch(0, 0, 0, "")
		return
	}
	x := p.xs[i]
	r := x.Report
	if r == nil {
		r = &qkd.Report{Aborted: !x.OK, AbortReason: x.Reason}
	}
	reason := ""
	if !x.OK && !(r.QBEREstimate > p.threshold) {
		reason = x.Reason
	}
	p.verdict.SetText(widgets.Verdict(r.QBEREstimate, p.threshold, !x.OK, reason))
	p.summary.SetText(node.ExplainExchange(x, p.threshold))
	if x.OK {
		p.verdict.Importance = widget.SuccessImportance
	} else {
		p.verdict.Importance = widget.DangerImportance
	}
	p.summary.Importance = p.verdict.Importance
	p.verdict.Refresh()
	p.summary.Refresh()
	p.gauge.Set(r.QBEREstimate, p.threshold, !x.OK)
	vals := []string{
		strconv.Itoa(r.QubitsSent), strconv.Itoa(r.QubitsDetected), strconv.Itoa(r.Sifted),
		strconv.Itoa(r.SampleSize), strconv.Itoa(r.SampleErrors),
		fmt.Sprintf("%.2f%% / %.2f%%", 100*r.QBERZ, 100*r.QBERX), fmt.Sprintf("%d bits", r.LeakedEC),
		fmt.Sprintf("%d bits", x.KeyBits),
	}
	if !x.OK {
		vals[len(vals)-1] = "none (aborted)"
	}
	for j, n := range CountNames {
		p.counts[n].SetText(vals[j])
	}
	// The source line shows only for an exchange on the pulse model (a
	// laser link chosen in Settings, or the demo's gallery).
	if r.Report != nil {
		p.source.SetText(SourceText(r))
		p.source.Show()
	} else {
		p.source.Hide()
	}
	rows := traceRows(r.Trace)
	p.table.SetRows(rows)
	if len(rows) > 0 {
		p.qubit.Max = float64(len(rows))
		p.qubit.Value = 1
		p.qubit.Refresh()
		p.showQubit(0)
	} else {
		p.setBloch(0, 0, 0, "no qubits disclosed")
	}
}

// traceRows converts the disclosed qubits of a report for the table.
func traceRows(tr []qkd.TracedQubit) []widgets.QubitRow {
	rows := make([]widgets.QubitRow, len(tr))
	for i, q := range tr {
		rows[i] = widgets.QubitRow{
			Index: q.Index, AliceBit: int(q.AliceBit), AliceBasis: basisOf(q.AliceBasis),
			BobBasis: basisOf(q.BobBasis), BobResult: int(q.BobBit), Detected: q.Detected,
			Sampled: q.Kept, Error: q.Error,
		}
	}
	return rows
}

func basisOf(b qkd.Basis) widgets.Basis {
	if b == qkd.Z {
		return widgets.BasisZ
	}
	return widgets.BasisX
}

// showQubit draws qubit i of the selected exchange on the Bloch sphere:
// the state Alice sent, and what Bob measured.
func (p *Panel) showQubit(i int) {
	rows := p.table.Rows()
	if i < 0 || i >= len(rows) {
		return
	}
	q := rows[i]
	x, y, z := widgets.BB84Vector(q.AliceBit, q.AliceBasis == widgets.BasisX)
	cap := fmt.Sprintf("Qubit %d: Alice sent %s (bit %d, basis %s)", q.Index+1, ketOf(q.AliceBit, q.AliceBasis), q.AliceBit, q.AliceBasis)
	switch {
	case !q.Detected:
		cap += "; lost before Bob's detector"
	case q.Match():
		cap += fmt.Sprintf("; Bob measured %s and got %d", q.BobBasis, q.BobResult)
	default:
		cap += fmt.Sprintf("; Bob measured %s (wrong basis, random %d)", q.BobBasis, q.BobResult)
	}
	p.qubitLbl.SetText(fmt.Sprintf("Qubit %d of %d", i+1, len(rows)))
	p.setBloch(x, y, z, cap)
}

// setBloch draws a state on the sphere, with its caption in a label
// that wraps in a narrow window.
func (p *Panel) setBloch(x, y, z float64, caption string) {
	p.bloch.SetVector(x, y, z, "")
	p.blochCap.SetText(caption)
}

func ketOf(bit int, b widgets.Basis) string {
	switch {
	case b == widgets.BasisZ && bit == 0:
		return widgets.LabelKet0
	case b == widgets.BasisZ:
		return widgets.LabelKet1
	case bit == 0:
		return widgets.LabelKetPlus
	}
	return widgets.LabelKetMinus
}

// ShowProgress shows a running exchange's phase and counts (an
// node.EventKeyProgress).
func (p *Panel) ShowProgress(e node.Event) {
	p.working.Show()
	p.working.Start()
	txt := "Exchange running: " + e.Phase
	if e.Sent > 0 {
		txt += fmt.Sprintf(" · sent %d", e.Sent)
	}
	if e.Detected > 0 {
		txt += fmt.Sprintf(" · detected %d", e.Detected)
	}
	if e.Sifted > 0 {
		txt += fmt.Sprintf(" · sifted %d", e.Sifted)
	}
	if e.QBER != nil {
		txt += " · QBER " + widgets.FormatPercent(*e.QBER)
	}
	p.phase.SetText(txt)
}

// startRekey runs a new exchange with the current peer in the background.
func (p *Panel) startRekey() {
	ss, ok := p.node.Session(p.peer)
	if !ok {
		p.status("Not connected to " + p.name(p.peer) + ": nothing to re-key.")
		return
	}
	p.rekey.Disable()
	p.working.Show()
	p.working.Start()
	p.phase.SetText("Starting a new exchange…")
	p.jobs.Go(func() {
		err := ss.Rekey(p.jobs.Context())
		p.jobs.Do(func() {
			p.rekey.Enable()
			p.working.Stop()
			p.working.Hide()
			p.phase.SetText("")
			if err != nil {
				p.status("Re-key: " + node.UserError(err))
			}
		})
	})
}

// Content is the panel's root object.
func (p *Panel) Content() fyne.CanvasObject { return p.content }

// SelectExchange shows exchange i (from 0) of the peer shown.
func (p *Panel) SelectExchange(i int) { p.pick.SetSelectedIndex(i) }

// ShowBloch shows qubit q (from 1) of the selected exchange on the Bloch
// sphere, beside the panel.
func (p *Panel) ShowBloch(q int) {
	p.side.SelectIndex(1)
	p.qubit.SetValue(float64(q))
}

// ShowHistory shows the history charts beside the panel.
func (p *Panel) ShowHistory() { p.side.SelectIndex(0) }

// Shown is what the panel shows, in words, for tests and the demo.
type Shown struct {
	Summary      string // the outcome in a plain sentence
	DetailsOpen  bool   // the numbers are shown
	Verdict      string
	Counts       map[string]string // by CountNames
	Gauge        string
	Qubits       int // rows of the qubit table
	FirstQubit   string
	BlochCaption string
	Runs         []widgets.RunPoint // the history charts' points
	Exchanges    []string           // the exchange picker's choices
	Source       string             // the source line; "" when hidden (single photons)
}

// Shown reads what the panel shows.
func (p *Panel) Shown() Shown {
	s := Shown{Summary: p.summary.Text, DetailsOpen: p.details.Items[0].Open, Verdict: p.verdict.Text, Counts: map[string]string{}, Gauge: p.gauge.Text(),
		Qubits: len(p.table.Rows()), FirstQubit: p.table.CellText(0, widgets.ColIndex),
		BlochCaption: p.blochCap.Text, Runs: p.history.Runs(), Exchanges: append([]string(nil), p.pick.Options...)}
	for n, l := range p.counts {
		s.Counts[n] = l.Text
	}
	if p.source.Visible() {
		s.Source = p.source.Text
	}
	return s
}
