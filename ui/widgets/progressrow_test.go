package widgets

import (
	"math"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

func TestProgressRow(t *testing.T) {
	test.NewTempApp(t)
	p := NewProgressRow("scan.pdf")
	show(t, p, fyne.NewSize(500, 40))
	if f, s := p.Progress(); f != 0 || s != "" || p.Name() != "scan.pdf" {
		t.Fatalf("new row: %v %q %q", f, s, p.Name())
	}
	for _, tc := range []struct {
		in, want float64
	}{{0.4, 0.4}, {1.5, 1}, {-1, 0}, {math.NaN(), 0}, {1, 1}} {
		p.SetProgress(tc.in, "status")
		if f, s := p.Progress(); f != tc.want || s != "status" {
			t.Errorf("SetProgress(%v): shows %v %q, want %v", tc.in, f, s, tc.want)
		}
	}
	p.SetProgress(0.4, "3.2 of 8 MB")
	// The bar, the name and the status are all drawn, left to right.
	if !(p.name.Position().X < p.bar.Position().X && p.bar.Position().X+p.bar.Size().Width <= p.status.Position().X) {
		t.Errorf("name at %v, bar at %v (%v wide), status at %v", p.name.Position(), p.bar.Position(), p.bar.Size().Width, p.status.Position())
	}
	test.AssertObjectRendersToMarkup(t, "progress_row.xml", p)
}
