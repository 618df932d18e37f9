// Package assets holds the resources bundled into the QKD Chat binary:
// the application icon as SVG (for the UI) and PNG (for window managers and
// packaging).
package assets
