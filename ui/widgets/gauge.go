package widgets

import (
	"image/color"
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// GaugeMax is the QBER at the right end of a QBERGauge: 50%, the error rate
// of bits that carry no information at all. Larger values fill the bar and
// are still printed exactly in the label.
const GaugeMax = 0.5

const (
	gaugeBarHeight  = 14
	gaugeTickExtent = 5 // how far the threshold line sticks out of the bar
	gaugeMinWidth   = 240
)

// QBERGauge is a horizontal bar from 0 to GaugeMax showing a measured
// quantum bit error rate as a filled bar, the abort threshold as a vertical
// line, and a label such as "QBER 24.8% (threshold 11%)". The bar and label
// are green when the exchange produced a key and red when it aborted.
//
// Use it from the Fyne UI goroutine only; see the package documentation.
type QBERGauge struct {
	widget.BaseWidget

	qber, threshold float64
	aborted         bool
	measured        bool
}

// NewQBERGauge returns a gauge that shows "QBER not measured yet" until Set
// is called.
func NewQBERGauge() *QBERGauge {
	g := &QBERGauge{}
	g.ExtendBaseWidget(g)
	return g
}

// Set shows a measurement: qber and threshold are fractions (0.248 for
// 24.8%), aborted is the engine's verdict and picks the colour. NaN and
// negative values are drawn as 0; the label still prints them.
func (g *QBERGauge) Set(qber, threshold float64, aborted bool) {
	g.qber, g.threshold, g.aborted, g.measured = qber, threshold, aborted, true
	g.Refresh()
}

// Clear returns the gauge to its "not measured yet" state.
func (g *QBERGauge) Clear() {
	g.qber, g.threshold, g.aborted, g.measured = 0, 0, false, false
	g.Refresh()
}

// Text returns the gauge's label, e.g. "QBER 24.8% (threshold 11%)".
func (g *QBERGauge) Text() string {
	if !g.measured {
		return "QBER not measured yet"
	}
	return "QBER " + FormatPercent(g.qber) + " (threshold " + FormatPercent(g.threshold) + ")"
}

// CreateRenderer is a private method to Fyne which links this widget to its
// renderer.
func (g *QBERGauge) CreateRenderer() fyne.WidgetRenderer {
	g.ExtendBaseWidget(g)
	r := &gaugeRenderer{
		g:         g,
		label:     canvas.NewText("", color.Black),
		track:     canvas.NewRectangle(color.Transparent),
		fill:      canvas.NewRectangle(color.Transparent),
		threshold: canvas.NewLine(color.Black),
		thrText:   canvas.NewText("", color.Black),
		zeroText:  canvas.NewText("0%", color.Black),
		maxText:   canvas.NewText(FormatPercent(GaugeMax), color.Black),
	}
	r.label.TextStyle.Bold = true
	r.thrText.Alignment = fyne.TextAlignCenter
	r.maxText.Alignment = fyne.TextAlignTrailing
	r.objects = []fyne.CanvasObject{r.track, r.fill, r.threshold, r.label, r.zeroText, r.thrText, r.maxText}
	r.update()
	return r
}

type gaugeRenderer struct {
	g         *QBERGauge
	label     *canvas.Text
	track     *canvas.Rectangle
	fill      *canvas.Rectangle
	threshold *canvas.Line
	thrText   *canvas.Text
	zeroText  *canvas.Text
	maxText   *canvas.Text
	objects   []fyne.CanvasObject
}

// gaugeFraction maps a QBER to the filled fraction of the bar, 0..1.
func gaugeFraction(q float64) float32 {
	if math.IsNaN(q) || q <= 0 {
		return 0
	}
	if q >= GaugeMax {
		return 1
	}
	return float32(q / GaugeMax)
}

func (r *gaugeRenderer) update() {
	th := r.g.Theme()
	fg := themeColor(th, theme.ColorNameForeground)
	verdict := themeColor(th, theme.ColorNameSuccess)
	if r.g.aborted {
		verdict = themeColor(th, theme.ColorNameError)
	}
	textSize := th.Size(theme.SizeNameText)
	small := th.Size(theme.SizeNameCaptionText)

	r.label.Text = r.g.Text()
	r.label.TextSize = textSize
	r.label.Color = fg
	if r.g.measured {
		r.label.Color = verdict
	}
	r.track.FillColor = themeColor(th, theme.ColorNameInputBackground)
	r.track.StrokeColor = themeColor(th, theme.ColorNameInputBorder)
	r.track.StrokeWidth = 1
	r.track.CornerRadius = th.Size(theme.SizeNameInputRadius)
	r.fill.FillColor = verdict
	r.fill.CornerRadius = r.track.CornerRadius
	r.fill.Hidden = !r.g.measured || gaugeFraction(r.g.qber) == 0
	r.threshold.StrokeColor = fg
	r.threshold.StrokeWidth = 2
	r.threshold.Hidden = !r.g.measured
	r.thrText.Text = FormatPercent(r.g.threshold)
	r.thrText.Hidden = !r.g.measured
	for _, t := range []*canvas.Text{r.thrText, r.zeroText, r.maxText} {
		t.Color = fg
		t.TextSize = small
	}
}

func (r *gaugeRenderer) Layout(size fyne.Size) {
	th := r.g.Theme()
	pad := th.Size(theme.SizeNamePadding)
	lh := fyne.MeasureText("Q", r.label.TextSize, r.label.TextStyle).Height
	sh := fyne.MeasureText("0", r.zeroText.TextSize, r.zeroText.TextStyle).Height

	r.label.Move(fyne.NewPos(0, 0))
	r.label.Resize(fyne.NewSize(size.Width, lh))

	barY := lh + pad + gaugeTickExtent
	r.track.Move(fyne.NewPos(0, barY))
	r.track.Resize(fyne.NewSize(size.Width, gaugeBarHeight))
	r.fill.Move(fyne.NewPos(0, barY))
	r.fill.Resize(fyne.NewSize(size.Width*gaugeFraction(r.g.qber), gaugeBarHeight))

	tx := size.Width * gaugeFraction(r.g.threshold)
	r.threshold.Position1 = fyne.NewPos(tx, barY-gaugeTickExtent)
	r.threshold.Position2 = fyne.NewPos(tx, barY+gaugeBarHeight+gaugeTickExtent)

	textY := barY + gaugeBarHeight + gaugeTickExtent
	r.zeroText.Move(fyne.NewPos(0, textY))
	r.zeroText.Resize(fyne.NewSize(size.Width, sh))
	r.maxText.Move(fyne.NewPos(0, textY))
	r.maxText.Resize(fyne.NewSize(size.Width, sh))
	tw := fyne.MeasureText(r.thrText.Text, r.thrText.TextSize, r.thrText.TextStyle).Width
	r.thrText.Move(fyne.NewPos(tx-tw/2-pad, textY))
	r.thrText.Resize(fyne.NewSize(tw+2*pad, sh))
	// Hide the threshold's number where it would overprint the scale ends.
	zw := fyne.MeasureText(r.zeroText.Text, r.zeroText.TextSize, r.zeroText.TextStyle).Width
	mw := fyne.MeasureText(r.maxText.Text, r.maxText.TextSize, r.maxText.TextStyle).Width
	r.thrText.Hidden = !r.g.measured || tx-tw/2 < zw+pad || tx+tw/2 > size.Width-mw-pad
}

func (r *gaugeRenderer) MinSize() fyne.Size {
	th := r.g.Theme()
	pad := th.Size(theme.SizeNamePadding)
	ls := fyne.MeasureText(r.g.Text(), r.label.TextSize, r.label.TextStyle)
	sh := fyne.MeasureText("0", r.zeroText.TextSize, r.zeroText.TextStyle).Height
	w := float32(math.Max(float64(ls.Width), gaugeMinWidth))
	return fyne.NewSize(w, ls.Height+pad+2*gaugeTickExtent+gaugeBarHeight+sh)
}

func (r *gaugeRenderer) Refresh() {
	r.update()
	r.Layout(r.g.Size())
	for _, o := range r.objects {
		o.Refresh()
	}
}

func (r *gaugeRenderer) Objects() []fyne.CanvasObject { return r.objects }

func (r *gaugeRenderer) Destroy() {}
