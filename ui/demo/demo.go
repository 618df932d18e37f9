package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"qkdchat/node"
	"qkdchat/ui"
	"qkdchat/ui/exchanges"
	"qkdchat/ui/widgets"
)

// Options configure Start.
type Options struct {
	// Dir holds Alice's and Bob's data directories; empty makes a
	// temporary directory that Close removes.
	Dir    string
	Logger *slog.Logger // nil discards
	// Seed makes Eve's basis choices reproducible; nil uses crypto/rand.
	Seed *uint64
	// Noise is the initial channel error rate (default 1%).
	Noise float64
}

// Demo is `qkdchat demo`: two real nodes, Alice (a patient) and Bob (a
// hospital), paired over loopback through an in-process eavesdropper, in
// three windows. Alice dials, so she plays Alice in every BB84 exchange and
// her settings (the noise slider) govern it.
type Demo struct {
	th     *ui.Thread
	jobs   *ui.Jobs // the demo's own goroutines
	ctx    context.Context
	dir    string
	ownDir bool

	Alice, Bob           *node.Node
	Eve                  *node.Eve
	AliceShell, BobShell *ui.Shell
	AliceWin, BobWin     fyne.Window
	EveWin               fyne.Window

	intercept    *widget.Slider
	interceptLbl *widget.Label
	noise        *widget.Slider
	noiseLbl     *widget.Label
	rekey        *widget.Button
	working      *widget.ProgressBarInfinite
	qber         *canvas.Text
	verdict      *widget.Label // the last outcome in a sentence; wraps
	gauge        *widgets.QBERGauge
	expect       *widget.Label
	stats        *widget.Label
	history      *widgets.HistoryCharts
	legend       *widgets.Legend
	runs         []widgets.RunPoint
	lastAborted  bool
	// eveBase is Eve's counters when the last exchange ended: her
	// counters are shown per exchange, from this baseline.
	eveBase node.EveStats

	outcomes chan node.Event // Alice's key outcomes, for Screenshots
	bobAddr  string          // where Bob listens, and his join code,
	bobCode  string          // for his listening line in Screenshots

	// Gallery is the attack gallery, the second tab of Eve's window; it
	// runs its first setting when the tab is first opened.
	Gallery  *Gallery
	eveTabs  *container.AppTabs
	galleryN int // times the gallery tab was opened
}

// Start opens the nodes and the three windows and starts pairing. It
// does not show the windows (ShowAll does). Call Close when done.
func Start(ctx context.Context, a fyne.App, opts Options) (*Demo, error) {
	d := &Demo{th: &ui.Thread{}, dir: opts.Dir, outcomes: make(chan node.Event, 64)}
	if d.dir == "" {
		dir, err := os.MkdirTemp("", "qkdchat-demo-")
		if err != nil {
			return nil, fmt.Errorf("demo: temporary directory: %w", err)
		}
		d.dir, d.ownDir = dir, true
	}
	d.jobs = ui.NewJobs(ctx, d.th)
	d.ctx = d.jobs.Context()
	if opts.Noise == 0 {
		opts.Noise = 0.01
	}
	open := func(name string, role node.Role) (*node.Node, error) {
		dir := filepath.Join(d.dir, name)
		if err := node.EnsureDataDir(dir); err != nil {
			return nil, err
		}
		if err := node.SaveProfile(dir, node.Profile{Name: name, Role: role}); err != nil {
			return nil, err
		}
		return node.Open(node.Options{Dir: dir, Logger: opts.Logger, RekeyInterval: -1,
			BB84: node.BB84Settings{Noise: opts.Noise, Threshold: 0.11, TraceQubits: 32}})
	}
	var err error
	if d.Alice, err = open("Alice", node.RolePatient); err != nil {
		d.Close()
		return nil, fmt.Errorf("demo: open Alice: %w", err)
	}
	if d.Bob, err = open("Bob", node.RoleHospital); err != nil {
		d.Close()
		return nil, fmt.Errorf("demo: open Bob: %w", err)
	}
	addr, code, err := d.Bob.Listen(d.ctx, "127.0.0.1:0", "")
	if err != nil {
		d.Close()
		return nil, fmt.Errorf("demo: Bob listens: %w", err)
	}
	d.bobAddr, d.bobCode = addr.String(), code
	d.Eve, err = node.NewEve(node.EveOptions{Listen: "127.0.0.1:0", Forward: addr.String(), Seed: opts.Seed, Logger: opts.Logger})
	if err != nil {
		d.Close()
		return nil, fmt.Errorf("demo: start Eve: %w", err)
	}
	d.jobs.Go(func() { d.Eve.Serve(d.ctx) })

	// Build the windows under the UI lock: the shells' controllers start
	// at once and report through it.
	d.th.Run(func() {
		d.AliceWin = a.NewWindow("QKD Chat: Alice (patient)")
		d.AliceShell = ui.NewShell(a, d.AliceWin, d.Alice, ui.ShellOptions{Thread: d.th})
		d.AliceWin.SetContent(d.AliceShell.Content())
		d.AliceWin.Resize(fyne.NewSize(1000, 680))
		d.BobWin = a.NewWindow("QKD Chat: Bob (hospital)")
		d.BobShell = ui.NewShell(a, d.BobWin, d.Bob, ui.ShellOptions{Thread: d.th})
		d.BobWin.SetContent(d.BobShell.Content())
		d.BobWin.Resize(fyne.NewSize(1000, 680))
		d.EveWin = a.NewWindow("QKD Chat demo: Eve, the eavesdropper")
		gseed := rand.Uint64()
		if opts.Seed != nil {
			gseed = *opts.Seed
		}
		d.Gallery = NewGallery(d.jobs, gseed)
		d.eveTabs = container.NewAppTabs(
			container.NewTabItem("Live link", d.evePane()),
			container.NewTabItem("Attack gallery: lasers and PNS", d.Gallery.Content()))
		d.eveTabs.OnSelected = func(t *container.TabItem) {
			if t.Content == d.Gallery.Content() {
				if d.galleryN++; d.galleryN == 1 {
					d.Gallery.Start()
				}
			}
		}
		d.EveWin.SetContent(d.eveTabs)
		d.EveWin.Resize(ui.DefaultWindowSize)
		d.EveWin.SetMaster()

		aev, stop := d.Alice.Events()
		d.jobs.Go(func() { d.watchAlice(aev, stop) })
		d.jobs.Go(d.watchEve)
		d.jobs.Go(func() {
			_, err := d.Alice.Connect(d.ctx, d.Eve.Addr().String(), code)
			if err != nil {
				d.jobs.Do(func() { d.verdict.SetText("Pairing failed: " + node.UserError(err)) })
			}
		})
		d.AliceShell.ShowTab(ui.TabBB84)
		d.BobShell.ShowTab(ui.TabBB84)
	})
	return d, nil
}

// ShowGallery opens the attack gallery tab of Eve's window.
func (d *Demo) ShowGallery() { d.eveTabs.SelectIndex(1) }

// Windows returns Eve's, Alice's and Bob's windows.
func (d *Demo) Windows() []fyne.Window { return []fyne.Window{d.EveWin, d.AliceWin, d.BobWin} }

// ShowAll shows the three windows.
func (d *Demo) ShowAll() {
	for _, w := range []fyne.Window{d.AliceWin, d.BobWin, d.EveWin} {
		w.Show()
	}
}

// Close stops the demo, closes both nodes and removes a temporary
// directory. It must not be called on the UI goroutine while the app runs
// (it waits for the demo's goroutines, which report through fyne.Do); call
// it after the app has stopped.
func (d *Demo) Close() error {
	if d.jobs != nil {
		d.jobs.Stop()
	}
	if d.AliceShell != nil {
		d.AliceShell.Close()
	}
	if d.BobShell != nil {
		d.BobShell.Close()
	}
	var errs []error
	if d.Alice != nil {
		errs = append(errs, d.Alice.Close())
		d.Alice = nil
	}
	if d.Bob != nil {
		errs = append(errs, d.Bob.Close())
		d.Bob = nil
	}
	if d.ownDir {
		errs = append(errs, os.RemoveAll(d.dir))
	}
	return errors.Join(errs...)
}

// evePane is the audience's window: two sliders, a Re-key button, a big
// QBER with the threshold, the verdict and the history of exchanges.
func (d *Demo) evePane() fyne.CanvasObject {
	title := widget.NewLabelWithStyle("Eve listens on the quantum channel between Alice and Bob", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.SizeName = theme.SizeNameHeadingText
	title.Wrapping = fyne.TextWrapWord
	explain := widget.NewLabel("To read a photon, Eve must measure it. Half the time she guesses the wrong basis and " +
		"sends on a disturbed photon, so a quarter of the photons she touches arrive wrong. Alice and Bob compare a " +
		"sample: above the 11% threshold they refuse to make a key. The noise slider is the link's own noise: Alice and Bob " +
		"calibrate it when they set the link up and plan for it. Eve's slider is hidden from them.")
	explain.Wrapping = fyne.TextWrapWord

	d.interceptLbl = widget.NewLabelWithStyle("Eve intercepts: 0%", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	d.intercept = widget.NewSlider(0, 100)
	d.intercept.Step = 5
	d.intercept.OnChanged = func(v float64) {
		d.interceptLbl.SetText(fmt.Sprintf("Eve intercepts: %.0f%%", v))
		if err := d.Eve.SetIntercept(v / 100); err != nil {
			d.interceptLbl.SetText("Eve intercepts: " + err.Error())
		}
		d.updateExpectation()
	}
	d.noiseLbl = widget.NewLabelWithStyle("Channel noise: 1%", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	d.noise = widget.NewSlider(0, 20)
	d.noise.Step = 0.5
	d.noise.Value = d.Alice.BB84().Noise * 100
	d.noise.OnChanged = func(v float64) {
		d.noiseLbl.SetText(fmt.Sprintf("Channel noise: %s", widgets.FormatPercent(v/100)))
		b := d.Alice.BB84()
		b.Noise = v / 100
		if err := d.Alice.SetBB84(b); err != nil {
			d.noiseLbl.SetText("Channel noise: " + err.Error())
		}
		d.updateExpectation()
	}
	d.rekey = widget.NewButtonWithIcon("Re-key: run BB84 again", theme.ViewRefreshIcon(), d.Rekey)
	d.rekey.Importance = widget.HighImportance
	d.working = widget.NewProgressBarInfinite()
	d.working.Stop()
	d.working.Hide()

	d.qber = canvas.NewText("--", theme.Color(theme.ColorNameForeground))
	d.qber.TextSize = 72
	d.qber.TextStyle = fyne.TextStyle{Bold: true}
	qberCap := widget.NewLabel("error rate (QBER)\nof the last exchange")
	d.verdict = widget.NewLabelWithStyle("Connecting…", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	d.verdict.SizeName = theme.SizeNameSubHeadingText
	d.verdict.Wrapping = fyne.TextWrapWord
	d.gauge = widgets.NewQBERGauge()
	d.expect = widget.NewLabel("")
	d.stats = widget.NewLabel("Eve has not seen a photon yet.")
	d.stats.Wrapping = fyne.TextWrapWord
	d.history = widgets.NewHistoryCharts()
	d.history.SetRuns(nil, 0.11)
	d.updateExpectation()

	d.expect.Wrapping = fyne.TextWrapWord
	big := container.NewHBox(d.qber, container.NewCenter(qberCap))
	left := container.NewVBox(explain,
		d.interceptLbl, d.intercept, d.noiseLbl, d.noise, d.expect,
		container.NewHBox(d.rekey), d.working,
		big, d.verdict, d.gauge, d.stats)
	d.legend = widgets.NewLegend(widgets.HistoryLegend)
	cols := container.NewHSplit(container.NewVScroll(left), widgets.ChartsWithLegend(d.history, d.legend))
	cols.Offset = 0.56
	return container.NewPadded(container.NewBorder(title, nil, nil, nil, cols))
}

func (d *Demo) updateExpectation() {
	n := d.noise.Value / 100
	e := d.intercept.Value / 100
	// Eve's wrong-basis guesses flip half of the photons she resends in a
	// wrong basis: 1/4 of those she intercepts.
	q := n + 0.25*e - 2*n*0.25*e
	d.expect.SetText(fmt.Sprintf("Expected QBER about %s (noise %s + ¼ × %s intercepted). Threshold 11%%.\n%s",
		widgets.FormatPercent(q), widgets.FormatPercent(n), widgets.FormatPercent(e), d.planText()))
}

// planText says what Alice plans the next exchange for. The noise slider
// is the link's own noise, which Alice and Bob calibrate when they set the
// link up, so they may plan for it; Eve's slider is hidden from them, and
// she shows only in the QBER they measure, which later plans follow.
func (d *Demo) planText() string {
	var past []*node.KeyExchange
	if ss := d.Alice.Sessions(); len(ss) > 0 {
		past = ss[0].Exchanges()
	}
	b := d.Alice.BB84()
	p, err := node.PlanExchange(b, past)
	if err != nil {
		var pe *node.PlanError
		if errors.As(err, &pe) {
			return fmt.Sprintf("At %s no %d-bit key is possible, even without Eve: the link itself is too noisy.",
				widgets.FormatPercent(pe.Plan.DesignQBER), b.KeyBits)
		}
		return "Alice cannot plan the next exchange: " + node.UserError(err)
	}
	from := "the 2% they plan for by default"
	switch p.Source {
	case node.PlanCalibration:
		from = "the link's own noise, calibrated at setup"
	case node.PlanMeasured:
		from = fmt.Sprintf("the %s they measured in their last exchanges (Eve cannot hide from it)", widgets.FormatPercent(p.MeasuredQBER))
	case node.PlanProbe:
		from = "a fresh measurement, as at first: the last one was too noisy for a key"
	}
	return fmt.Sprintf("Alice plans the next exchange for a QBER of %s, from %s: %d photons. She cannot know about Eve.",
		widgets.FormatPercent(p.DesignQBER), from, p.Qubits)
}

// Rekey runs a new exchange between Alice and Bob in the background. It
// must be called on the UI goroutine (it is the Re-key button's action).
func (d *Demo) Rekey() {
	ss := d.Alice.Sessions()
	if len(ss) == 0 {
		d.verdict.SetText("Not connected yet.")
		return
	}
	s := ss[0]
	d.rekey.Disable()
	d.working.Show()
	d.working.Start()
	d.jobs.Go(func() {
		s.Rekey(d.ctx) // an abort is an error here, and shown from its event
		d.jobs.Do(func() {
			d.rekey.Enable()
			d.working.Stop()
			d.working.Hide()
		})
	})
}

// watchAlice shows each of Alice's key outcomes in Eve's window.
func (d *Demo) watchAlice(ev <-chan node.Event, stop func()) {
	defer stop()
	for {
		select {
		case <-d.ctx.Done():
			return
		case e, ok := <-ev:
			if !ok {
				return
			}
			if e.Type != node.EventKeyEstablished && e.Type != node.EventKeyAborted {
				continue
			}
			d.jobs.Do(func() { d.showOutcome(e) })
			select {
			case d.outcomes <- e:
			default:
			}
		}
	}
}

// showOutcome updates the big number, verdict and history.
func (d *Demo) showOutcome(e node.Event) {
	thr := d.Alice.BB84().Threshold
	aborted := e.Type == node.EventKeyAborted
	q := 0.0
	if e.QBER != nil {
		q = *e.QBER
	}
	reason := ""
	if aborted && !(q > thr) {
		reason = e.Reason
	}
	d.lastAborted = aborted
	d.qber.Text = widgets.FormatPercent(q)
	d.verdict.SetText(outcomeSentence(e, thr, reason))
	d.showOutcomeColours()
	d.showEveRun(d.Eve.Stats(), true)
	d.gauge.Set(q, thr, aborted)
	if e.Exchange != nil {
		d.runs = append(d.runs, exchanges.RunPoint(e.Exchange, thr))
	} else {
		d.runs = append(d.runs, widgets.RunPoint{QBER: q, Aborted: aborted, EveDetected: aborted && q > thr})
	}
	d.history.SetRuns(d.runs, thr)
	d.updateExpectation() // the next plan follows the QBER just measured
}

// showOutcomeColours paints the big texts green for a key and red for an
// abort, in the current theme.
func (d *Demo) showOutcomeColours() {
	col := theme.Color(theme.ColorNameSuccess)
	if d.lastAborted {
		col = theme.Color(theme.ColorNameError)
	}
	d.qber.Color = col
	d.qber.Refresh()
	d.verdict.Importance = widget.SuccessImportance
	if d.lastAborted {
		d.verdict.Importance = widget.DangerImportance
	}
	d.verdict.Refresh()
}

// outcomeSentence is the verdict of an exchange in a sentence a student
// understands: the engine's typed reason explained (node.ExplainExchange),
// or, for an outcome without its exchange, the short verdict.
func outcomeSentence(e node.Event, thr float64, reason string) string {
	if e.Exchange != nil {
		return node.ExplainExchange(e.Exchange, thr)
	}
	q := 0.0
	if e.QBER != nil {
		q = *e.QBER
	}
	if e.Type != node.EventKeyAborted {
		return fmt.Sprintf("A fresh %d-bit key was made.", e.KeyBits)
	}
	return widgets.Verdict(q, thr, true, reason)
}

// eveRun is Eve's counters for one exchange: cur less the counters when
// the previous exchange ended. ok is false for a snapshot older than base
// (delivered late), which belongs to the exchange already shown.
func eveRun(cur, base node.EveStats) (run node.EveStats, ok bool) {
	if cur.Photons < base.Photons || cur.Intercepted < base.Intercepted || cur.BasisMatched < base.BasisMatched {
		return node.EveStats{}, false
	}
	return node.EveStats{Photons: cur.Photons - base.Photons, Intercepted: cur.Intercepted - base.Intercepted,
		BasisMatched: cur.BasisMatched - base.BasisMatched}, true
}

// showEveRun shows Eve's counters for the running exchange, or, when
// ended, for the exchange that just ended, which then becomes the
// baseline of the next.
func (d *Demo) showEveRun(cur node.EveStats, ended bool) {
	run, ok := eveRun(cur, d.eveBase)
	if !ok || (!ended && run.Photons == 0 && cur.Photons > 0) {
		// Older than the last exchange's end, or nothing new since:
		// the last exchange's counters stay.
		return
	}
	when, seen := "In this exchange Eve has seen", "has"
	if ended {
		when, seen = "In the last exchange Eve saw", ""
		d.eveBase = cur
	}
	measured := "measured"
	if seen != "" {
		measured = "has measured"
	}
	switch {
	case run.Photons == 0:
		d.stats.SetText(when + " no photon.")
	case run.Intercepted == 0:
		d.stats.SetText(fmt.Sprintf("%s %d photons and let them all pass without measuring any.", when, run.Photons))
	default:
		d.stats.SetText(fmt.Sprintf("%s %d photons and %s %d of them; she guessed the right basis for %d, which she passed on unchanged.",
			when, run.Photons, measured, run.Intercepted, run.BasisMatched))
	}
}

// watchEve shows Eve's counters.
func (d *Demo) watchEve() {
	up := d.Eve.Updates()
	for {
		select {
		case <-d.ctx.Done():
			return
		case st, ok := <-up:
			if !ok {
				return
			}
			d.jobs.Do(func() { d.showEveRun(st, false) })
		}
	}
}
