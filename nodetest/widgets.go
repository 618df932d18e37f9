package nodetest

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// Walk calls f on o and every object below it, in tree order: the
// objects of containers, the content of scrolls and cards, the widgets
// of forms, both sides of splits and every tab's content.
func Walk(o fyne.CanvasObject, f func(fyne.CanvasObject)) {
	if o == nil {
		return
	}
	f(o)
	switch v := o.(type) {
	case *widget.Card:
		Walk(v.Content, f)
	case *widget.Form:
		for _, it := range v.Items {
			Walk(it.Widget, f)
		}
	case *fyne.Container:
		for _, c := range v.Objects {
			Walk(c, f)
		}
	case *container.Scroll:
		Walk(v.Content, f)
	case *container.Split:
		Walk(v.Leading, f)
		Walk(v.Trailing, f)
	case *container.AppTabs:
		for _, it := range v.Items {
			Walk(it.Content, f)
		}
	}
}

// FindButton is the first button labelled text below o (see Walk), or
// nil.
func FindButton(o fyne.CanvasObject, text string) *widget.Button {
	var found *widget.Button
	Walk(o, func(o fyne.CanvasObject) {
		if b, ok := o.(*widget.Button); ok && found == nil && b.Text == text {
			found = b
		}
	})
	return found
}
