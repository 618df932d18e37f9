package widgets

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// themeColor looks up a named colour of th in the variant (light or dark)
// the running app uses.
func themeColor(th fyne.Theme, name fyne.ThemeColorName) color.Color {
	v := theme.VariantDark
	if a := fyne.CurrentApp(); a != nil {
		v = a.Settings().ThemeVariant()
	}
	return th.Color(name, v)
}

// withAlpha returns c with its alpha scaled to alpha/255 of the original.
func withAlpha(c color.Color, alpha uint8) color.Color {
	r, g, b, a := c.RGBA()
	if a == 0 {
		return color.NRGBA{}
	}
	// Un-premultiply to 8 bits, then apply the new alpha.
	nr := uint8(r * 0xff / a)
	ng := uint8(g * 0xff / a)
	nb := uint8(b * 0xff / a)
	na := uint8(uint32(alpha) * (a >> 8) / 0xff)
	return color.NRGBA{R: nr, G: ng, B: nb, A: na}
}
