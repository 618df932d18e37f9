//go:build windows

package boltcheck

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

// lockRange is the byte range bbolt locks on Windows: offset -1, length 1.
func lockRange() *windows.Overlapped {
	const m1 = (1 << 32) - 1
	return &windows.Overlapped{Offset: m1, OffsetHigh: m1}
}

// tryLock takes a shared lock on f, the kind a read-only bbolt takes, so
// that no bbolt writer changes the file while it is checked. It reports
// false when a writer holds the file.
func tryLock(f *os.File) (bool, error) {
	err := windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, lockRange())
	if errors.Is(err, windows.ERROR_LOCK_VIOLATION) {
		return false, nil
	}
	return err == nil, err
}

// unlock releases tryLock's lock.
func unlock(f *os.File) { windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, lockRange()) }
