// Package prefs holds the desktop user's choices that live in the Fyne
// preferences rather than in the node's profile: the default listening
// port, the rekey interval, the BB84 abort threshold, notifications and
// the light, dark or system theme. Load repairs missing or bad values;
// Validate says which value is out of range, in words.
package prefs
