package widgets

import (
	"image/color"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Basis is a BB84 measurement basis.
type Basis uint8

// The two BB84 bases.
const (
	BasisZ Basis = iota // rectilinear: |0>, |1>
	BasisX              // diagonal: |+>, |->
)

// String returns "Z" or "X", or "?" for an invalid value.
func (b Basis) String() string {
	switch b {
	case BasisZ:
		return "Z"
	case BasisX:
		return "X"
	}
	return "?"
}

// QubitRow is one qubit of a BB84 exchange as shown in a QubitTable. The
// zero value of the "Unknown" fields means the value is known to this side.
type QubitRow struct {
	Index int // position of the qubit in the exchange; the # column shows Index+1

	AliceBit        int   // the bit Alice encoded, 0 or 1
	AliceBitUnknown bool  // this side does not know Alice's bit: shows "?"
	AliceBasis      Basis // the basis Alice encoded it in

	BobBasis         Basis // the basis Bob measured in
	BobResult        int   // the bit Bob measured, 0 or 1
	BobResultUnknown bool  // this side does not know Bob's result: shows "?"
	Detected         bool  // Bob's detector clicked; false shows "lost"

	Sampled bool // the bit was disclosed to estimate the QBER
	Error   bool // Alice's and Bob's bits differ; the row is highlighted
}

// Match reports whether the qubit reached Bob and both used the same basis.
func (q QubitRow) Match() bool { return q.Detected && q.AliceBasis == q.BobBasis }

// Column indexes of a QubitTable.
const (
	ColIndex = iota
	ColAliceBit
	ColAliceBasis
	ColBobBasis
	ColBobResult
	ColMatch
	ColKept
	ColSample
	ColError
	numQubitCols
)

// QubitColumns returns the column headers of a QubitTable, in order.
func QubitColumns() []string {
	return []string{"#", "Alice bit", "Alice basis", "Bob basis", "Bob result", "match", "kept", "sample", "error"}
}

// Cell texts of a QubitTable that are not numbers or bases.
const (
	CellLost      = "lost"
	CellUnknown   = "?"
	CellNone      = "-"
	CellYes       = "yes"
	CellNo        = "no"
	CellKept      = "kept"
	CellDiscarded = "discarded"
	CellSample    = "sample"
	CellError     = "error"
	CellOK        = "ok"
)

// Text returns the text of column col of the row, or "" for a column out of
// range.
func (q QubitRow) Text(col int) string {
	bit := func(b int, unknown bool) string {
		if unknown {
			return CellUnknown
		}
		if b != 0 {
			return "1"
		}
		return "0"
	}
	switch col {
	case ColIndex:
		return strconv.Itoa(q.Index + 1)
	case ColAliceBit:
		return bit(q.AliceBit, q.AliceBitUnknown)
	case ColAliceBasis:
		return q.AliceBasis.String()
	case ColBobBasis:
		return q.BobBasis.String()
	case ColBobResult:
		if !q.Detected {
			return CellLost
		}
		return bit(q.BobResult, q.BobResultUnknown)
	case ColMatch:
		switch {
		case !q.Detected:
			return CellNone
		case q.Match():
			return CellYes
		}
		return CellNo
	case ColKept:
		if q.Match() {
			return CellKept
		}
		return CellDiscarded
	case ColSample:
		if q.Sampled {
			return CellSample
		}
		return ""
	case ColError:
		switch {
		case q.Error:
			return CellError
		case q.Sampled:
			return CellOK
		}
		return ""
	}
	return ""
}

// QubitTable is a scrollable table of the first qubits of a BB84 exchange
// with the columns of QubitColumns. Rows whose bits differ are highlighted
// in the theme's error colour; discarded qubits are drawn dimmed.
//
// Use it from the Fyne UI goroutine only; see the package documentation.
type QubitTable struct {
	widget.BaseWidget

	rows  []QubitRow
	table *widget.Table
}

// NewQubitTable returns an empty table with its header row.
func NewQubitTable() *QubitTable {
	q := &QubitTable{}
	q.ExtendBaseWidget(q)
	t := widget.NewTable(
		func() (int, int) { return len(q.rows), numQubitCols },
		func() fyne.CanvasObject { return newQubitCell() },
		func(id widget.TableCellID, o fyne.CanvasObject) {
			cell := o.(*qubitCell)
			if id.Row < 0 || id.Row >= len(q.rows) {
				cell.set("", -1, false, false, false)
				return
			}
			r := q.rows[id.Row]
			cell.set(r.Text(id.Col), id.Row, false, r.Error, !r.Match())
		})
	t.ShowHeaderRow = true
	t.CreateHeader = func() fyne.CanvasObject { return newQubitCell() }
	t.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		text := ""
		if id.Col >= 0 && id.Col < numQubitCols {
			text = QubitColumns()[id.Col]
		}
		o.(*qubitCell).set(text, -1, true, false, false)
	}
	q.table = t
	q.sizeColumns()
	return q
}

// SetRows shows rows, in order. The slice is copied.
func (q *QubitTable) SetRows(rows []QubitRow) {
	q.rows = append([]QubitRow(nil), rows...)
	q.table.Refresh()
	q.Refresh()
}

// Rows returns a copy of the rows shown.
func (q *QubitTable) Rows() []QubitRow { return append([]QubitRow(nil), q.rows...) }

// CellText returns the text of the cell at row (0-based, excluding the
// header) and column col, or "" outside the table.
func (q *QubitTable) CellText(row, col int) string {
	if row < 0 || row >= len(q.rows) {
		return ""
	}
	return q.rows[row].Text(col)
}

// sizeColumns makes every column as wide as its header or its widest text.
func (q *QubitTable) sizeColumns() {
	th := q.Theme()
	size := th.Size(theme.SizeNameText)
	// An inner padding each side keeps the nine columns within the BB84
	// tab's left column at 1400x900.
	pad := th.Size(theme.SizeNameInnerPadding) + th.Size(theme.SizeNamePadding)
	widest := map[int]string{
		ColIndex:  "0000",
		ColKept:   CellDiscarded,
		ColSample: CellSample,
		ColError:  CellError,
	}
	for col, head := range QubitColumns() {
		w := fyne.MeasureText(head, size, fyne.TextStyle{Bold: true}).Width
		if s, ok := widest[col]; ok {
			w = fyne.Max(w, fyne.MeasureText(s, size, fyne.TextStyle{}).Width)
		}
		q.table.SetColumnWidth(col, w+pad)
	}
}

// CreateRenderer is a private method to Fyne which links this widget to its
// renderer.
func (q *QubitTable) CreateRenderer() fyne.WidgetRenderer {
	q.ExtendBaseWidget(q)
	return widget.NewSimpleRenderer(q.table)
}

// qubitCell is one cell of a QubitTable: a centred text over a background
// that highlights error rows.
type qubitCell struct {
	widget.BaseWidget
	bg   *canvas.Rectangle
	text *canvas.Text

	row         int // data row shown, -1 for the header
	header      bool
	highlighted bool
	dimmed      bool
}

func newQubitCell() *qubitCell {
	c := &qubitCell{bg: canvas.NewRectangle(color.Transparent), text: canvas.NewText("", color.Black), row: -1}
	c.text.Alignment = fyne.TextAlignCenter
	c.ExtendBaseWidget(c)
	return c
}

func (c *qubitCell) set(text string, row int, header, highlighted, dimmed bool) {
	c.row, c.header, c.highlighted, c.dimmed = row, header, highlighted, dimmed
	c.text.Text = text
	c.Refresh()
}

// CreateRenderer is a private method to Fyne which links this widget to its
// renderer.
func (c *qubitCell) CreateRenderer() fyne.WidgetRenderer {
	c.ExtendBaseWidget(c)
	r := &qubitCellRenderer{c: c}
	r.update()
	return r
}

type qubitCellRenderer struct{ c *qubitCell }

func (r *qubitCellRenderer) update() {
	c := r.c
	th := c.Theme()
	c.text.TextSize = th.Size(theme.SizeNameText)
	c.text.TextStyle.Bold = c.header || c.highlighted
	c.text.Color = themeColor(th, theme.ColorNameForeground)
	if c.dimmed && !c.highlighted {
		c.text.Color = themeColor(th, theme.ColorNamePlaceHolder)
	}
	c.bg.FillColor = color.Transparent
	if c.highlighted {
		c.bg.FillColor = withAlpha(themeColor(th, theme.ColorNameError), 0x48)
	}
}

func (r *qubitCellRenderer) Layout(size fyne.Size) {
	r.c.bg.Resize(size)
	ts := fyne.MeasureText(r.c.text.Text, r.c.text.TextSize, r.c.text.TextStyle)
	r.c.text.Move(fyne.NewPos(0, (size.Height-ts.Height)/2))
	r.c.text.Resize(fyne.NewSize(size.Width, ts.Height))
}

func (r *qubitCellRenderer) MinSize() fyne.Size {
	pad := 2 * r.c.Theme().Size(theme.SizeNameInnerPadding)
	ts := fyne.MeasureText(r.c.text.Text, r.c.text.TextSize, r.c.text.TextStyle)
	return fyne.NewSize(ts.Width+pad, fyne.MeasureText("0", r.c.text.TextSize, fyne.TextStyle{}).Height+pad)
}

func (r *qubitCellRenderer) Refresh() {
	r.update()
	r.Layout(r.c.Size())
	r.c.bg.Refresh()
	r.c.text.Refresh()
}

func (r *qubitCellRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.c.bg, r.c.text}
}

func (r *qubitCellRenderer) Destroy() {}
