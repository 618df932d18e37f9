// Package files shows the attachments of messages and cases: a name and
// a size in human units ("chest-xray.png · 5.0 MB") with Open and Save…
// buttons, and the SHA-256 digest only in a details view.
//
// Open decrypts the file into a private temporary directory (mode 0700,
// one subdirectory per opening, the file mode 0600) under its own name
// and asks the operating system to open it through a Launcher; Save…
// asks for a destination through a SaveAsker and writes the file there
// atomically (a temporary file in the same directory, synced, then
// renamed). Both report errors that name the file. Tests pass fakes for
// the Launcher and the SaveAsker; the app passes AppLauncher and
// DialogSaver.
package files
