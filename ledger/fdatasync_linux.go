package ledger

import (
	"errors"
	"os"
	"syscall"
)

// fdatasync flushes f's data (and its size, if it changed) to the disk,
// without the inode times fsync would also write.
func fdatasync(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}
