package widgets

import (
	"encoding/binary"
	"math"
	"strconv"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
)

// paperHistory is 15 runs of 20 qubits with an intercept-resend attacker on
// runs 1, 5, 8, 10 and 12, the setting of the paper's Fig. 4-6.
func paperHistory() []RunPoint {
	matches := []int{9, 11, 10, 8, 12, 10, 9, 13, 11, 10, 7, 12, 10, 11, 9}
	qber := []float64{0.27, 0.02, 0, 0.05, 0.31, 0.04, 0, 0.22, 0.03, 0.26, 0.02, 0.29, 0.06, 0, 0.03}
	runs := make([]RunPoint, len(matches))
	for i := range matches {
		eve := qber[i] > 0.11
		runs[i] = RunPoint{Qubits: 20, Matches: matches[i], QBER: qber[i], Aborted: eve, EveDetected: eve}
	}
	return runs
}

func chartParts(t *testing.T, c *chart) *chartRenderer {
	t.Helper()
	return test.TempWidgetRenderer(t, c).(*chartRenderer)
}

func TestHistoryChartsMatchingBases(t *testing.T) {
	test.NewTempApp(t)
	h := NewHistoryCharts()
	show(t, h, fyne.NewSize(520, 600))
	runs := paperHistory()
	h.SetRuns(runs, 0.11)
	r := chartParts(t, h.matches)

	if len(r.bars) != len(runs) || len(r.markers) != 0 {
		t.Fatalf("%d bars and %d markers for %d runs", len(r.bars), len(r.markers), len(runs))
	}
	if r.title.Text != TitleMatches || r.yLabel.Text != AxisMatches || r.xLabel.Text != AxisRun {
		t.Errorf("title %q, y label %q, x label %q", r.title.Text, r.yLabel.Text, r.xLabel.Text)
	}
	// Every bar stands on the x axis and its height is proportional to its
	// value, with the axis top (15, the nice ceiling of 13) at the plot's top.
	base := r.plotPos.Y + r.plotSize.Height
	perUnit := r.plotSize.Height / 15
	for i, b := range r.bars {
		want := float32(runs[i].Matches) * perUnit
		if !near(b.Size().Height, want, 0.01) || !near(b.Position().Y+b.Size().Height, base, 0.01) {
			t.Errorf("bar %d: height %v bottom %v, want %v and %v", i+1, b.Size().Height, b.Position().Y+b.Size().Height, want, base)
		}
		if i > 0 && !(b.Position().X > r.bars[i-1].Position().X) {
			t.Errorf("bar %d not right of bar %d", i+1, i)
		}
	}
	var ticks []string
	for _, tk := range r.yTicks {
		ticks = append(ticks, tk.Text)
	}
	if got, want := strconv.Quote(strings.Join(ticks, " ")), strconv.Quote("0 5 10 15"); got != want {
		t.Errorf("y ticks %s, want %s", got, want)
	}
	for i, tk := range r.xTicks {
		if tk.Text != strconv.Itoa(i+1) || tk.Hidden {
			t.Errorf("x tick %d is %q (hidden %v)", i, tk.Text, tk.Hidden)
		}
	}
	if !r.empty.Hidden {
		t.Error("the empty text shows with runs")
	}
	test.AssertObjectRendersToMarkup(t, "history.xml", h)
}

func TestHistoryChartsErrorRateAndThreshold(t *testing.T) {
	test.NewTempApp(t)
	h := NewHistoryCharts()
	show(t, h, fyne.NewSize(520, 600))
	runs := paperHistory()
	h.SetRuns(runs, 0.11)
	r := chartParts(t, h.errors)

	if len(r.bars) != len(runs) {
		t.Fatalf("%d bars for %d runs", len(r.bars), len(runs))
	}
	// The highest QBER is 31%, so the axis tops at 40% in steps of 10%.
	if top := r.yTicks[len(r.yTicks)-1].Text; top != "40%" {
		t.Fatalf("axis top %q, want 40%%", top)
	}
	base := r.plotPos.Y + r.plotSize.Height
	for i, b := range r.bars {
		want := float32(runs[i].QBER*100/40) * r.plotSize.Height
		if !near(b.Size().Height, want, 0.01) {
			t.Errorf("run %d: bar height %v, want %v", i+1, b.Size().Height, want)
		}
		wantColor := testColor(theme.ColorNamePrimary)
		if runs[i].QBER > 0.11 {
			wantColor = testColor(theme.ColorNameError)
		}
		if !sameColor(b.FillColor, wantColor) {
			t.Errorf("run %d (QBER %v): bar colour %v, want %v", i+1, runs[i].QBER, b.FillColor, wantColor)
		}
	}
	wantY := base - r.plotSize.Height*11/40
	if r.refLine.Hidden || !near(r.refLine.Position1.Y, wantY, 0.01) || r.refLine.Position2.Y != r.refLine.Position1.Y {
		t.Errorf("threshold line %v-%v (hidden %v), want horizontal at y=%v", r.refLine.Position1, r.refLine.Position2, r.refLine.Hidden, wantY)
	}
	if r.refLine.Position1.X != r.plotPos.X || !near(r.refLine.Position2.X, r.plotPos.X+r.plotSize.Width, 0.01) {
		t.Errorf("threshold line spans x=%v..%v, want the plot %v..%v", r.refLine.Position1.X, r.refLine.Position2.X, r.plotPos.X, r.plotPos.X+r.plotSize.Width)
	}
	if r.refLabel.Text != "threshold 11%" || r.refLabel.Hidden {
		t.Errorf("threshold label %q hidden %v", r.refLabel.Text, r.refLabel.Hidden)
	}
	if r.title.Text != TitleErrorRate || r.yLabel.Text != AxisQBER {
		t.Errorf("title %q y label %q", r.title.Text, r.yLabel.Text)
	}

	// A threshold of 0 (unknown) draws no line.
	h.SetRuns(runs, 0)
	if !r.refLine.Hidden || !r.refLabel.Hidden {
		t.Error("threshold line drawn for threshold 0")
	}
}

func TestHistoryChartsEavesdropper(t *testing.T) {
	test.NewTempApp(t)
	h := NewHistoryCharts()
	show(t, h, fyne.NewSize(520, 600))
	runs := paperHistory()
	runs[2].Aborted = true // aborted, but not for an eavesdropper
	h.SetRuns(runs, 0.11)
	r := chartParts(t, h.eve)
	if len(r.markers) != len(runs) || len(r.bars) != 0 {
		t.Fatalf("%d markers and %d bars for %d runs", len(r.markers), len(r.bars), len(runs))
	}
	yesY, noY := r.yAt(markerYes), r.yAt(markerNo)
	if !(yesY < noY) {
		t.Fatalf("yes level %v not above no level %v", yesY, noY)
	}
	var yes []int
	for i, m := range r.markers {
		cy := m.Position().Y + m.Size().Height/2
		wantY, wantColor := noY, theme.ColorNameSuccess
		switch {
		case runs[i].EveDetected:
			wantY, wantColor = yesY, theme.ColorNameError
			yes = append(yes, i+1)
		case runs[i].Aborted:
			wantColor = theme.ColorNameWarning
		}
		if !near(cy, wantY, 0.01) || !sameColor(m.FillColor, testColor(wantColor)) {
			t.Errorf("run %d: marker at y=%v colour %v, want y=%v colour %s", i+1, cy, m.FillColor, wantY, wantColor)
		}
	}
	if got := strings.Join(strs(yes), " "); got != "1 5 8 10 12" {
		t.Errorf("eavesdropper detected on runs %s, want 1 5 8 10 12", got)
	}
	if r.yTicks[0].Text != "no" || r.yTicks[1].Text != "yes" || r.title.Text != TitleEve {
		t.Errorf("ticks %q %q title %q", r.yTicks[0].Text, r.yTicks[1].Text, r.title.Text)
	}
}

func strs(v []int) []string {
	var out []string
	for _, x := range v {
		out = append(out, strconv.Itoa(x))
	}
	return out
}

func TestHistoryChartsEmptyAndUpdate(t *testing.T) {
	test.NewTempApp(t)
	h := NewHistoryCharts()
	show(t, h, fyne.NewSize(520, 600))
	for _, c := range []*chart{h.matches, h.errors, h.eve} {
		r := chartParts(t, c)
		if r.empty.Hidden || r.empty.Text != "no exchanges yet" || len(r.bars)+len(r.markers) != 0 {
			t.Errorf("%s: empty text %q hidden %v with %d bars", c.title, r.empty.Text, r.empty.Hidden, len(r.bars))
		}
	}
	test.AssertObjectRendersToMarkup(t, "history_empty.xml", h)

	// Growing and shrinking the history adds and removes bars.
	h.SetRuns(paperHistory(), 0.11)
	h.SetRuns(paperHistory()[:3], 0.11)
	r := chartParts(t, h.matches)
	if len(r.bars) != 3 || len(r.xTicks) != 3 || !r.empty.Hidden {
		t.Fatalf("after 3 runs: %d bars, %d x ticks, empty hidden %v", len(r.bars), len(r.xTicks), r.empty.Hidden)
	}
	n := 0
	for _, o := range r.Objects() {
		for _, b := range r.bars {
			if o == b {
				n++
			}
		}
	}
	if n != 3 {
		t.Errorf("renderer lists %d bars, want 3", n)
	}
	if got := h.Runs(); len(got) != 3 {
		t.Errorf("Runs() has %d runs", len(got))
	}
}

func TestHistoryChartsKeepsTheLastRuns(t *testing.T) {
	test.NewTempApp(t)
	h := NewHistoryCharts()
	show(t, h, fyne.NewSize(700, 600))
	var runs []RunPoint
	for i := 0; i < MaxHistoryRuns+30; i++ {
		runs = append(runs, RunPoint{Qubits: 4096, Matches: 2000 + i, QBER: 0.02})
	}
	h.SetRuns(runs, 0.11)
	r := chartParts(t, h.matches)
	if len(r.bars) != MaxHistoryRuns {
		t.Fatalf("%d bars, want %d", len(r.bars), MaxHistoryRuns)
	}
	if r.xTicks[0].Text != "31" || r.xTicks[len(r.xTicks)-1].Text != "130" {
		t.Errorf("x axis runs %s..%s, want 31..130", r.xTicks[0].Text, r.xTicks[len(r.xTicks)-1].Text)
	}
	if want := "run (last 100 of 130)"; r.xLabel.Text != want {
		t.Errorf("x label %q, want %q", r.xLabel.Text, want)
	}
	// Run numbers are thinned out so that the shown ones never overlap.
	var last float32 = -1
	shown := 0
	for _, tk := range r.xTicks {
		if tk.Hidden {
			continue
		}
		shown++
		w := fyne.MeasureText(tk.Text, tk.TextSize, tk.TextStyle).Width
		left := tk.Position().X + tk.Size().Width/2 - w/2
		if left < last {
			t.Errorf("run number %s overlaps the previous one", tk.Text)
		}
		last = left + w
	}
	if shown < 5 || shown == len(r.xTicks) {
		t.Errorf("%d of %d run numbers shown", shown, len(r.xTicks))
	}
}

func TestNiceScale(t *testing.T) {
	for _, tc := range []struct {
		m, minStep, top, step float64
	}{
		{0, 1, 1, 1},
		{-3, 1, 1, 1},
		{math.NaN(), 1, 1, 1},
		{3, 1, 3, 1},
		{10, 1, 10, 2},
		{13, 1, 15, 5},
		{24.8, 1, 25, 5},
		{31, 1, 40, 10},
		{2100, 1, 2500, 500},
		{0.3, 1, 1, 1},
	} {
		top, step := niceScale(tc.m, tc.minStep)
		if top != tc.top || step != tc.step {
			t.Errorf("niceScale(%v, %v) = %v, %v; want %v, %v", tc.m, tc.minStep, top, step, tc.top, tc.step)
		}
	}
}

// FuzzHistoryCharts draws arbitrary runs, 9 bytes each (matches as a
// big-endian int32, the QBER as float32 bits, and flags), and checks that
// every bar, marker and the threshold line stay inside their plot.
func FuzzHistoryCharts(f *testing.F) {
	f.Add([]byte{}, 0.11, float32(500), float32(600))
	f.Add([]byte{9, 0, 0, 0, 0x3e, 0x80, 0, 0, 3}, 0.11, float32(1), float32(1))
	f.Add([]byte{0xff, 0xff, 0xff, 0x7f, 0x7f, 0xc0, 0, 0, 1}, math.NaN(), float32(0), float32(0))
	test.NewTempApp(f) // one app for all inputs: the widgets never change it
	f.Fuzz(func(t *testing.T, data []byte, threshold float64, w, h float32) {
		if !(w >= 0 && w <= 1e5 && h >= 0 && h <= 1e5) {
			return
		}
		const rec = 9 // int32 matches, float32 QBER, flags
		var runs []RunPoint
		for len(data) >= rec && len(runs) < 3*MaxHistoryRuns {
			runs = append(runs, RunPoint{
				Matches:     int(int32(binary.BigEndian.Uint32(data))),
				QBER:        float64(math.Float32frombits(binary.BigEndian.Uint32(data[4:]))),
				Aborted:     data[8]&1 != 0,
				EveDetected: data[8]&2 != 0,
			})
			data = data[rec:]
		}
		hc := NewHistoryCharts()
		hc.Resize(fyne.NewSize(w, h))
		hc.SetRuns(runs, threshold)
		for _, c := range []*chart{hc.matches, hc.errors, hc.eve} {
			r := test.TempWidgetRenderer(t, c).(*chartRenderer)
			r.Layout(fyne.NewSize(w, h/3))
			top, bottom := r.plotPos.Y, r.plotPos.Y+r.plotSize.Height
			want := len(runs)
			if want > MaxHistoryRuns {
				want = MaxHistoryRuns
			}
			if len(r.bars)+len(r.markers) != want {
				t.Fatalf("%s: %d bars, %d markers for %d runs", c.title, len(r.bars), len(r.markers), len(runs))
			}
			for i, b := range r.bars {
				p, s := b.Position(), b.Size()
				if !(p.Y >= top-0.01 && p.Y+s.Height <= bottom+0.01 && s.Height >= 0) {
					t.Fatalf("%s bar %d at %v size %v outside the plot %v..%v (runs %+v)", c.title, i, p, s, top, bottom, runs[i])
				}
			}
			for i, m := range r.markers {
				cy := m.Position().Y + m.Size().Height/2
				if !(cy >= top && cy <= bottom) {
					t.Fatalf("%s marker %d at y=%v outside the plot", c.title, i, cy)
				}
			}
			if !r.refLine.Hidden && !(r.refLine.Position1.Y >= top-0.01 && r.refLine.Position1.Y <= bottom+0.01) {
				t.Fatalf("threshold line at y=%v outside the plot", r.refLine.Position1.Y)
			}
		}
	})
}
