package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"qkdchat/internal/atomicfile"
)

// Profile is who the local user is: shown to peers at pairing.
type Profile struct {
	Name string `json:"name"`
	Role Role   `json:"role"`
}

// maxNameLen bounds display names so that they fit in a handshake frame and
// in the UI.
const maxNameLen = 64

// Validate reports a missing or unusable name or role.
func (p Profile) Validate() error {
	name := strings.TrimSpace(p.Name)
	if name == "" {
		return errors.New("a display name is required")
	}
	if len(name) > maxNameLen {
		return fmt.Errorf("display name is %d bytes long; the limit is %d", len(name), maxNameLen)
	}
	if _, err := ParseRole(string(p.Role)); err != nil {
		return err
	}
	return nil
}

// ErrNoProfile means the data directory has no profile yet (first run).
var ErrNoProfile = errors.New("no profile yet")

// LoadProfile reads the profile of the data directory dir. A profile file
// that cannot be used gives a *DamagedFileError; it is left as it is.
func LoadProfile(dir string) (Profile, error) {
	path := filepath.Join(dir, ProfileFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return Profile{}, ErrNoProfile
	}
	if err != nil {
		return Profile{}, fmt.Errorf("app: read profile %s: %w", path, err)
	}
	var p Profile
	if reason := profileDamage(b); reason != "" {
		return Profile{}, &DamagedFileError{Dir: dir, File: ProfileFile, Reason: reason}
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return Profile{}, &DamagedFileError{Dir: dir, File: ProfileFile, Reason: fmt.Sprintf("it is not valid JSON (%v)", err), Err: err}
	}
	if err := p.Validate(); err != nil {
		return Profile{}, &DamagedFileError{Dir: dir, File: ProfileFile, Reason: err.Error(), Err: err}
	}
	return p, nil
}

// profileDamage names what is wrong with a profile file that is empty or
// blank, before it is parsed.
func profileDamage(b []byte) string {
	switch {
	case len(b) == 0:
		return "it is empty (0 bytes)"
	case len(bytes.Trim(b, "\x00")) == 0:
		return fmt.Sprintf("it is blank (%d zero bytes)", len(b))
	}
	return ""
}

// SaveProfile validates p and writes it atomically to the data directory.
func SaveProfile(dir string, p Profile) error {
	p.Name = strings.TrimSpace(p.Name)
	if err := p.Validate(); err != nil {
		return err
	}
	if err := EnsureDataDir(dir); err != nil {
		return err
	}
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, ProfileFile), append(b, '\n'), 0o600, atomicfile.Replace); err != nil {
		return fmt.Errorf("app: save profile: %w", err)
	}
	return nil
}
