package widgets

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// Icons the Fyne theme lacks, as Material Design SVGs (Apache 2.0, the
// source of Fyne's own icons). They are wrapped in themed resources so they
// take the theme's colours.
const (
	lockSVG = `<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24" viewBox="0 0 24 24">` +
		`<path d="M18 8h-1V6c0-2.76-2.24-5-5-5S7 3.24 7 6v2H6c-1.1 0-2 .9-2 2v10c0 1.1.9 2 2 2h12c1.1 0 2-.9 2-2V10c0-1.1-.9-2-2-2zm-6 9c-1.1 0-2-.9-2-2s.9-2 2-2 2 .9 2 2-.9 2-2 2zm3.1-9H8.9V6c0-1.71 1.39-3.1 3.1-3.1 1.71 0 3.1 1.39 3.1 3.1v2z"/></svg>`
	doneAllSVG = `<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24" viewBox="0 0 24 24">` +
		`<path d="M18 7l-1.41-1.41-6.34 6.34 1.41 1.41L18 7zm4.24-1.41L11.66 16.17 7.48 12l-1.41 1.41L11.66 19l12-12-1.42-1.41zM.41 13.41L6 19l1.41-1.41L1.83 12 .41 13.41z"/></svg>`
)

// LockIcon returns the padlock shown next to a message's key epoch, in the
// theme's foreground colour.
func LockIcon() fyne.Resource {
	return theme.NewThemedResource(fyne.NewStaticResource("lock.svg", []byte(lockSVG)))
}

// DeliveredIcon returns the double tick of a delivered message, in the
// theme's foreground colour.
func DeliveredIcon() fyne.Resource {
	return theme.NewThemedResource(fyne.NewStaticResource("done_all.svg", []byte(doneAllSVG)))
}
