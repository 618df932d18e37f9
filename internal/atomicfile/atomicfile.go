package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// Mode says what happens when the target file already exists.
type Mode int

const (
	// Replace renames the new file over an existing one.
	Replace Mode = iota
	// CreateOnly never overwrites: when the target exists the write fails
	// with an error wrapping fs.ErrExist and the target is left as it was.
	// Use it for files that must be made once, such as a private key.
	CreateOnly
)

// WriteFile writes data to path with permissions perm (see Mode).
func WriteFile(path string, data []byte, perm fs.FileMode, mode Mode) error {
	f, err := Create(path, perm, mode)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Commit()
}

// File is a file being written in place of path. Write to it, then Commit
// to make it appear at path, or Abort to discard it. Until Commit, path is
// untouched.
type File struct {
	*os.File
	path string
	mode Mode
	done bool
}

// Create starts writing a new version of path, in a temporary file of
// path's directory with permissions perm.
func Create(path string, perm fs.FileMode, mode Mode) (*File, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(perm); err != nil && runtime.GOOS != "windows" {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return &File{File: tmp, path: path, mode: mode}, nil
}

// Commit fsyncs the data, puts the file at path (see Mode) and fsyncs the
// directory. On error path is as it was (or, for Replace, already the new
// file if only the directory sync failed) and the temporary file is gone.
func (f *File) Commit() error {
	if f.done {
		return fmt.Errorf("write %s: %w", f.path, os.ErrClosed)
	}
	f.done = true
	tmp := f.Name()
	defer os.Remove(tmp) // after a link, the temporary name; after a rename, nothing
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", f.path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", f.path, err)
	}
	switch f.mode {
	case CreateOnly:
		if err := os.Link(tmp, f.path); err != nil {
			var le *os.LinkError
			if errors.As(err, &le) {
				err = le.Err
			}
			return fmt.Errorf("write %s: %w", f.path, err)
		}
	default:
		if err := os.Rename(tmp, f.path); err != nil {
			return fmt.Errorf("write %s: %w", f.path, err)
		}
	}
	if err := SyncDir(filepath.Dir(f.path)); err != nil {
		return fmt.Errorf("write %s: %w", f.path, err)
	}
	return nil
}

// Abort discards the file if it was not committed. It is safe to call
// after Commit (it does nothing), so `defer f.Abort()` is the usual form.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.Close()
	os.Remove(f.Name())
}

// Rename renames oldpath to newpath and fsyncs newpath's directory, so the
// rename survives a power cut. Both must be in the same file system.
func Rename(oldpath, newpath string) error {
	if err := os.Rename(oldpath, newpath); err != nil {
		return err
	}
	return SyncDir(filepath.Dir(newpath))
}

// SyncDir fsyncs the directory dir, making the names created or renamed in
// it durable. Windows cannot sync a directory; there it does nothing.
func SyncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}
