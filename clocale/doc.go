// Package clocale lets Fyne read the C locale without complaint.
//
// Fyne's lang package looks up the user's language when it is initialised,
// before main runs. Under LANG=C.UTF-8 (the default in many containers and
// minimal installs) it asks golang.org/x/text to parse the language "C",
// which fails, and logs three "Fyne error: Error parsing user locale C"
// lines on stderr for every command, even `qkdchat version`.
//
// Importing this package for its side effect fixes that: its init runs
// before Fyne's because Go initialises, among the packages whose imports
// are ready, the one first in import-path order ("clocale" sorts before
// "fyne.io"), and it imports only packages that Fyne's lang package imports
// too. When the locale in force (LC_ALL, LC_MESSAGES or LANG, the first
// one set) is C or POSIX with an encoding suffix and LANGUAGE is unset, it
// sets LANGUAGE=en, which Fyne then reads instead. That changes nothing
// else: the C locale's messages are English, and gettext ignores LANGUAGE
// under the C locale.
//
// It is its own module (replaced by this directory in the main go.mod) only
// so that its import path can sort before fyne.io.
package clocale
