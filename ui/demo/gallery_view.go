package demo

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"qkdchat/qkd"
	"qkdchat/qkd/keyrate"
	"qkdchat/ui"
)

// Gallery is the attack gallery of the demo: a student picks an attack, a
// source, decoys and a fibre length; each change runs one simulated
// exchange (about a second) and shows, in words, whether Alice and Bob
// made a key and how much of it Eve knows, with the key-rate curve of the
// setting and the run on it.
type Gallery struct {
	jobs *ui.Jobs

	attack   *widget.Select
	source   *widget.RadioGroup
	decoys   *widget.Check
	unsafe   *widget.Check
	km       *widget.Slider
	kmLbl    *widget.Label
	bar      *widget.ProgressBar // the current run's progress (setProgress)
	headline *widget.Label
	detail   *widget.Label
	curve    *canvas.Image
	content  fyne.CanvasObject

	seed    uint64
	running bool
	pending bool
	batch   bool // Preset is setting several controls
	last    *GalleryOutcome
	curves  map[keyrate.Setting]plotter.XYs
	// runID numbers the runs, so that only the current one moves the bar;
	// barDelay (galleryProgressDelay; tests change it) is how long a run
	// goes before the bar shows.
	runID    uint64
	barDelay time.Duration
	// OnOutcome, when set, is called on the UI goroutine with each run's
	// outcome (tests, screenshots).
	OnOutcome func(GalleryOutcome)
}

// Source choices of the gallery.
const (
	sourceSingle = "single photons"
	sourceLaser  = "weak laser"
)

// NewGallery builds the gallery; runs go through jobs, seeded from seed.
func NewGallery(jobs *ui.Jobs, seed uint64) *Gallery {
	g := &Gallery{jobs: jobs, seed: seed, barDelay: galleryProgressDelay, curves: map[keyrate.Setting]plotter.XYs{}}
	title := widget.NewLabelWithStyle("Attack gallery: real BB84 systems use laser pulses", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.Wrapping = fyne.TextWrapWord
	explain := widget.NewLabel("A weak laser sometimes sends two photons in one pulse. Eve can split one off (photon-number " +
		"splitting, PNS) and read it after the bases are announced, without causing a single error. Decoy pulses of other " +
		"brightness expose her. Each change runs one exchange of 2 million pulses.")
	explain.Wrapping = fyne.TextWrapWord

	g.attack = widget.NewSelect(GalleryAttacks, func(string) { g.changed() })
	g.source = widget.NewRadioGroup([]string{sourceSingle, sourceLaser}, func(string) { g.changed() })
	g.source.Horizontal = true
	g.decoys = widget.NewCheck("decoy pulses (vacuum + weak)", func(bool) { g.changed() })
	g.unsafe = widget.NewCheck("UNSAFE: assume every detection is a single photon", func(bool) { g.changed() })
	g.kmLbl = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	g.km = widget.NewSlider(0, GalleryMaxKm)
	g.km.Step = 5
	g.km.OnChangeEnded = func(float64) { g.changed() }
	g.km.OnChanged = func(v float64) { g.kmLbl.SetText(fmt.Sprintf("Fibre: %.0f km", v)) }
	pnsNoDecoy := widget.NewButton("PNS against a laser without decoys", func() { g.Preset(AttackPNS, true, false, true, 50) })
	pnsDecoy := widget.NewButton("PNS against a laser with decoys", func() { g.Preset(AttackPNS, true, true, false, 50) })
	g.bar = widget.NewProgressBar()
	g.bar.Hide()
	g.headline = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	g.headline.Wrapping = fyne.TextWrapWord
	g.headline.SizeName = theme.SizeNameSubHeadingText
	g.detail = widget.NewLabel("")
	g.detail.Wrapping = fyne.TextWrapWord
	g.curve = canvas.NewImageFromImage(image.NewRGBA(image.Rect(0, 0, 1, 1)))
	g.curve.FillMode = canvas.ImageFillContain
	g.curve.SetMinSize(fyne.NewSize(300, 160))

	form := widget.NewForm(
		widget.NewFormItem("Attack", g.attack),
		widget.NewFormItem("Source", g.source),
		widget.NewFormItem("", g.decoys),
		widget.NewFormItem("", g.unsafe),
	)
	left := container.NewVBox(title, explain, widget.NewLabel("Try:"), container.NewGridWithColumns(1, pnsNoDecoy, pnsDecoy),
		form, g.kmLbl, g.km)
	right := container.NewBorder(container.NewVBox(g.bar, g.headline, g.detail), nil, nil, nil, g.curve)
	// The defaults, before content is set: no run starts yet (Start).
	g.attack.SetSelectedIndex(int(AttackNone))
	g.source.SetSelected(sourceLaser)
	g.decoys.SetChecked(true)
	g.km.SetValue(25)
	g.kmLbl.SetText("Fibre: 25 km")
	g.controls()
	g.content = container.NewPadded(container.New(galleryLayout{}, container.NewVScroll(left), right))
	g.redraw()
	return g
}

// Content is the gallery's pane.
func (g *Gallery) Content() fyne.CanvasObject { return g.content }

// Settings are the controls' current values.
func (g *Gallery) Settings() GallerySettings {
	return GallerySettings{Attack: GalleryAttack(max(0, g.attack.SelectedIndex())), Laser: g.source.Selected == sourceLaser,
		Decoys: g.decoys.Checked, Unsafe: g.unsafe.Checked, FiberKm: g.km.Value}
}

// Preset sets every control at once and runs the setting.
func (g *Gallery) Preset(a GalleryAttack, laser, decoys, unsafe bool, km float64) {
	src := sourceSingle
	if laser {
		src = sourceLaser
	}
	g.batch = true // one run for the whole change
	g.attack.SetSelectedIndex(int(a))
	g.source.SetSelected(src)
	g.decoys.SetChecked(decoys)
	g.unsafe.SetChecked(unsafe)
	g.km.SetValue(km)
	g.kmLbl.SetText(fmt.Sprintf("Fibre: %.0f km", km))
	g.batch = false
	g.changed()
}

// controls enables the choices that apply to the source.
func (g *Gallery) controls() {
	s := g.Settings()
	if s.Laser {
		g.decoys.Enable()
	} else {
		g.decoys.Disable()
	}
	if s.Laser && !s.Decoys {
		g.unsafe.Enable()
	} else {
		g.unsafe.Disable()
	}
}

// changed runs the current setting, or queues it behind a running one.
func (g *Gallery) changed() {
	if g.content == nil || g.batch {
		return // still building, or in a Preset
	}
	g.controls()
	g.redraw()
	if g.running {
		g.pending = true
		return
	}
	g.start()
}

// Start runs the current setting (the demo calls it when the pane opens).
func (g *Gallery) Start() { g.changed() }

func (g *Gallery) start() {
	s := g.Settings()
	g.running, g.pending = true, false
	g.runID++
	id := g.runID
	g.bar.SetValue(0)
	g.bar.Hide() // until the run has taken barDelay
	thr := newProgressThrottle(galleryPulses, g.barDelay, galleryProgressEvery, time.Now)
	g.headline.SetText("Running: " + g.describe(s) + "…")
	g.detail.SetText("")
	g.seed++
	seed := g.seed
	_, haveCurve := g.curves[s.Setting()]
	g.jobs.Go(func() {
		var xys plotter.XYs
		if !haveCurve {
			xys = galleryCurve(s.Setting())
		}
		o, err := runGallery(g.jobs.Context(), s, seed, func(p qkd.Progress) {
			if v, ok := thr.update(p); ok {
				g.jobs.Do(func() { g.setProgress(id, v) })
			}
		})
		g.jobs.Do(func() {
			if xys != nil {
				g.curves[s.Setting()] = xys
			}
			g.running = false
			g.bar.SetValue(1)
			g.bar.Hide()
			if err != nil {
				g.headline.SetText("The run failed")
				g.detail.SetText(err.Error())
			} else {
				g.last = &o
				g.headline.SetText(o.Headline)
				g.detail.SetText(o.Detail)
				if g.OnOutcome != nil {
					g.OnOutcome(o)
				}
			}
			if g.pending {
				g.start()
				return
			}
			g.redraw()
		})
	})
}

// setProgress shows run id at v, unless a newer run has started or the
// run has ended.
func (g *Gallery) setProgress(id uint64, v float64) {
	if id != g.runID || !g.running {
		return
	}
	g.bar.SetValue(v)
	g.bar.Show()
}

func (g *Gallery) describe(s GallerySettings) string {
	src := "single photons"
	if s.Laser {
		src = "laser without decoys"
		if s.Decoys {
			src = "laser with decoys"
		} else if s.Unsafe {
			src += " (UNSAFE assumption)"
		}
	}
	return fmt.Sprintf("%s, attack %s, %.0f km", src, s.Attack, s.FiberKm)
}

// galleryCurve is the asymptotic key rate of setting against distance.
func galleryCurve(s keyrate.Setting) plotter.XYs {
	m := GalleryModel()
	var xys plotter.XYs
	for km := 0.0; km <= GalleryMaxKm; km += 2 {
		if r := m.Best(s, km).Rate; r > 0 {
			xys = append(xys, plotter.XY{X: km, Y: r})
		}
	}
	return xys
}

// redraw draws the curve of the current setting with the operating point
// and, when it matches, the last run's measured rate.
func (g *Gallery) redraw() {
	s := g.Settings()
	var meas *GalleryOutcome
	if g.last != nil && g.last.Settings == s {
		meas = g.last
	}
	img, err := galleryPlot(s, g.curves[s.Setting()], meas, theme.Color(theme.ColorNameForeground), theme.Color(theme.ColorNameBackground))
	if err != nil {
		g.detail.SetText(err.Error())
		return
	}
	g.curve.Image = img
	g.curve.Refresh()
}

// galleryPlot renders the curve (fg on bg), the model's rate at the
// setting's distance and the run's measured rate.
func galleryPlot(s GallerySettings, curve plotter.XYs, meas *GalleryOutcome, fg, bg color.Color) (image.Image, error) {
	p := plot.New()
	p.BackgroundColor = bg
	for _, t := range []*plot.Axis{&p.X, &p.Y} {
		t.Color, t.Label.TextStyle.Color, t.Tick.Color, t.Tick.Label.Color = fg, fg, fg, fg
		t.Label.TextStyle.Font.Size = font.Length(13)
		t.Tick.Label.Font.Size = font.Length(11)
	}
	p.Title.Text = "Secret key rate: " + s.Setting().String()
	p.Title.TextStyle.Color = fg
	p.Title.TextStyle.Font.Size = font.Length(14)
	p.X.Label.Text = "fibre length (km)"
	p.Y.Label.Text = "key bits per pulse"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = decades{}
	p.X.Min, p.X.Max = 0, GalleryMaxKm
	p.Y.Min, p.Y.Max = 1e-7, 1
	p.Legend.Left = true // the curve falls to the right: the bottom left is free
	p.Legend.XOffs, p.Legend.YOffs = vg.Points(12), vg.Points(8)
	p.Legend.TextStyle.Color = fg
	p.Legend.TextStyle.Font.Size = font.Length(11)
	if len(curve) > 1 {
		l, err := plotter.NewLine(curve)
		if err != nil {
			return nil, err
		}
		l.Color = color.RGBA{0x2b, 0x8c, 0xd8, 0xff}
		l.Width = vg.Points(2)
		p.Add(l)
		p.Legend.Add("theory (no Eve)", l)
	}
	if r := GalleryModel().Best(s.Setting(), s.FiberKm).Rate; r > 0 && len(curve) > 1 {
		op, err := plotter.NewScatter(plotter.XYs{{X: s.FiberKm, Y: r}})
		if err != nil {
			return nil, err
		}
		op.GlyphStyle = draw.GlyphStyle{Shape: draw.RingGlyph{}, Radius: vg.Points(7), Color: fg}
		p.Add(op)
		p.Legend.Add(fmt.Sprintf("this link, %.0f km", s.FiberKm), op)
	}
	if meas != nil && meas.Measured > 0 {
		m, err := plotter.NewScatter(plotter.XYs{{X: s.FiberKm, Y: math.Max(meas.Measured, 1e-7)}})
		if err != nil {
			return nil, err
		}
		c := color.RGBA{0x2e, 0x9d, 0x4f, 0xff}
		label := "this run's key"
		if meas.EveKnows > meas.KeyBits/2 {
			c, label = color.RGBA{0xd6, 0x33, 0x33, 0xff}, "this run's key (Eve knows it)"
		}
		m.GlyphStyle = draw.GlyphStyle{Shape: draw.CircleGlyph{}, Radius: vg.Points(5), Color: c}
		p.Add(m)
		p.Legend.Add(label, m)
	}
	c := vgimg.NewWith(vgimg.UseWH(vg.Points(500), vg.Points(330)), vgimg.UseBackgroundColor(bg))
	p.Draw(draw.Crop(draw.New(c), 0, -vg.Points(12), 0, 0)) // room for the last x label
	return c.Image(), nil
}

// decades labels each decade of a log axis as 1e-05.
type decades struct{}

func (decades) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.LogTicks{Prec: -1}.Ticks(lo, hi)
	for i, t := range ticks {
		if t.Label != "" {
			ticks[i].Label = fmt.Sprintf("%.0e", t.Value)
		}
	}
	return ticks
}

// galleryWide is the width from which the gallery puts its chart beside
// the controls rather than under them.
const galleryWide = 1000

// galleryLayout lays out the controls and the chart: side by side on a
// wide window, the chart under the controls on a narrow one.
type galleryLayout struct{}

func (galleryLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	left, right := objs[0], objs[1]
	if size.Width >= galleryWide {
		w := size.Width * 0.5
		left.Move(fyne.NewPos(0, 0))
		left.Resize(fyne.NewSize(w-theme.Padding(), size.Height))
		right.Move(fyne.NewPos(w, 0))
		right.Resize(fyne.NewSize(size.Width-w, size.Height))
		return
	}
	h := float32(math.Max(float64(size.Height*0.42), float64(size.Height-right.MinSize().Height)))
	left.Move(fyne.NewPos(0, 0))
	left.Resize(fyne.NewSize(size.Width, h))
	right.Move(fyne.NewPos(0, h))
	right.Resize(fyne.NewSize(size.Width, size.Height-h))
}

func (galleryLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	l, r := objs[0].MinSize(), objs[1].MinSize()
	return fyne.NewSize(max(l.Width, r.Width), l.Height+r.Height)
}
