package widgets

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
)

// exchangeRows is the start of an exchange seen from a simulation that
// knows both sides.
func exchangeRows() []QubitRow {
	return []QubitRow{
		{Index: 0, AliceBit: 0, AliceBasis: BasisZ, BobBasis: BasisZ, BobResult: 0, Detected: true, Sampled: true},
		{Index: 1, AliceBit: 1, AliceBasis: BasisX, BobBasis: BasisZ, BobResult: 0, Detected: true},
		{Index: 2, AliceBit: 1, AliceBasis: BasisX, BobBasis: BasisX, BobResult: 1, Detected: true},
		{Index: 3, AliceBit: 0, AliceBasis: BasisZ, BobBasis: BasisX, Detected: false},
		{Index: 4, AliceBit: 1, AliceBasis: BasisZ, BobBasis: BasisZ, BobResult: 0, Detected: true, Sampled: true, Error: true},
		{Index: 5, AliceBitUnknown: true, AliceBasis: BasisX, BobBasis: BasisX, BobResult: 1, Detected: true},
		{Index: 6, AliceBit: 0, AliceBasis: BasisZ, BobBasis: BasisZ, BobResultUnknown: true, Detected: true},
	}
}

func TestQubitRowTexts(t *testing.T) {
	want := []string{
		"1 0 Z Z 0 yes kept sample ok",
		"2 1 X Z 0 no discarded  ",
		"3 1 X X 1 yes kept  ",
		"4 0 Z X lost - discarded  ",
		"5 1 Z Z 0 yes kept sample error",
		"6 ? X X 1 yes kept  ",
		"7 0 Z Z ? yes kept  ",
	}
	q := NewQubitTable()
	q.SetRows(exchangeRows())
	for i := range want {
		var cells []string
		for c := 0; c < len(QubitColumns()); c++ {
			cells = append(cells, q.CellText(i, c))
		}
		if got := strings.Join(cells, " "); got != want[i] {
			t.Errorf("row %d: %q, want %q", i, got, want[i])
		}
	}
	for _, rc := range [][2]int{{-1, 0}, {7, 0}, {0, -1}, {0, 9}} {
		if got := q.CellText(rc[0], rc[1]); got != "" {
			t.Errorf("CellText(%d, %d) = %q outside the table", rc[0], rc[1], got)
		}
	}
	if s := Basis(9).String(); s != "?" {
		t.Errorf("Basis(9) = %q", s)
	}
}

// renderedCells returns the text of every data cell drawn, by row, and
// whether the row is highlighted; and the header texts drawn.
func renderedCells(o fyne.CanvasObject) (rows map[int][]*qubitCell, header []string) {
	rows = map[int][]*qubitCell{}
	walk(o, func(obj fyne.CanvasObject) {
		c, ok := obj.(*qubitCell)
		if !ok || !c.Visible() {
			return
		}
		if c.header {
			header = append(header, c.text.Text)
			return
		}
		rows[c.row] = append(rows[c.row], c)
	})
	return rows, header
}

func TestQubitTableRendersRowsAndHighlightsErrors(t *testing.T) {
	test.NewTempApp(t)
	q := NewQubitTable()
	show(t, q, fyne.NewSize(820, 400))
	q.SetRows(exchangeRows())

	rows, header := renderedCells(q)
	if got, want := strings.Join(header, "|"), strings.Join(QubitColumns(), "|"); got != want {
		t.Errorf("header %q, want %q", got, want)
	}
	if len(rows) != len(exchangeRows()) {
		t.Fatalf("%d rows drawn, want %d", len(rows), len(exchangeRows()))
	}
	errBg := withAlpha(testColor(theme.ColorNameError), 0x48)
	fg, dim := testColor(theme.ColorNameForeground), testColor(theme.ColorNamePlaceHolder)
	for i, r := range exchangeRows() {
		cells := rows[i]
		if len(cells) != len(QubitColumns()) {
			t.Fatalf("row %d: %d cells drawn", i, len(cells))
		}
		texts := map[string]bool{}
		for _, c := range cells {
			texts[c.text.Text] = true
			highlighted := !sameColor(c.bg.FillColor, sameTransparent)
			if highlighted != r.Error || (r.Error && !sameColor(c.bg.FillColor, errBg)) {
				t.Errorf("row %d cell %q: background %v, error row %v", i, c.text.Text, c.bg.FillColor, r.Error)
			}
			wantFg := fg
			if !r.Match() && !r.Error {
				wantFg = dim
			}
			if !sameColor(c.text.Color, wantFg) {
				t.Errorf("row %d cell %q: colour %v, want %v", i, c.text.Text, c.text.Color, wantFg)
			}
		}
		for col := range QubitColumns() {
			if want := r.Text(col); !texts[want] {
				t.Errorf("row %d: cell %q not drawn", i, want)
			}
		}
	}
	test.AssertObjectRendersToMarkup(t, "qubit_table.xml", q)

	// Replacing the rows redraws the table.
	q.SetRows(exchangeRows()[:2])
	rows, _ = renderedCells(q)
	if len(rows) != 2 {
		t.Errorf("%d rows drawn after SetRows with 2", len(rows))
	}
	if got := q.Rows(); len(got) != 2 || got[1] != exchangeRows()[1] {
		t.Errorf("Rows() = %+v", got)
	}
}
