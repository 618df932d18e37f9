package widgets

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// TestHistoryLegendNamesEveryColour: every colour the history charts
// paint a run in has a line in the legend, the orange marker included.
func TestHistoryLegendNamesEveryColour(t *testing.T) {
	runs := []RunPoint{{Matches: 10, QBER: 0.01}, {Matches: 9, QBER: 0.25, Aborted: true, EveDetected: true},
		{Matches: 8, QBER: 0.07, Aborted: true}}
	m, e, v := historyData(runs, 0.11)
	inLegend := map[fyne.ThemeColorName]string{}
	for _, l := range HistoryLegend {
		inLegend[l.Color] = l.Text
	}
	for _, d := range []chartData{m, e, v} {
		for _, c := range d.colors {
			if inLegend[c] == "" {
				t.Errorf("colour %s is drawn but not in the legend", c)
			}
		}
	}
	if !strings.Contains(inLegend["warning"], "Orange") {
		t.Errorf("the orange marker is not explained: %q", inLegend["warning"])
	}
	test.NewTempApp(t)
	l := NewLegend(HistoryLegend)
	w := test.NewTempWindow(t, l)
	w.Resize(fyne.NewSize(300, 400))
	if got := l.Texts(); len(got) != len(HistoryLegend) || got[3] != HistoryLegend[3].Text {
		t.Errorf("legend shows %q", got)
	}
}
