package widgets

import (
	"image/color"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// BadgeMax is the largest count a Badge prints; more shows as "99+".
const BadgeMax = 99

// Badge is an unread-count dot: a pill in the primary colour with the count
// in it. A count of zero or less hides the dot and takes no space.
//
// Use it from the Fyne UI goroutine only; see the package documentation.
type Badge struct {
	widget.BaseWidget
	count int
}

// NewBadge returns a badge showing count.
func NewBadge(count int) *Badge {
	b := &Badge{count: count}
	b.ExtendBaseWidget(b)
	return b
}

// Count returns the count shown.
func (b *Badge) Count() int { return b.count }

// SetCount shows n.
func (b *Badge) SetCount(n int) {
	b.count = n
	b.Refresh()
}

// Text returns the text in the dot: "" for no unread messages, the count,
// or "99+".
func (b *Badge) Text() string {
	switch {
	case b.count <= 0:
		return ""
	case b.count > BadgeMax:
		return strconv.Itoa(BadgeMax) + "+"
	}
	return strconv.Itoa(b.count)
}

// CreateRenderer is a private method to Fyne which links this widget to its
// renderer.
func (b *Badge) CreateRenderer() fyne.WidgetRenderer {
	b.ExtendBaseWidget(b)
	r := &badgeRenderer{b: b, dot: canvas.NewRectangle(color.Transparent), text: canvas.NewText("", color.Black)}
	r.text.Alignment = fyne.TextAlignCenter
	r.text.TextStyle.Bold = true
	r.update()
	return r
}

type badgeRenderer struct {
	b    *Badge
	dot  *canvas.Rectangle
	text *canvas.Text
}

func (r *badgeRenderer) update() {
	th := r.b.Theme()
	r.text.Text = r.b.Text()
	r.text.TextSize = th.Size(theme.SizeNameCaptionText)
	r.text.Color = themeColor(th, theme.ColorNameForegroundOnPrimary)
	r.dot.FillColor = themeColor(th, theme.ColorNamePrimary)
	hidden := r.text.Text == ""
	r.dot.Hidden, r.text.Hidden = hidden, hidden
}

func (r *badgeRenderer) Layout(size fyne.Size) {
	ms := r.MinSize()
	// Centre the pill in the space given.
	pos := fyne.NewPos((size.Width-ms.Width)/2, (size.Height-ms.Height)/2)
	r.dot.Move(pos)
	r.dot.Resize(ms)
	r.dot.CornerRadius = ms.Height / 2
	ts := fyne.MeasureText(r.text.Text, r.text.TextSize, r.text.TextStyle)
	r.text.Move(fyne.NewPos(pos.X, pos.Y+(ms.Height-ts.Height)/2))
	r.text.Resize(fyne.NewSize(ms.Width, ts.Height))
}

func (r *badgeRenderer) MinSize() fyne.Size {
	if r.b.Text() == "" {
		return fyne.Size{}
	}
	ts := fyne.MeasureText(r.b.Text(), r.text.TextSize, r.text.TextStyle)
	pad := r.b.Theme().Size(theme.SizeNamePadding)
	h := ts.Height + pad/2
	return fyne.NewSize(fyne.Max(h, ts.Width+2*pad), h)
}

func (r *badgeRenderer) Refresh() {
	r.update()
	r.Layout(r.b.Size())
	r.dot.Refresh()
	r.text.Refresh()
}

func (r *badgeRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.dot, r.text} }

func (r *badgeRenderer) Destroy() {}
