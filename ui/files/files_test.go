package files

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"qkdchat/node"
	"qkdchat/nodetest"
)

func TestHumanSize(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want string
	}{
		{0, "0 bytes"}, {1, "1 byte"}, {1023, "1023 bytes"}, {1024, "1.0 KB"}, {1536, "1.5 KB"},
		{5 << 20, "5.0 MB"}, {5242880 + 40000, "5.0 MB"}, {(1 << 30) * 3 / 2, "1.5 GB"}, {-1, "unknown size"},
	} {
		if got := node.HumanSize(c.n); got != c.want {
			t.Errorf("node.HumanSize(%d) = %q, want %q", c.n, got, c.want)
		}
	}
	if got := Label(node.AttachmentInfo{Name: "chest-xray.png", Size: 5 << 20}); got != "chest-xray.png · 5.0 MB" {
		t.Errorf("label %q", got)
	}
	if got := Progress(1<<20, 4<<20); got != "1.0 MB of 4.0 MB" {
		t.Errorf("progress %q", got)
	}
}

// TestTransferRow: a running transfer shows its fraction and "done of
// total"; a finished one, or one of unknown size, shows full and done.
func TestTransferRow(t *testing.T) {
	for _, c := range []struct {
		done, total int64
		frac        float64
		status      string
	}{
		{1 << 20, 4 << 20, 0.25, "1.0 MB of 4.0 MB"},
		{0, 2048, 0, "0 bytes of 2.0 KB"},
		{4 << 20, 4 << 20, 1, "done · 4.0 MB"},
		{0, 0, 1, "done · 0 bytes"},
	} {
		if f, s := TransferRow(c.done, c.total); f != c.frac || s != c.status {
			t.Errorf("TransferRow(%d, %d) = %v, %q; want %v, %q", c.done, c.total, f, s, c.frac, c.status)
		}
	}
}

func TestSafeName(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"chest-xray.png", "chest-xray.png"},
		{"../../etc/passwd", ".._.._etc_passwd"},
		{`..\win.ini`, `.._win.ini`},
		{"..", "attachment"},
		{"", "attachment"},
		{"a\nb.txt", "a_b.txt"},
		{strings.Repeat("x", 300) + ".pdf", strings.Repeat("x", 251) + ".pdf"},
	} {
		if got := SafeName(c.in); got != c.want {
			t.Errorf("SafeName(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

type mapReader map[string][]byte

func (m mapReader) ReadAttachment(sha string) ([]byte, error) {
	if b, ok := m[sha]; ok {
		return b, nil
	}
	return nil, node.ErrNoAttachment
}

type launchRecorder struct {
	paths []string
	err   error
}

func (l *launchRecorder) Launch(path string) error { l.paths = append(l.paths, path); return l.err }

type fixedSaver struct{ path string }

func (s fixedSaver) AskSave(_ string, done func(string)) { done(s.path) }

func file(name string, b []byte) node.AttachmentInfo {
	d := sha256.Sum256(b)
	return node.AttachmentInfo{Name: name, Size: int64(len(b)), SHA256: hex.EncodeToString(d[:])}
}

func TestOpenWritesPrivateFileAndLaunchesIt(t *testing.T) {
	content := []byte("%PDF-1.4 discharge letter")
	f := file("discharge letter.pdf", content)
	l := &launchRecorder{}
	a := &Actions{Reader: mapReader{f.SHA256: content}, Launch: l, Jobs: nodetest.Inline{}}
	t.Cleanup(func() { a.Cleanup() })
	path, err := a.OpenFile(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.paths) != 1 || l.paths[0] != path || filepath.Base(path) != "discharge letter.pdf" {
		t.Fatalf("launched %v for %s", l.paths, path)
	}
	if b, err := os.ReadFile(path); err != nil || !bytes.Equal(b, content) {
		t.Fatalf("opened file holds %q (%v)", b, err)
	}
	for _, p := range []string{path, filepath.Dir(path), filepath.Dir(filepath.Dir(path))} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s has mode %v: readable by others", p, st.Mode().Perm())
		}
	}
	// A second opening of a file with the same name does not overwrite
	// the first; a hostile name stays inside the private directory.
	evil := file("../../x.sh", []byte("echo"))
	a.Reader = mapReader{f.SHA256: content, evil.SHA256: []byte("echo")}
	p2, err := a.OpenFile(evil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(p2, a.dir+string(filepath.Separator)) || filepath.Base(p2) != ".._.._x.sh" {
		t.Errorf("hostile name opened as %s, outside %s", p2, a.dir)
	}
	dir := a.dir
	if err := a.Cleanup(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Cleanup left %s", dir)
	}

	// Errors name the file.
	l.err = errors.New("no handler")
	var msgs []string
	a.Status = func(m string, bad bool) {
		if bad {
			msgs = append(msgs, m)
		}
	}
	a.Open(f)
	a.Open(file("missing.png", []byte("?")))
	if len(msgs) != 2 || !strings.Contains(msgs[0], "discharge letter.pdf") || !strings.Contains(msgs[1], "missing.png") {
		t.Errorf("errors %q", msgs)
	}
}

func TestSaveIsAtomicAndErrorsNameTheFile(t *testing.T) {
	content := bytes.Repeat([]byte("x-ray"), 1000)
	f := file("chest-xray.png", content)
	dir := t.TempDir()
	dst := filepath.Join(dir, "saved.png")
	if err := os.WriteFile(dst, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	var status string
	var bad bool
	a := &Actions{Reader: mapReader{f.SHA256: content}, Saver: fixedSaver{dst}, Jobs: nodetest.Inline{},
		Status: func(m string, b bool) { status, bad = m, b }}
	a.Save(f)
	if b, err := os.ReadFile(dst); err != nil || !bytes.Equal(b, content) || bad {
		t.Fatalf("saved %d bytes (%v), status %q", len(b), err, status)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("save left %d entries in the folder", len(ents))
	}
	// Into a folder that does not exist: the error names the file and
	// the old file elsewhere is untouched.
	a.Saver = fixedSaver{filepath.Join(dir, "nope", "saved.png")}
	a.Save(f)
	if !bad || !strings.Contains(status, "chest-xray.png") || !strings.Contains(status, "no such file") {
		t.Errorf("status %q (bad %v)", status, bad)
	}
	// Onto a directory: refused, with the file named, nothing left behind.
	if err := os.Mkdir(filepath.Join(dir, "d"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := a.SaveTo(f, filepath.Join(dir, "d")); err == nil || !strings.Contains(err.Error(), "chest-xray.png") {
		t.Errorf("saving onto a folder: %v", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 2 {
		t.Errorf("a failed save left %d entries", len(ents))
	}
}

func TestRowShowsHumanSizeNotDigest(t *testing.T) {
	test.NewTempApp(t)
	f := file("chest-xray.png", bytes.Repeat([]byte{1}, 5<<20))
	r := NewRow(&Actions{}, f)
	if r.Label.Text != "chest-xray.png · 5.0 MB" || strings.Contains(r.Label.Text, f.SHA256[:8]) {
		t.Errorf("row label %q", r.Label.Text)
	}
	if !strings.Contains(DetailsText(f), f.SHA256) || !strings.Contains(DetailsText(f), "5242880 bytes") {
		t.Errorf("details %q", DetailsText(f))
	}
}
