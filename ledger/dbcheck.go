package ledger

import (
	"errors"
	"fmt"
	"io/fs"
	"time"

	"qkdchat/internal/boltcheck"
)

// checkFile refuses, before bbolt maps it, a ledger file that is empty,
// cut short, blank or whose header pages are damaged, with a *CorruptError
// whose Err is a *boltcheck.DamageError. bbolt would otherwise kill the
// process with SIGBUS on the first read past the end of the file, or fail
// with messages about its internals that differ between a read-only open
// (ledger verify) and a writable one (the app), or quietly fall back to an
// older commit. A writer holding the file in another process past timeout
// gives an *InUseError. A missing file passes: Open creates it, or a
// read-only Open has already reported it. The content is Verify's.
func checkFile(path string, timeout time.Duration) error {
	err := boltcheck.Check(path, timeout)
	var d *boltcheck.DamageError
	switch {
	case err == nil, errors.Is(err, fs.ErrNotExist):
		return nil
	case errors.As(err, &d):
		return &CorruptError{Path: path, Err: d}
	case errors.Is(err, boltcheck.ErrLocked):
		return &InUseError{Path: path}
	}
	return fmt.Errorf("ledger: open %s: %w", path, err)
}
