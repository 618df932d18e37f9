package widgets

import (
	"image/color"
	"math"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// chartKind says how a chart draws its values.
type chartKind int

const (
	chartBars    chartKind = iota // a bar per value, from 0 up to the value
	chartMarkers                  // a dot per value at a fixed level: 1 "yes", 0 "no"
)

const (
	chartMinWidth     = 260
	chartMinPlot      = 60 // minimum height of the plotting area
	chartMaxBarWidth  = 36
	chartBarFraction  = 0.7 // share of a run's slot its bar fills
	chartMaxMarkerRad = 6
)

// tick is a labelled value on a chart's y axis.
type tick struct {
	value float64
	label string
}

// chartData is everything a chart draws, computed by HistoryCharts.
type chartData struct {
	values   []float64             // one per run, in y-axis units
	colors   []fyne.ThemeColorName // one per run
	firstRun int                   // run number of values[0], 1-based
	yMax     float64               // value at the top of the plot (> 0)
	ticks    []tick                // y-axis labels
	refValue float64               // value of the reference line, if hasRef
	refLabel string                // its label
	hasRef   bool                  // draw a horizontal reference line
	refColor fyne.ThemeColorName   // its colour
	empty    string                // text shown when there are no values
	xNote    string                // appended to the x-axis label
}

// chart is one small plot of HistoryCharts: a title, a y-axis label, y ticks
// with grid lines, run numbers along the x axis, and bars or markers.
type chart struct {
	widget.BaseWidget

	title, yLabel, xLabel string
	kind                  chartKind
	data                  chartData
}

func newChart(title, yLabel, xLabel string, kind chartKind) *chart {
	c := &chart{title: title, yLabel: yLabel, xLabel: xLabel, kind: kind}
	c.ExtendBaseWidget(c)
	return c
}

func (c *chart) setData(d chartData) {
	c.data = d
	c.Refresh()
}

// CreateRenderer is a private method to Fyne which links this widget to its
// renderer.
func (c *chart) CreateRenderer() fyne.WidgetRenderer {
	c.ExtendBaseWidget(c)
	r := &chartRenderer{
		c:        c,
		title:    canvas.NewText(c.title, color.Black),
		yLabel:   canvas.NewText(c.yLabel, color.Black),
		xLabel:   canvas.NewText(c.xLabel, color.Black),
		xAxis:    canvas.NewLine(color.Black),
		yAxis:    canvas.NewLine(color.Black),
		refLine:  canvas.NewLine(color.Black),
		refLabel: canvas.NewText("", color.Black),
		empty:    canvas.NewText("", color.Black),
	}
	r.title.TextStyle.Bold = true
	r.xLabel.Alignment = fyne.TextAlignCenter
	r.refLabel.Alignment = fyne.TextAlignTrailing
	r.empty.Alignment = fyne.TextAlignCenter
	r.rebuild()
	return r
}

type chartRenderer struct {
	c *chart

	title, yLabel, xLabel *canvas.Text
	xAxis, yAxis          *canvas.Line
	grid                  []*canvas.Line
	yTicks                []*canvas.Text
	xTicks                []*canvas.Text
	bars                  []*canvas.Rectangle // kind == chartBars
	markers               []*canvas.Circle    // kind == chartMarkers
	refLine               *canvas.Line
	refLabel              *canvas.Text
	empty                 *canvas.Text
	objects               []fyne.CanvasObject

	// plot is the plotting area after the last Layout, in widget coordinates.
	plotPos  fyne.Position
	plotSize fyne.Size
}

// rebuild makes the canvas objects match the chart's data and theme.
func (r *chartRenderer) rebuild() {
	c := r.c
	d := &c.data
	th := c.Theme()
	fg := themeColor(th, theme.ColorNameForeground)
	faint := themeColor(th, theme.ColorNameDisabled)
	textSize := th.Size(theme.SizeNameText)
	small := th.Size(theme.SizeNameCaptionText)

	r.title.Text, r.title.Color, r.title.TextSize = c.title, fg, textSize
	for _, t := range []*canvas.Text{r.yLabel, r.xLabel, r.refLabel, r.empty} {
		t.Color, t.TextSize = fg, small
	}
	r.xLabel.Text = c.xLabel + d.xNote
	r.empty.Color = themeColor(th, theme.ColorNamePlaceHolder)
	r.empty.Text = d.empty
	r.empty.Hidden = len(d.values) > 0
	r.xAxis.StrokeColor, r.xAxis.StrokeWidth = fg, 1
	r.yAxis.StrokeColor, r.yAxis.StrokeWidth = fg, 1

	grow := func(n int, have int, mk func()) {
		for i := have; i < n; i++ {
			mk()
		}
	}
	grow(len(d.ticks), len(r.yTicks), func() {
		t := canvas.NewText("", fg)
		t.Alignment = fyne.TextAlignTrailing
		r.yTicks = append(r.yTicks, t)
		r.grid = append(r.grid, canvas.NewLine(faint))
	})
	r.yTicks, r.grid = r.yTicks[:len(d.ticks)], r.grid[:len(d.ticks)]
	for i, tk := range d.ticks {
		r.yTicks[i].Text, r.yTicks[i].Color, r.yTicks[i].TextSize = tk.label, fg, small
		r.grid[i].StrokeColor, r.grid[i].StrokeWidth = withAlpha(faint, 0x80), 1
	}

	n := len(d.values)
	grow(n, len(r.xTicks), func() {
		t := canvas.NewText("", fg)
		t.Alignment = fyne.TextAlignCenter
		r.xTicks = append(r.xTicks, t)
	})
	r.xTicks = r.xTicks[:n]
	for i, t := range r.xTicks {
		t.Text, t.Color, t.TextSize = strconv.Itoa(d.firstRun+i), fg, small
	}
	switch c.kind {
	case chartBars:
		grow(n, len(r.bars), func() { r.bars = append(r.bars, canvas.NewRectangle(fg)) })
		r.bars = r.bars[:n]
		for i, b := range r.bars {
			b.FillColor = themeColor(th, d.colors[i])
		}
	case chartMarkers:
		grow(n, len(r.markers), func() { r.markers = append(r.markers, canvas.NewCircle(fg)) })
		r.markers = r.markers[:n]
		for i, m := range r.markers {
			m.FillColor = themeColor(th, d.colors[i])
		}
	}
	refColor := fg
	if d.refColor != "" {
		refColor = themeColor(th, d.refColor)
	}
	r.refLine.StrokeColor, r.refLine.StrokeWidth = refColor, 2
	r.refLine.Hidden = !d.hasRef
	// The label takes the text colour, not the line's: it may sit over a
	// bar of the line's colour (a run above the threshold is drawn red).
	r.refLabel.Text, r.refLabel.Color = d.refLabel, fg
	r.refLabel.Hidden = !d.hasRef

	objs := []fyne.CanvasObject{r.title, r.yLabel, r.xLabel}
	for i := range r.grid {
		objs = append(objs, r.grid[i], r.yTicks[i])
	}
	for _, t := range r.xTicks {
		objs = append(objs, t)
	}
	for _, b := range r.bars {
		objs = append(objs, b)
	}
	for _, m := range r.markers {
		objs = append(objs, m)
	}
	objs = append(objs, r.xAxis, r.yAxis, r.refLine, r.refLabel, r.empty)
	r.objects = objs
}

func (r *chartRenderer) textHeight(t *canvas.Text) float32 {
	return fyne.MeasureText("0", t.TextSize, t.TextStyle).Height
}

// yTickWidth is the width of the widest y tick label.
func (r *chartRenderer) yTickWidth() float32 {
	w := float32(0)
	for _, t := range r.yTicks {
		w = fyne.Max(w, fyne.MeasureText(t.Text, t.TextSize, t.TextStyle).Width)
	}
	return w
}

// yAt maps a value on the y axis to a widget y coordinate.
func (r *chartRenderer) yAt(v float64) float32 {
	d := &r.c.data
	f := v / d.yMax
	if math.IsNaN(f) || f < 0 {
		f = 0
	}
	if f > 1 {
		f = 1
	}
	return r.plotPos.Y + r.plotSize.Height*float32(1-f)
}

func (r *chartRenderer) Layout(size fyne.Size) {
	d := &r.c.data
	th := r.c.Theme()
	pad := th.Size(theme.SizeNamePadding)
	titleH := r.textHeight(r.title)
	smallH := r.textHeight(r.xLabel)

	r.title.Move(fyne.NewPos(0, 0))
	r.title.Resize(fyne.NewSize(size.Width, titleH))
	r.yLabel.Move(fyne.NewPos(0, titleH))
	r.yLabel.Resize(fyne.NewSize(size.Width, smallH))

	left := r.yTickWidth() + 2*pad
	top := titleH + 2*smallH
	bottom := size.Height - 2*smallH - pad // room for run numbers and "run"
	right := size.Width - pad
	r.plotPos = fyne.NewPos(left, top)
	r.plotSize = fyne.NewSize(fyne.Max(right-left, 1), fyne.Max(bottom-top, 1))
	px, py := r.plotPos.X, r.plotPos.Y
	pw, ph := r.plotSize.Width, r.plotSize.Height

	r.yAxis.Position1, r.yAxis.Position2 = fyne.NewPos(px, py), fyne.NewPos(px, py+ph)
	r.xAxis.Position1, r.xAxis.Position2 = fyne.NewPos(px, py+ph), fyne.NewPos(px+pw, py+ph)

	for i, tk := range d.ticks {
		y := r.yAt(tk.value)
		r.grid[i].Position1, r.grid[i].Position2 = fyne.NewPos(px, y), fyne.NewPos(px+pw, y)
		r.grid[i].Hidden = tk.value == 0 // the x axis is there
		r.yTicks[i].Move(fyne.NewPos(0, y-smallH/2))
		r.yTicks[i].Resize(fyne.NewSize(left-pad, smallH))
	}

	n := len(d.values)
	slot := pw
	if n > 0 {
		slot = pw / float32(n)
	}
	// Label every k-th run so that the numbers never overprint.
	labelW := fyne.MeasureText(strconv.Itoa(d.firstRun+n), r.xLabel.TextSize, r.xLabel.TextStyle).Width + pad
	k := int(math.Ceil(float64(labelW / slot)))
	if k < 1 {
		k = 1
	}
	for i, t := range r.xTicks {
		cx := px + slot*(float32(i)+0.5)
		t.Move(fyne.NewPos(cx-slot*float32(k)/2, py+ph+pad/2))
		t.Resize(fyne.NewSize(slot*float32(k), smallH))
		t.Hidden = (d.firstRun+i)%k != 0
	}
	r.xLabel.Move(fyne.NewPos(px, py+ph+pad/2+smallH))
	r.xLabel.Resize(fyne.NewSize(pw, smallH))

	barW := fyne.Min(slot*chartBarFraction, chartMaxBarWidth)
	for i, b := range r.bars {
		cx := px + slot*(float32(i)+0.5)
		y := r.yAt(d.values[i])
		b.Move(fyne.NewPos(cx-barW/2, y))
		b.Resize(fyne.NewSize(barW, py+ph-y))
	}
	rad := fyne.Min(slot*0.35, chartMaxMarkerRad)
	for i, m := range r.markers {
		cx := px + slot*(float32(i)+0.5)
		y := r.yAt(d.values[i])
		m.Move(fyne.NewPos(cx-rad, y-rad))
		m.Resize(fyne.NewSquareSize(2 * rad))
	}

	if d.hasRef {
		y := r.yAt(d.refValue)
		r.refLine.Position1, r.refLine.Position2 = fyne.NewPos(px, y), fyne.NewPos(px+pw, y)
		r.refLabel.Move(fyne.NewPos(px, y-smallH))
		r.refLabel.Resize(fyne.NewSize(pw, smallH))
	}
	r.empty.Move(fyne.NewPos(px, py+ph/2-smallH/2))
	r.empty.Resize(fyne.NewSize(pw, smallH))
}

func (r *chartRenderer) MinSize() fyne.Size {
	th := r.c.Theme()
	pad := th.Size(theme.SizeNamePadding)
	titleH := r.textHeight(r.title)
	smallH := r.textHeight(r.xLabel)
	w := fyne.Max(chartMinWidth, fyne.MeasureText(r.title.Text, r.title.TextSize, r.title.TextStyle).Width)
	return fyne.NewSize(w, titleH+2*smallH+chartMinPlot+2*smallH+pad)
}

func (r *chartRenderer) Refresh() {
	r.rebuild()
	r.Layout(r.c.Size())
	for _, o := range r.objects {
		o.Refresh()
	}
	canvas.Refresh(r.c) // the set of objects may have changed
}

func (r *chartRenderer) Objects() []fyne.CanvasObject { return r.objects }

func (r *chartRenderer) Destroy() {}
