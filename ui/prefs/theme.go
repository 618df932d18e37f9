package prefs

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// Theme choices of the Settings pane.
const (
	ThemeSystem = "system"
	ThemeLight  = "light"
	ThemeDark   = "dark"
)

// variantTheme is the default Fyne theme pinned to one variant, so that the
// user can choose light or dark regardless of the desktop's setting.
type variantTheme struct {
	fyne.Theme
	variant fyne.ThemeVariant
}

func (t variantTheme) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	return t.Theme.Color(n, t.variant)
}

// ThemeFor returns the theme for a Settings choice: ThemeLight, ThemeDark,
// or anything else for the desktop's own variant.
func ThemeFor(choice string) fyne.Theme {
	switch choice {
	case ThemeLight:
		return variantTheme{Theme: theme.DefaultTheme(), variant: theme.VariantLight}
	case ThemeDark:
		return variantTheme{Theme: theme.DefaultTheme(), variant: theme.VariantDark}
	default:
		return theme.DefaultTheme()
	}
}

// ApplyTheme sets the app's theme to a Settings choice.
func ApplyTheme(a fyne.App, choice string) {
	a.Settings().SetTheme(ThemeFor(choice))
}
