package widgets

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
)

func gaugeParts(t *testing.T, g *QBERGauge) *gaugeRenderer {
	t.Helper()
	return test.TempWidgetRenderer(t, g).(*gaugeRenderer)
}

func TestQBERGaugeBeforeMeasurement(t *testing.T) {
	test.NewTempApp(t)
	g := NewQBERGauge()
	show(t, g, fyne.NewSize(400, 80))
	r := gaugeParts(t, g)
	if g.Text() != "QBER not measured yet" || r.label.Text != g.Text() {
		t.Fatalf("label %q, Text %q", r.label.Text, g.Text())
	}
	if !r.fill.Hidden || !r.threshold.Hidden {
		t.Fatalf("fill or threshold shown before a measurement")
	}
}

func TestQBERGaugeAborted(t *testing.T) {
	test.NewTempApp(t)
	g := NewQBERGauge()
	show(t, g, fyne.NewSize(400, 80))
	g.Set(0.248, 0.11, true)
	r := gaugeParts(t, g)
	w := g.Size().Width

	if want := "QBER 24.8% (threshold 11%)"; r.label.Text != want || g.Text() != want {
		t.Fatalf("label %q, want %q", r.label.Text, want)
	}
	if r.fill.Hidden || !near(r.fill.Size().Width, w*0.248/GaugeMax, 0.01) {
		t.Errorf("fill is %v wide (hidden %v), want %v", r.fill.Size().Width, r.fill.Hidden, w*0.248/GaugeMax)
	}
	if r.threshold.Hidden || !near(r.threshold.Position1.X, w*0.11/GaugeMax, 0.01) || r.threshold.Position1.X != r.threshold.Position2.X {
		t.Errorf("threshold line at %v-%v, want vertical at x=%v", r.threshold.Position1, r.threshold.Position2, w*0.11/GaugeMax)
	}
	// The line crosses the bar.
	if r.threshold.Position1.Y >= r.track.Position().Y || r.threshold.Position2.Y <= r.track.Position().Y+r.track.Size().Height {
		t.Errorf("threshold line %v-%v does not cross the bar at y=%v..%v", r.threshold.Position1, r.threshold.Position2,
			r.track.Position().Y, r.track.Position().Y+r.track.Size().Height)
	}
	red := testColor(theme.ColorNameError)
	if !sameColor(r.fill.FillColor, red) || !sameColor(r.label.Color, red) {
		t.Errorf("aborted gauge not red: fill %v label %v", r.fill.FillColor, r.label.Color)
	}
	if r.thrText.Hidden || r.thrText.Text != "11%" {
		t.Errorf("threshold number %q hidden %v", r.thrText.Text, r.thrText.Hidden)
	}
	test.AssertObjectRendersToMarkup(t, "gauge_aborted.xml", g)
}

func TestQBERGaugeSecureThenClear(t *testing.T) {
	test.NewTempApp(t)
	g := NewQBERGauge()
	show(t, g, fyne.NewSize(400, 80))
	g.Set(0.031, 0.11, false)
	r := gaugeParts(t, g)
	green := testColor(theme.ColorNameSuccess)
	if !sameColor(r.fill.FillColor, green) || !sameColor(r.label.Color, green) {
		t.Errorf("secure gauge not green: fill %v label %v", r.fill.FillColor, r.label.Color)
	}
	if want := "QBER 3.1% (threshold 11%)"; r.label.Text != want {
		t.Errorf("label %q, want %q", r.label.Text, want)
	}
	test.AssertObjectRendersToMarkup(t, "gauge_secure.xml", g)

	g.Clear()
	if !r.fill.Hidden || !r.threshold.Hidden || r.label.Text != "QBER not measured yet" {
		t.Errorf("after Clear: fill hidden %v, threshold hidden %v, label %q", r.fill.Hidden, r.threshold.Hidden, r.label.Text)
	}
}

func TestQBERGaugeClampsOutOfRange(t *testing.T) {
	test.NewTempApp(t)
	g := NewQBERGauge()
	show(t, g, fyne.NewSize(400, 80))
	r := gaugeParts(t, g)
	w := g.Size().Width
	for _, tc := range []struct {
		qber      float64
		wantWidth float32
	}{
		{0.7, w},                 // beyond the scale: full
		{-0.2, 0},                // negative: empty
		{GaugeMax, w},            // the end of the scale
		{0.125, w * 0.125 / 0.5}, // a quarter
	} {
		g.Set(tc.qber, 0.11, true)
		got := r.fill.Size().Width
		if r.fill.Hidden {
			got = 0
		}
		if !near(got, tc.wantWidth, 0.01) {
			t.Errorf("QBER %v: fill %v wide, want %v", tc.qber, got, tc.wantWidth)
		}
	}
	if g.Set(0.7, 0.11, true); r.label.Text != "QBER 70% (threshold 11%)" {
		t.Errorf("label %q does not print the real value", r.label.Text)
	}
}
