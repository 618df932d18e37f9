package widgets

import (
	"math"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// MaxHistoryRuns is the number of most recent runs HistoryCharts draws; older
// runs are left out and the x axis keeps the runs' original numbers.
const MaxHistoryRuns = 100

// Titles and axis labels of the three charts of HistoryCharts.
const (
	TitleMatches   = "Matching bases per run"
	TitleErrorRate = "Error rate per run"
	TitleEve       = "Eavesdropper detected"
	AxisRun        = "run"
	AxisMatches    = "matching bases"
	AxisQBER       = "QBER"
	AxisDetected   = "detected"
	noRunsText     = "no exchanges yet"
	minErrorAxis   = 10 // the error-rate axis reaches at least 10%
)

// Marker levels of the eavesdropper chart, on a 0..1 axis.
const (
	markerYes = 0.75
	markerNo  = 0.25
)

// RunPoint is one BB84 exchange (a "run" or "observation" in the paper)
// shown by HistoryCharts.
type RunPoint struct {
	Qubits      int     // photons Alice sent
	Matches     int     // positions where Alice's and Bob's bases matched
	QBER        float64 // estimated quantum bit error rate, a fraction (0.25 for 25%)
	Aborted     bool    // the exchange refused to produce a key, for any reason
	EveDetected bool    // it refused because the QBER pointed to an eavesdropper
}

// HistoryCharts draws the history of a session's BB84 exchanges as three
// small charts stacked vertically, like Fig. 4-6 of the paper: the number of
// matching bases per run (bars), the error rate per run (bars, red above the
// abort threshold, which is drawn as a horizontal line), and whether an
// eavesdropper was detected (a red "yes" or green "no" marker per run; an
// orange "no" marks a run that aborted for another reason).
//
// Use it from the Fyne UI goroutine only; see the package documentation.
type HistoryCharts struct {
	widget.BaseWidget

	runs                 []RunPoint
	threshold            float64
	matches, errors, eve *chart
}

// NewHistoryCharts returns charts showing "no exchanges yet".
func NewHistoryCharts() *HistoryCharts {
	h := &HistoryCharts{
		matches: newChart(TitleMatches, AxisMatches, AxisRun, chartBars),
		errors:  newChart(TitleErrorRate, AxisQBER, AxisRun, chartBars),
		eve:     newChart(TitleEve, AxisDetected, AxisRun, chartMarkers),
	}
	h.ExtendBaseWidget(h)
	h.apply()
	return h
}

// SetRuns shows runs, oldest first, with the abort threshold (a fraction)
// as a line on the error-rate chart; a threshold <= 0 or NaN draws no line. Only the last MaxHistoryRuns are drawn.
// The slice is copied.
func (h *HistoryCharts) SetRuns(runs []RunPoint, threshold float64) {
	h.runs = append([]RunPoint(nil), runs...)
	h.threshold = threshold
	h.apply()
}

// Runs returns a copy of the runs last set.
func (h *HistoryCharts) Runs() []RunPoint { return append([]RunPoint(nil), h.runs...) }

func (h *HistoryCharts) apply() {
	m, e, v := historyData(h.runs, h.threshold)
	h.matches.setData(m)
	h.errors.setData(e)
	h.eve.setData(v)
}

// CreateRenderer is a private method to Fyne which links this widget to its
// renderer.
func (h *HistoryCharts) CreateRenderer() fyne.WidgetRenderer {
	h.ExtendBaseWidget(h)
	return widget.NewSimpleRenderer(container.NewGridWithRows(3, h.matches, h.errors, h.eve))
}

// historyData computes the three charts' data from runs.
func historyData(runs []RunPoint, threshold float64) (matches, errs, eve chartData) {
	first, note := 1, ""
	if len(runs) > MaxHistoryRuns {
		first = len(runs) - MaxHistoryRuns + 1
		note = " (last " + strconv.Itoa(MaxHistoryRuns) + " of " + strconv.Itoa(len(runs)) + ")"
		runs = runs[len(runs)-MaxHistoryRuns:]
	}
	n := len(runs)
	matches = chartData{firstRun: first, empty: noRunsText, xNote: note,
		values: make([]float64, n), colors: make([]fyne.ThemeColorName, n)}
	errs = chartData{firstRun: first, empty: noRunsText, xNote: note,
		values: make([]float64, n), colors: make([]fyne.ThemeColorName, n)}
	eve = chartData{firstRun: first, empty: noRunsText, xNote: note,
		values: make([]float64, n), colors: make([]fyne.ThemeColorName, n),
		yMax: 1, ticks: []tick{{markerNo, "no"}, {markerYes, "yes"}}}

	thrPct := threshold * 100
	hasThr := finite(thrPct) && thrPct > 0
	maxMatch, maxPct := 0.0, float64(minErrorAxis)
	if hasThr {
		maxPct = math.Max(maxPct, math.Min(thrPct, 100))
	}
	for i, r := range runs {
		m := math.Max(float64(r.Matches), 0)
		matches.values[i] = m
		matches.colors[i] = theme.ColorNamePrimary
		maxMatch = math.Max(maxMatch, m)

		q := clampPct(r.QBER * 100)
		errs.values[i] = q
		errs.colors[i] = theme.ColorNamePrimary
		if hasThr && q > thrPct {
			errs.colors[i] = theme.ColorNameError
		}
		maxPct = math.Max(maxPct, q)

		switch {
		case r.EveDetected:
			eve.values[i], eve.colors[i] = markerYes, theme.ColorNameError
		case r.Aborted:
			eve.values[i], eve.colors[i] = markerNo, theme.ColorNameWarning
		default:
			eve.values[i], eve.colors[i] = markerNo, theme.ColorNameSuccess
		}
	}

	var step float64
	matches.yMax, step = niceScale(maxMatch, 1)
	for i := 0.0; i <= math.Round(matches.yMax/step); i++ {
		v := i * step
		matches.ticks = append(matches.ticks, tick{v, strconv.FormatFloat(v, 'f', -1, 64)})
	}
	errs.yMax, step = niceScale(maxPct, 1)
	errs.yMax = math.Min(errs.yMax, 100)
	for i := 0.0; i <= math.Round(errs.yMax/step); i++ {
		v := i * step
		errs.ticks = append(errs.ticks, tick{v, FormatPercent(v / 100)})
	}
	if hasThr {
		errs.hasRef = true
		errs.refValue = math.Min(thrPct, 100)
		errs.refLabel = "threshold " + FormatPercent(threshold)
		errs.refColor = theme.ColorNameError
	}
	return matches, errs, eve
}

// clampPct maps a percentage to 0..100, NaN to 0.
func clampPct(p float64) float64 {
	if math.IsNaN(p) || p < 0 {
		return 0
	}
	return math.Min(p, 100)
}

// niceScale returns the top of an axis showing 0..m and the distance between
// its ticks: a step of 1, 2 or 5 times a power of ten, no smaller than
// minStep, giving at most five steps. m <= 0 gives an axis of one minStep.
func niceScale(m, minStep float64) (top, step float64) {
	if !(m > 0) || math.IsInf(m, 1) {
		if math.IsInf(m, 1) {
			m = math.MaxFloat64 / 16
		} else {
			return minStep, minStep
		}
	}
	mag := math.Pow(10, math.Floor(math.Log10(m/5)))
	for _, f := range []float64{1, 2, 5, 10} {
		step = math.Max(f*mag, minStep)
		if math.Ceil(m/step) <= 5 {
			break
		}
	}
	return math.Ceil(m/step) * step, step
}
