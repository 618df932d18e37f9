package widgets

import (
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// ProgressRow is one line of long-running work, such as an attachment
// being sent or the ledger being verified: a name on the left, a progress
// bar, and a short status on the right ("3.2 of 8 MB", "done").
//
// Use it from the Fyne UI goroutine only; see the package documentation.
type ProgressRow struct {
	widget.BaseWidget

	name   *widget.Label
	bar    *widget.ProgressBar
	status *widget.Label
}

// NewProgressRow returns a row for the work called name, at 0%.
func NewProgressRow(name string) *ProgressRow {
	p := &ProgressRow{
		name:   widget.NewLabel(name),
		bar:    widget.NewProgressBar(),
		status: widget.NewLabel(""),
	}
	p.name.Truncation = fyne.TextTruncateEllipsis
	p.ExtendBaseWidget(p)
	return p
}

// SetProgress shows fraction (0..1; NaN counts as 0, values outside are
// clamped) and a status text.
func (p *ProgressRow) SetProgress(fraction float64, status string) {
	if math.IsNaN(fraction) || fraction < 0 {
		fraction = 0
	}
	p.bar.SetValue(math.Min(fraction, 1))
	p.status.SetText(status)
}

// Progress returns the fraction and status shown.
func (p *ProgressRow) Progress() (fraction float64, status string) {
	return p.bar.Value, p.status.Text
}

// Name returns the name of the work.
func (p *ProgressRow) Name() string { return p.name.Text }

// CreateRenderer is a private method to Fyne which links this widget to its
// renderer.
func (p *ProgressRow) CreateRenderer() fyne.WidgetRenderer {
	p.ExtendBaseWidget(p)
	// The name and the bar share the width the status leaves.
	left := container.NewGridWithColumns(2, p.name, p.bar)
	return widget.NewSimpleRenderer(container.NewBorder(nil, nil, nil, p.status, left))
}
