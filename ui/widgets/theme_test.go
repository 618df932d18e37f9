package widgets

import (
	"image/color"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
)

// TestWidgetsFollowTheTheme switches a window holding every widget between
// the light and dark themes and checks that each picks the new colours.
func TestWidgetsFollowTheTheme(t *testing.T) {
	test.NewTempApp(t)
	g := NewQBERGauge()
	g.Set(0.05, 0.11, false)
	b := NewBlochSphere()
	b.SetVector(0, 0, 1, "|0>")
	h := NewHistoryCharts()
	h.SetRuns([]RunPoint{{Qubits: 20, Matches: 10, QBER: 0.3, Aborted: true, EveDetected: true}}, 0.11)
	c := NewChatBubble(ChatMessage{Sender: "A", Text: "hi", Epoch: 1})
	q := NewQubitTable()
	q.SetRows([]QubitRow{{AliceBasis: BasisZ, BobBasis: BasisZ, Detected: true, Error: true}})
	show(t, container.NewVBox(g, b, h, c, q), fyne.NewSize(600, 1400))

	gr := gaugeParts(t, g)
	br := blochParts(t, b)
	hr := chartParts(t, h.errors)
	cr := bubbleParts(t, c)
	for _, th := range []fyne.Theme{theme.LightTheme(), theme.DarkTheme(), theme.LightTheme()} {
		test.ApplyTheme(t, th)
		v := fyne.CurrentApp().Settings().ThemeVariant()
		col := func(n fyne.ThemeColorName) color.Color { return th.Color(n, v) }
		checks := []struct {
			what      string
			got, want color.Color
		}{
			{"gauge fill", gr.fill.FillColor, col(theme.ColorNameSuccess)},
			{"gauge scale text", gr.zeroText.Color, col(theme.ColorNameForeground)},
			{"sphere outline", br.outline.StrokeColor, col(theme.ColorNameForeground)},
			{"sphere vector", br.vector.StrokeColor, col(theme.ColorNamePrimary)},
			{"chart bar over the threshold", hr.bars[0].FillColor, col(theme.ColorNameError)},
			{"chart title", hr.title.Color, col(theme.ColorNameForeground)},
			{"incoming bubble", cr.bg.FillColor, col(theme.ColorNameInputBackground)},
		}
		for _, ck := range checks {
			if !sameColor(ck.got, ck.want) {
				t.Errorf("variant %v: %s is %v, want %v", v, ck.what, ck.got, ck.want)
			}
		}
	}
}
