//go:build linux || darwin || freebsd || openbsd || netbsd || dragonfly

package boltcheck

import (
	"errors"
	"os"
	"syscall"
)

// tryLock takes a shared lock on f, the kind a read-only bbolt takes, so
// that no bbolt writer changes the file while it is checked. It reports
// false when a writer holds the file.
func tryLock(f *os.File) (bool, error) {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return false, nil
	}
	return err == nil, err
}

// unlock releases tryLock's lock (closing f would as well).
func unlock(f *os.File) { syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }
