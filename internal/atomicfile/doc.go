// Package atomicfile writes files so that a crash or a full disk leaves
// either the old content or the new, never a torn file: the data goes to a
// temporary file in the same directory, is fsynced, then renamed over the
// target (Replace) or linked to a name that must not exist yet
// (CreateOnly), and the directory is fsynced so the new name survives a
// power cut. It is the one atomic-write helper of qkdchat.
package atomicfile
