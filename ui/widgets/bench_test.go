package widgets

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// BenchmarkHistoryChartsSetRuns measures redrawing the history charts with
// a full history (MaxHistoryRuns runs), as after every re-key.
func BenchmarkHistoryChartsSetRuns(b *testing.B) {
	test.NewTempApp(b)
	h := NewHistoryCharts()
	w := test.NewTempWindow(b, h)
	w.Resize(fyne.NewSize(700, 600))
	runs := make([]RunPoint, MaxHistoryRuns)
	for i := range runs {
		runs[i] = RunPoint{Qubits: 4096, Matches: 2000 + i, QBER: float64(i%30) / 100, EveDetected: i%30 > 11}
	}
	b.ResetTimer()
	for b.Loop() {
		h.SetRuns(runs, 0.11)
	}
}

// BenchmarkChatBubbleMinSize measures sizing a bubble with a long message,
// which a chat list does for every visible message.
func BenchmarkChatBubbleMinSize(b *testing.B) {
	test.NewTempApp(b)
	c := NewChatBubble(ChatMessage{Sender: "Dr. Ada Okafor", Text: "The scan shows nothing alarming, but I would like a second opinion from cardiology before we decide on the next step.", Epoch: 3})
	test.NewTempWindow(b, c)
	for b.Loop() {
		c.MinSize()
	}
}
