package widgets

import (
	"image/color"
	"math"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
)

// near reports whether a and b differ by at most eps.
func near(a, b, eps float32) bool { return math.Abs(float64(a-b)) <= float64(eps) }

// sameColor compares two colours by their RGBA values.
func sameColor(a, b color.Color) bool {
	r1, g1, b1, a1 := a.RGBA()
	r2, g2, b2, a2 := b.RGBA()
	return r1 == r2 && g1 == g2 && b1 == b2 && a1 == a2
}

// testColor is the colour name n of the current (test) theme.
func testColor(n fyne.ThemeColorName) color.Color {
	return themeColor(theme.Current(), n)
}

// show puts o in a test window of the given content size and returns the
// window; the app and window are torn down when the test ends.
func show(t *testing.T, o fyne.CanvasObject, size fyne.Size) fyne.Window {
	t.Helper()
	w := test.NewTempWindow(t, o)
	w.SetPadded(false)
	w.Resize(size)
	return w
}

// sameTransparent is the fully transparent colour.
var sameTransparent = color.Transparent

// walk calls f on o and every object drawn below it, using the renderers
// already in use (unlike test.LaidOutObjects, which makes new ones).
func walk(o fyne.CanvasObject, f func(fyne.CanvasObject)) {
	f(o)
	switch v := o.(type) {
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(v).Objects() {
			walk(c, f)
		}
	case *fyne.Container:
		for _, c := range v.Objects {
			walk(c, f)
		}
	}
}
