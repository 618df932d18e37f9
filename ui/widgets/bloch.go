package widgets

import (
	"image/color"
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Projection of the Bloch sphere: the camera turns blochAzimuth about the
// z axis and looks down blochElevation above the equator, so +x (|+>) points
// to the lower left, toward the viewer, and the equator is a flat ellipse.
const (
	blochAzimuth   = 30 * math.Pi / 180
	blochElevation = 20 * math.Pi / 180
	blochSegments  = 72 // line segments of the equator
	blochMinRadius = 60
)

// Labels of the axes of a BlochSphere.
const (
	LabelKet0     = "|0>"
	LabelKet1     = "|1>"
	LabelKetPlus  = "|+>"
	LabelKetMinus = "|->"
)

// BlochSphere draws the Bloch sphere of one qubit, as in Fig. 3 of the paper:
// the sphere's outline, its equator, the x, y and z axes with the BB84
// states |0>, |1> (z axis, the Z basis) and |+>, |-> (x axis, the X basis),
// the qubit's state vector, and a caption.
//
// Use it from the Fyne UI goroutine only; see the package documentation.
type BlochSphere struct {
	widget.BaseWidget

	x, y, z float64
	hasVec  bool
	caption string
}

// NewBlochSphere returns a sphere showing no state vector and no caption.
func NewBlochSphere() *BlochSphere {
	b := &BlochSphere{}
	b.ExtendBaseWidget(b)
	return b
}

// SetVector shows the state (x, y, z) with a caption below the sphere. A
// pure state has length 1; a shorter vector (a mixed state) is drawn inside
// the sphere and a longer one is scaled back onto it. A vector with a NaN or
// infinite component is not drawn.
func (b *BlochSphere) SetVector(x, y, z float64, caption string) {
	b.caption = caption
	b.x, b.y, b.z, b.hasVec = 0, 0, 0, false
	if finite(x) && finite(y) && finite(z) {
		n := math.Sqrt(x*x + y*y + z*z)
		if n > 1 {
			x, y, z = x/n, y/n, z/n
		}
		b.x, b.y, b.z, b.hasVec = x, y, z, true
	}
	b.Refresh()
}

// Vector returns the vector drawn, after clamping, and whether one is drawn.
func (b *BlochSphere) Vector() (x, y, z float64, ok bool) {
	return b.x, b.y, b.z, b.hasVec
}

// Caption returns the caption shown under the sphere.
func (b *BlochSphere) Caption() string { return b.caption }

// BB84Vector returns the Bloch vector of a BB84 state: in the Z basis
// (diagonal false) bit 0 is |0> = (0, 0, 1) and bit 1 is |1> = (0, 0, -1);
// in the X basis bit 0 is |+> = (1, 0, 0) and bit 1 is |-> = (-1, 0, 0).
// Any non-zero bit counts as 1.
func BB84Vector(bit int, diagonal bool) (x, y, z float64) {
	sign := 1.0
	if bit != 0 {
		sign = -1
	}
	if diagonal {
		return sign, 0, 0
	}
	return 0, 0, sign
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// blochProject maps a point of the unit ball to screen offsets from the
// sphere's centre in units of the radius (u right, v down) and its depth
// (positive toward the viewer).
func blochProject(x, y, z float64) (u, v, depth float64) {
	sa, ca := math.Sincos(blochAzimuth)
	se, ce := math.Sincos(blochElevation)
	u = y*ca - x*sa
	w := x*ca + y*sa
	up := z*ce - w*se
	depth = w*ce + z*se
	return u, -up, depth
}

// CreateRenderer is a private method to Fyne which links this widget to its
// renderer.
func (b *BlochSphere) CreateRenderer() fyne.WidgetRenderer {
	b.ExtendBaseWidget(b)
	r := &blochRenderer{b: b}
	r.sphere = canvas.NewCircle(color.Transparent)
	r.outline = canvas.NewCircle(color.Transparent)
	for i := range r.equator {
		r.equator[i] = canvas.NewLine(color.Black)
	}
	for i := range r.axes {
		r.axes[i] = canvas.NewLine(color.Black)
	}
	for i, s := range []string{LabelKet0, LabelKet1, LabelKetPlus, LabelKetMinus} {
		r.labels[i] = canvas.NewText(s, color.Black)
		r.labels[i].Alignment = fyne.TextAlignCenter
	}
	r.vector = canvas.NewLine(color.Black)
	r.tip = canvas.NewCircle(color.Black)
	r.caption = canvas.NewText("", color.Black)
	r.caption.Alignment = fyne.TextAlignCenter

	r.objects = append(r.objects, r.sphere)
	for _, l := range r.equator {
		r.objects = append(r.objects, l)
	}
	for _, l := range r.axes {
		r.objects = append(r.objects, l)
	}
	// The outline goes over the faint back of the equator and the axes.
	r.objects = append(r.objects, r.outline)
	for _, t := range r.labels {
		r.objects = append(r.objects, t)
	}
	r.objects = append(r.objects, r.vector, r.tip, r.caption)
	r.update()
	return r
}

type blochRenderer struct {
	b       *BlochSphere
	sphere  *canvas.Circle // the shaded disc
	outline *canvas.Circle // its rim, drawn above the equator and axes
	equator [blochSegments]*canvas.Line
	axes    [3]*canvas.Line // x, y, z
	labels  [4]*canvas.Text // |0>, |1>, |+>, |->
	vector  *canvas.Line
	tip     *canvas.Circle
	caption *canvas.Text
	objects []fyne.CanvasObject

	// centre and radius of the sphere after the last Layout, in widget
	// coordinates.
	centre fyne.Position
	radius float32
}

func (r *blochRenderer) update() {
	th := r.b.Theme()
	fg := themeColor(th, theme.ColorNameForeground)
	faint := themeColor(th, theme.ColorNameDisabled)
	primary := themeColor(th, theme.ColorNamePrimary)

	r.sphere.FillColor = withAlpha(primary, 0x1c)
	r.outline.FillColor = color.Transparent
	r.outline.StrokeColor = fg
	r.outline.StrokeWidth = 1.5
	for _, l := range r.axes {
		l.StrokeColor = faint
		l.StrokeWidth = 1
	}
	for _, t := range r.labels {
		t.Color = fg
		t.TextSize = th.Size(theme.SizeNameText)
		t.TextStyle.Bold = true
	}
	r.vector.StrokeColor = primary
	r.vector.StrokeWidth = 3
	r.tip.FillColor = primary
	r.vector.Hidden = !r.b.hasVec
	r.tip.Hidden = !r.b.hasVec
	r.caption.Text = r.b.caption
	r.caption.Color = fg
	r.caption.TextSize = th.Size(theme.SizeNameText)
}

// labelSpace is the room kept around the sphere for the axis labels.
func (r *blochRenderer) labelSpace() fyne.Size {
	s := fyne.MeasureText(LabelKetMinus, r.labels[0].TextSize, r.labels[0].TextStyle)
	return s
}

func (r *blochRenderer) captionHeight() float32 {
	if r.b.caption == "" {
		return 0
	}
	th := r.b.Theme()
	return fyne.MeasureText(r.b.caption, r.caption.TextSize, r.caption.TextStyle).Height + th.Size(theme.SizeNamePadding)
}

func (r *blochRenderer) Layout(size fyne.Size) {
	th := r.b.Theme()
	pad := th.Size(theme.SizeNamePadding)
	ls := r.labelSpace()
	ch := r.captionHeight()

	availW := size.Width - 2*(ls.Width+pad)
	availH := size.Height - ch - 2*(ls.Height+pad)
	radius := fyne.Min(availW, availH) / 2
	if radius < 1 {
		radius = 1
	}
	c := fyne.NewPos(size.Width/2, (size.Height-ch)/2)
	r.centre, r.radius = c, radius

	at := func(x, y, z float64) (fyne.Position, float64) {
		u, v, d := blochProject(x, y, z)
		return fyne.NewPos(c.X+float32(u)*radius, c.Y+float32(v)*radius), d
	}

	r.sphere.Move(fyne.NewPos(c.X-radius, c.Y-radius))
	r.sphere.Resize(fyne.NewSquareSize(2 * radius))
	r.outline.Move(r.sphere.Position())
	r.outline.Resize(r.sphere.Size())

	fg := themeColor(th, theme.ColorNameForeground)
	faint := themeColor(th, theme.ColorNameDisabled)
	for i, l := range r.equator {
		t0 := 2 * math.Pi * float64(i) / blochSegments
		t1 := 2 * math.Pi * float64(i+1) / blochSegments
		p0, d0 := at(math.Cos(t0), math.Sin(t0), 0)
		p1, d1 := at(math.Cos(t1), math.Sin(t1), 0)
		// Stretch each segment by half a pixel at both ends so the
		// joints between segments show no gaps.
		if dx, dy := p1.X-p0.X, p1.Y-p0.Y; dx != 0 || dy != 0 {
			k := 0.5 / float32(math.Hypot(float64(dx), float64(dy)))
			p0 = fyne.NewPos(p0.X-dx*k, p0.Y-dy*k)
			p1 = fyne.NewPos(p1.X+dx*k, p1.Y+dy*k)
		}
		l.Position1, l.Position2 = p0, p1
		// The half of the equator behind the sphere is drawn faint and
		// dashed (every other segment), as on a drawing of a ball.
		if d0+d1 < 0 {
			l.StrokeColor = faint
			l.StrokeWidth = 1
			l.Hidden = i%2 == 1
		} else {
			l.StrokeColor = fg
			l.StrokeWidth = 1.5
			l.Hidden = false
		}
	}

	ends := [3][2][3]float64{
		{{1, 0, 0}, {-1, 0, 0}},
		{{0, 1, 0}, {0, -1, 0}},
		{{0, 0, 1}, {0, 0, -1}},
	}
	for i, e := range ends {
		r.axes[i].Position1, _ = at(e[0][0], e[0][1], e[0][2])
		r.axes[i].Position2, _ = at(e[1][0], e[1][1], e[1][2])
	}

	// Labels sit just beyond the end of their axis; the poles' labels go
	// outside the sphere's outline, which the foreshortened z axis does
	// not reach.
	place := func(t *canvas.Text, x, y, z float64) {
		u, v, _ := blochProject(x, y, z)
		n := math.Hypot(u, v)
		reach := float32(math.Max(n, 1)) * radius
		if n < 0.9 {
			reach = float32(n) * radius
		}
		ux, uy := float32(u/n), float32(v/n)
		s := fyne.MeasureText(t.Text, t.TextSize, t.TextStyle)
		// Push the label's centre out by half its size plus a padding.
		cx := c.X + ux*(reach+s.Width/2+pad)
		cy := c.Y + uy*(reach+s.Height/2+pad/2)
		t.Move(fyne.NewPos(cx-s.Width/2, cy-s.Height/2))
		t.Resize(s)
	}
	place(r.labels[0], 0, 0, 1)
	place(r.labels[1], 0, 0, -1)
	place(r.labels[2], 1, 0, 0)
	place(r.labels[3], -1, 0, 0)

	tipPos, depth := at(r.b.x, r.b.y, r.b.z)
	r.vector.Position1, r.vector.Position2 = c, tipPos
	tip := float32(4)
	r.tip.Move(fyne.NewPos(tipPos.X-tip, tipPos.Y-tip))
	r.tip.Resize(fyne.NewSquareSize(2 * tip))
	primary := themeColor(th, theme.ColorNamePrimary)
	if depth < -1e-9 {
		// Behind the sphere: draw the vector thinner and translucent.
		r.vector.StrokeColor = withAlpha(primary, 0x99)
		r.tip.FillColor = withAlpha(primary, 0x99)
	} else {
		r.vector.StrokeColor = primary
		r.tip.FillColor = primary
	}

	if ch > 0 {
		cs := fyne.MeasureText(r.b.caption, r.caption.TextSize, r.caption.TextStyle)
		r.caption.Move(fyne.NewPos(0, size.Height-cs.Height))
		r.caption.Resize(fyne.NewSize(size.Width, cs.Height))
	}
	r.caption.Hidden = ch == 0
}

func (r *blochRenderer) MinSize() fyne.Size {
	th := r.b.Theme()
	pad := th.Size(theme.SizeNamePadding)
	ls := r.labelSpace()
	w := 2*blochMinRadius + 2*(ls.Width+pad)
	h := 2*blochMinRadius + 2*(ls.Height+pad) + r.captionHeight()
	if r.b.caption != "" {
		cw := fyne.MeasureText(r.b.caption, r.caption.TextSize, r.caption.TextStyle).Width
		w = fyne.Max(w, cw)
	}
	return fyne.NewSize(w, h)
}

func (r *blochRenderer) Refresh() {
	r.update()
	r.Layout(r.b.Size())
	for _, o := range r.objects {
		o.Refresh()
	}
}

func (r *blochRenderer) Objects() []fyne.CanvasObject { return r.objects }

func (r *blochRenderer) Destroy() {}
