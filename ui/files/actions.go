package files

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"

	"qkdchat/node"
)

// Reader returns the plain content of a stored attachment by its digest,
// checked against it. *node.Node is one.
type Reader interface {
	ReadAttachment(sha256hex string) ([]byte, error)
}

// Launcher asks the operating system to open a file with the user's
// default application.
type Launcher interface {
	Launch(path string) error
}

// SaveAsker asks the user where to save a file called name and calls done
// with the chosen path, or not at all when the user cancels.
type SaveAsker interface {
	AskSave(name string, done func(path string))
}

// Jobs runs slow work off the UI goroutine (Go) and reports back on it
// (Do). ui.Jobs is one.
type Jobs interface {
	Go(f func())
	Do(f func())
	Context() context.Context
}

// AppLauncher opens files through fyne.App.OpenURL (xdg-open, open or
// start, by platform).
type AppLauncher struct{ App fyne.App }

// Launch opens the file at path.
func (l AppLauncher) Launch(path string) error {
	return l.App.OpenURL(&url.URL{Scheme: "file", Path: filepath.ToSlash(path)})
}

// DialogSaver asks with Fyne's file-save dialog over Win.
type DialogSaver struct{ Win fyne.Window }

// AskSave shows the dialog with name filled in.
func (d DialogSaver) AskSave(name string, done func(path string)) {
	dlg := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil || w == nil {
			return
		}
		// The dialog created the file; SaveTo replaces it atomically.
		path := w.URI().Path()
		w.Close()
		done(path)
	}, d.Win)
	dlg.SetFileName(name)
	dlg.Show()
}

// Actions opens and saves attachments for one window.
type Actions struct {
	Reader Reader
	Launch Launcher
	Saver  SaveAsker
	Jobs   Jobs
	// Status reports an outcome in words; bad marks an error.
	Status func(msg string, bad bool)
	// Win is where the details view opens; nil shows none.
	Win fyne.Window

	mu  sync.Mutex
	dir string // the private directory opened files go to, once made
}

// SafeName is name made safe as one file name: path separators and
// control characters become "_", and an empty or dot-only name becomes
// "attachment". The extension is kept, so the OS picks the right viewer.
func SafeName(name string) string {
	s := strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r < 0x20 || r == 0x7f {
			return '_'
		}
		return r
	}, name)
	if strings.Trim(s, ".") == "" {
		return "attachment"
	}
	if len(s) > 255 {
		ext := filepath.Ext(s)
		if len(ext) > 32 {
			ext = ""
		}
		s = s[:255-len(ext)] + ext
	}
	return s
}

// privateDir returns the directory opened files go to, making it.
func (a *Actions) privateDir() (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.dir == "" {
		d, err := os.MkdirTemp("", "qkdchat-open-")
		if err != nil {
			return "", err
		}
		a.dir = d
	}
	return a.dir, nil
}

// Cleanup removes the files Open wrote.
func (a *Actions) Cleanup() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.dir == "" {
		return nil
	}
	err := os.RemoveAll(a.dir)
	a.dir = ""
	return err
}

// OpenFile decrypts f into the private directory under its own name and
// launches it. It returns the path written.
func (a *Actions) OpenFile(f node.AttachmentInfo) (string, error) {
	b, err := a.Reader.ReadAttachment(f.SHA256)
	if err != nil {
		return "", fmt.Errorf("open %s: %s", f.Name, node.UserError(err))
	}
	dir, err := a.privateDir()
	if err != nil {
		return "", fmt.Errorf("open %s: cannot make a private folder for it: %w", f.Name, err)
	}
	sub, err := os.MkdirTemp(dir, "f")
	if err != nil {
		return "", fmt.Errorf("open %s: %w", f.Name, err)
	}
	path := filepath.Join(sub, SafeName(f.Name))
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return "", fmt.Errorf("open %s: %w", f.Name, err)
	}
	if err := a.Launch.Launch(path); err != nil {
		return path, fmt.Errorf("open %s: no application opened it (%v); use Save… instead", f.Name, err)
	}
	return path, nil
}

// SaveTo writes the plain content of f to path atomically: a reader of
// path sees the old file or the whole new one, never part of it.
func (a *Actions) SaveTo(f node.AttachmentInfo, path string) error {
	b, err := a.Reader.ReadAttachment(f.SHA256)
	if err != nil {
		return fmt.Errorf("save %s: %s", f.Name, node.UserError(err))
	}
	return WriteAtomic(path, b, f.Name)
}

// WriteAtomic writes b to path through a temporary file in the same
// directory; name is the file's name for the error.
func WriteAtomic(path string, b []byte, name string) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+SafeName(filepath.Base(path))+".*.part")
	if err != nil {
		return fmt.Errorf("save %s to %s: %w", name, dir, unwrapPath(err))
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(b); err != nil {
		return fmt.Errorf("save %s to %s: %w", name, dir, unwrapPath(err))
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("save %s to %s: %w", name, dir, unwrapPath(err))
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save %s to %s: %w", name, dir, unwrapPath(err))
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("save %s as %s: %w", name, path, unwrapPath(err))
	}
	ok = true
	return nil
}

// unwrapPath drops the *PathError's own path (a temporary name the user
// never chose), keeping its cause.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

// Open opens f in the background and reports the outcome.
func (a *Actions) Open(f node.AttachmentInfo) {
	a.Jobs.Go(func() {
		_, err := a.OpenFile(f)
		a.Jobs.Do(func() {
			if err != nil {
				a.Status(err.Error(), true)
				return
			}
			a.Status("Opened "+f.Name+".", false)
		})
	})
}

// Save asks where to save f, then saves it in the background and reports
// the outcome.
func (a *Actions) Save(f node.AttachmentInfo) {
	a.Saver.AskSave(SafeName(f.Name), func(path string) {
		a.Jobs.Go(func() {
			err := a.SaveTo(f, path)
			a.Jobs.Do(func() {
				if err != nil {
					a.Status(err.Error(), true)
					return
				}
				a.Status("Saved "+f.Name+" to "+path+".", false)
			})
		})
	})
}

// DetailsText is what the details view says of f.
func DetailsText(f node.AttachmentInfo) string {
	return fmt.Sprintf("Name: %s\nSize: %s (%d bytes)\nSHA-256: %s", f.Name, node.HumanSize(f.Size), f.Size, f.SHA256)
}

// ShowDetails shows f's details over the window.
func (a *Actions) ShowDetails(f node.AttachmentInfo) {
	if a.Win == nil {
		return
	}
	dialog.ShowInformation("File details", DetailsText(f), a.Win)
}
