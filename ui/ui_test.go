package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// labelTexts collects the text of every label below o.
func labelTexts(o fyne.CanvasObject) []string {
	var out []string
	var walk func(fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch v := o.(type) {
		case *widget.Label:
			out = append(out, v.Text)
		case *fyne.Container:
			for _, c := range v.Objects {
				walk(c)
			}
		}
	}
	walk(o)
	return out
}

func TestMainWindowShowsNameAndVersion(t *testing.T) {
	a := test.NewTempApp(t)
	w := NewMainWindow(a, "9.8.7")
	defer w.Close()
	if w.Title() != "QKD Chat" {
		t.Fatalf("title %q", w.Title())
	}
	if w.Canvas().Size().Width < DefaultWindowSize.Width {
		t.Fatalf("window is %v, want at least %v", w.Canvas().Size(), DefaultWindowSize)
	}
	all := strings.Join(labelTexts(w.Content()), "\n")
	for _, want := range []string{"QKD Chat", "Version 9.8.7", "simulated BB84"} {
		if !strings.Contains(all, want) {
			t.Errorf("window lacks %q; labels:\n%s", want, all)
		}
	}
}
