// Package widgets holds the self-contained visual pieces of the QKD Chat
// desktop app: a Bloch sphere, the BB84 history charts, the qubit table, the
// QBER gauge, chat bubbles, the compose entry, unread badges, progress rows,
// an attachment picker, copy rows, label lists and a shrinking layout.
//
// Each widget is driven by a small plain view-model (RunPoint, QubitRow,
// ChatMessage, …) defined here, so the package depends on Fyne only and never on
// the app, qkd or ledger packages; package ui converts the engine's state into
// these values.
//
// Like every Fyne widget, these must be created and updated on the Fyne UI
// goroutine. Code running on another goroutine (a BB84 exchange, a network
// reader) must wrap its calls in fyne.Do:
//
//	fyne.Do(func() { gauge.Set(qber, threshold, aborted) })
//
// All drawing uses the colours and sizes of the widget's theme, so the widgets
// follow light, dark and custom themes. Out-of-range input (NaN, negative
// counts, a vector longer than 1) is clamped for display and never panics.
package widgets
