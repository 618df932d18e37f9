package widgets

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// LegendEntry is one colour of a chart and what it means.
type LegendEntry struct {
	Color fyne.ThemeColorName
	Text  string
}

// HistoryLegend says what the colours of HistoryCharts mean, including
// the orange marker of a run that made no key for a reason other than an
// eavesdropper.
var HistoryLegend = []LegendEntry{
	{theme.ColorNamePrimary, "Bars: each run's matching bases and error rate"},
	{theme.ColorNameError, "Red: above the threshold line: eavesdropper detected, no key"},
	{theme.ColorNameSuccess, "Green: no eavesdropper detected, key made"},
	{theme.ColorNameWarning, "Orange: no key, below the threshold (e.g. too little secret key left after correcting the errors, which an eavesdropper can cause too)"},
}

// Legend is a list of coloured dots with wrapped captions, in the current
// theme's colours.
//
// Use it from the Fyne UI goroutine only; see the package documentation.
type Legend struct {
	widget.BaseWidget
	entries []LegendEntry
	dots    []*canvas.Circle
	labels  []*widget.Label
}

// NewLegend returns a legend of entries.
func NewLegend(entries []LegendEntry) *Legend {
	l := &Legend{entries: append([]LegendEntry(nil), entries...)}
	for _, e := range l.entries {
		l.dots = append(l.dots, canvas.NewCircle(theme.Color(e.Color)))
		lbl := widget.NewLabel(e.Text)
		lbl.Wrapping = fyne.TextWrapWord
		lbl.SizeName = theme.SizeNameCaptionText
		l.labels = append(l.labels, lbl)
	}
	l.ExtendBaseWidget(l)
	return l
}

// Texts returns the legend's captions, in order.
func (l *Legend) Texts() []string {
	out := make([]string, len(l.labels))
	for i, lb := range l.labels {
		out[i] = lb.Text
	}
	return out
}

// CreateRenderer is a private method to Fyne which links this widget to its
// renderer.
func (l *Legend) CreateRenderer() fyne.WidgetRenderer {
	l.ExtendBaseWidget(l)
	box := container.NewVBox()
	for i := range l.entries {
		dot := container.NewCenter(container.NewGridWrap(fyne.NewSquareSize(10), l.dots[i]))
		box.Add(container.NewBorder(nil, nil, dot, nil, l.labels[i]))
	}
	l.recolour()
	return widget.NewSimpleRenderer(box)
}

// Refresh repaints the dots in the current theme's colours.
func (l *Legend) Refresh() {
	l.recolour()
	l.BaseWidget.Refresh()
}

func (l *Legend) recolour() {
	th := l.Theme()
	for i, e := range l.entries {
		l.dots[i].FillColor = themeColor(th, e.Color)
		l.dots[i].Refresh()
	}
}

// LegendBelow lays out two objects, charts and their legend: the legend
// at its minimum height at the bottom, the charts above it in the rest,
// but never lower than MinCharts. In a vertical scroll it fills a large
// window and scrolls in a small one, where the charts keep MinCharts.
type LegendBelow struct{ MinCharts float32 }

// MinSize is the wider of the two, MinCharts plus the legend high.
func (l LegendBelow) MinSize(objs []fyne.CanvasObject) fyne.Size {
	if len(objs) != 2 {
		return fyne.Size{}
	}
	c, g := objs[0].MinSize(), objs[1].MinSize()
	return fyne.NewSize(fyne.Max(c.Width, g.Width), fyne.Max(c.Height, l.MinCharts)+g.Height)
}

// Layout gives the legend its minimum height at the bottom and the
// charts the rest.
func (l LegendBelow) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	if len(objs) != 2 {
		return
	}
	gh := objs[1].MinSize().Height
	ch := fyne.Max(size.Height-gh, fyne.Max(objs[0].MinSize().Height, l.MinCharts))
	objs[0].Move(fyne.NewPos(0, 0))
	objs[0].Resize(fyne.NewSize(size.Width, ch))
	objs[1].Move(fyne.NewPos(0, ch))
	objs[1].Resize(fyne.NewSize(size.Width, gh))
}

// ChartsWithLegend is charts over legend in a vertical scroll (see
// LegendBelow).
func ChartsWithLegend(charts fyne.CanvasObject, legend fyne.CanvasObject) fyne.CanvasObject {
	return container.NewVScroll(container.New(LegendBelow{MinCharts: 420}, charts, legend))
}
