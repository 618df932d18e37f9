// Package app is the engine of QKD Chat: identities, peer sessions, the
// BB84 key exchange over the network, chat and the telehealth workflow. It
// exposes state and a stream of events; package ui renders them and the
// headless CLI (package app/cli) prints them. It never imports Fyne.
package app

import (
	"fmt"
	"os"
	"path/filepath"
)

// Files inside a data directory. The Ed25519 identity files are owned by
// package ledger (ledger.LoadOrCreateIdentity), which shares them with app.
const (
	LedgerFile      = "ledger.db"    // the bbolt ledger
	ProfileFile     = "profile.json" // display name and role
	StateFile       = "state.db"     // contacts, outboxes, cases (bbolt)
	AttachmentsDir  = "attachments"  // attachments, stored encrypted
	dataDirPerm     = 0o700
	defaultDirLabel = "qkdchat"
)

// DefaultDataDir returns the per-user data directory of QKD Chat: the
// platform's user config location (for example ~/.config/qkdchat on Linux,
// %AppData%\qkdchat on Windows). It never points next to the binary.
func DefaultDataDir() (string, error) {
	base, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("app: find the user config directory: %w", err)
	}
	return filepath.Join(base, defaultDirLabel), nil
}

// EnsureDataDir creates dir (mode 0700) if it does not exist yet.
func EnsureDataDir(dir string) error {
	if err := os.MkdirAll(dir, dataDirPerm); err != nil {
		return fmt.Errorf("app: create data directory %s: %w", dir, err)
	}
	return nil
}
