package widgets

import (
	"math"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

func TestBB84Vector(t *testing.T) {
	for _, tc := range []struct {
		bit      int
		diagonal bool
		x, y, z  float64
	}{
		{0, false, 0, 0, 1},  // |0>
		{1, false, 0, 0, -1}, // |1>
		{0, true, 1, 0, 0},   // |+>
		{1, true, -1, 0, 0},  // |->
		{7, true, -1, 0, 0},  // any non-zero bit is 1
	} {
		x, y, z := BB84Vector(tc.bit, tc.diagonal)
		if x != tc.x || y != tc.y || z != tc.z {
			t.Errorf("BB84Vector(%d, %v) = (%v, %v, %v), want (%v, %v, %v)", tc.bit, tc.diagonal, x, y, z, tc.x, tc.y, tc.z)
		}
	}
}

func blochParts(t *testing.T, b *BlochSphere) *blochRenderer {
	t.Helper()
	return test.TempWidgetRenderer(t, b).(*blochRenderer)
}

func TestBlochSphereStates(t *testing.T) {
	test.NewTempApp(t)
	b := NewBlochSphere()
	show(t, b, fyne.NewSize(320, 320))
	r := blochParts(t, b)
	if !r.vector.Hidden || !r.tip.Hidden {
		t.Fatal("a new sphere draws a vector")
	}

	// |0> points straight up, |1> straight down, foreshortened by the
	// camera's elevation.
	b.SetVector(0, 0, 1, "Alice sent 0 in the Z basis")
	up := r.radius * float32(math.Cos(blochElevation))
	c := r.centre
	if r.vector.Hidden || r.vector.Position1 != c || !near(r.vector.Position2.X, c.X, 0.01) || !near(r.vector.Position2.Y, c.Y-up, 0.01) {
		t.Errorf("|0>: vector %v-%v, want %v up to y=%v", r.vector.Position1, r.vector.Position2, c, c.Y-up)
	}
	if r.caption.Text != "Alice sent 0 in the Z basis" || r.caption.Hidden || b.Caption() != r.caption.Text {
		t.Errorf("caption %q hidden %v", r.caption.Text, r.caption.Hidden)
	}
	b.SetVector(0, 0, -1, "")
	c, up = r.centre, r.radius*float32(math.Cos(blochElevation))
	if !near(r.vector.Position2.Y, c.Y+up, 0.01) || !near(r.vector.Position2.X, c.X, 0.01) {
		t.Errorf("|1>: tip at %v, want (%v, %v)", r.vector.Position2, c.X, c.Y+up)
	}
	if !r.caption.Hidden {
		t.Error("an empty caption is shown")
	}

	// |+> comes toward the viewer, lower left; |-> goes away, upper right,
	// and is drawn translucent.
	b.SetVector(1, 0, 0, "|+>")
	c = r.centre
	plus := r.vector.Position2
	opaque := r.vector.StrokeColor
	if !(plus.X < c.X && plus.Y > c.Y) {
		t.Errorf("|+> tip %v not lower left of %v", plus, c)
	}
	b.SetVector(-1, 0, 0, "|->")
	minus := r.vector.Position2
	if !(minus.X > c.X && minus.Y < c.Y) || !near(minus.X-c.X, c.X-plus.X, 0.01) || !near(c.Y-minus.Y, plus.Y-c.Y, 0.01) {
		t.Errorf("|-> tip %v not opposite |+> %v about %v", minus, plus, c)
	}
	_, _, _, a1 := opaque.RGBA()
	_, _, _, a2 := r.vector.StrokeColor.RGBA()
	if a2 >= a1 {
		t.Errorf("a vector behind the sphere is not translucent: alpha %v vs %v", a2, a1)
	}
	test.AssertObjectRendersToMarkup(t, "bloch_minus.xml", b)
}

func TestBlochSphereLabelsOutsideSphere(t *testing.T) {
	test.NewTempApp(t)
	b := NewBlochSphere()
	show(t, b, fyne.NewSize(300, 340))
	b.SetVector(0, 0, 1, "caption")
	r := blochParts(t, b)
	top, bottom := r.labels[0], r.labels[1]
	if top.Text != LabelKet0 || bottom.Text != LabelKet1 || r.labels[2].Text != LabelKetPlus || r.labels[3].Text != LabelKetMinus {
		t.Fatalf("labels %q %q %q %q", top.Text, bottom.Text, r.labels[2].Text, r.labels[3].Text)
	}
	if y := top.Position().Y + top.Size().Height; y > r.centre.Y-r.radius {
		t.Errorf("|0> label ends at y=%v, inside the sphere's top %v", y, r.centre.Y-r.radius)
	}
	if y := bottom.Position().Y; y < r.centre.Y+r.radius {
		t.Errorf("|1> label starts at y=%v, inside the sphere's bottom %v", y, r.centre.Y+r.radius)
	}
	if y := r.caption.Position().Y; y < bottom.Position().Y+bottom.Size().Height {
		t.Errorf("caption at y=%v overlaps the |1> label", y)
	}
	for _, l := range r.labels {
		p, s := l.Position(), l.Size()
		if p.X < 0 || p.Y < 0 || p.X+s.Width > b.Size().Width || p.Y+s.Height > b.Size().Height {
			t.Errorf("label %q at %v size %v leaves the widget %v", l.Text, p, s, b.Size())
		}
	}
	test.AssertObjectRendersToMarkup(t, "bloch_zero.xml", b)
}

func TestBlochSphereClampsBadVectors(t *testing.T) {
	test.NewTempApp(t)
	b := NewBlochSphere()
	show(t, b, fyne.NewSize(320, 320))
	r := blochParts(t, b)

	b.SetVector(0, 0, 2, "too long")
	if x, y, z, ok := b.Vector(); !ok || x != 0 || y != 0 || z != 1 {
		t.Errorf("(0,0,2) drawn as (%v,%v,%v) ok=%v, want (0,0,1)", x, y, z, ok)
	}
	full := r.centre.Y - r.vector.Position2.Y

	b.SetVector(0, 0, 0.5, "mixed")
	if half := r.centre.Y - r.vector.Position2.Y; !near(half, full/2, 0.01) {
		t.Errorf("mixed state (0,0,0.5) drawn %v long, want %v", half, full/2)
	}

	for _, v := range [][3]float64{{math.NaN(), 0, 0}, {0, math.Inf(1), 0}, {0, 0, math.Inf(-1)}} {
		b.SetVector(v[0], v[1], v[2], "bad")
		if _, _, _, ok := b.Vector(); ok || !r.vector.Hidden || !r.tip.Hidden {
			t.Errorf("vector %v is drawn", v)
		}
	}
	if !r.caption.Hidden && r.caption.Text != "bad" {
		t.Errorf("caption %q", r.caption.Text)
	}
}

func FuzzBlochSphere(f *testing.F) {
	f.Add(0.0, 0.0, 1.0, float32(320), float32(320))
	f.Add(math.NaN(), 1.0, 0.0, float32(0), float32(0))
	f.Add(1e308, -1e308, 1e-308, float32(10), float32(1e6))
	test.NewTempApp(f) // one app for all inputs: the widgets never change it
	f.Fuzz(func(t *testing.T, x, y, z float64, w, h float32) {
		if !(w >= 0 && w <= 1e5 && h >= 0 && h <= 1e5) {
			return
		}
		b := NewBlochSphere()
		b.Resize(fyne.NewSize(w, h))
		b.SetVector(x, y, z, "fuzz")
		r := test.TempWidgetRenderer(t, b).(*blochRenderer)
		r.Layout(fyne.NewSize(w, h))
		vx, vy, vz, ok := b.Vector()
		if !ok {
			if !r.vector.Hidden {
				t.Fatal("hidden vector drawn")
			}
			return
		}
		if n := math.Sqrt(vx*vx + vy*vy + vz*vz); n > 1+1e-9 || math.IsNaN(n) {
			t.Fatalf("vector (%v,%v,%v) has length %v", vx, vy, vz, n)
		}
		p := r.vector.Position2
		d := math.Hypot(float64(p.X-r.centre.X), float64(p.Y-r.centre.Y))
		if math.IsNaN(d) || d > float64(r.radius)*(1+1e-4)+1e-3 {
			t.Fatalf("tip %v is %v from the centre, radius %v", p, d, r.radius)
		}
	})
}
