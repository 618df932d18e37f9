package assets

import (
	_ "embed"

	"fyne.io/fyne/v2"
)

//go:embed icon.svg
var iconSVG []byte

//go:embed icon.png
var iconPNG []byte

// Icon returns the application icon as a PNG resource, suitable for
// fyne.App.SetIcon and window icons.
func Icon() fyne.Resource {
	return fyne.NewStaticResource("icon.png", iconPNG)
}

// IconSVG returns the scalable application icon.
func IconSVG() fyne.Resource {
	return fyne.NewStaticResource("icon.svg", iconSVG)
}
