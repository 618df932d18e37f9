package store

import (
	"bytes"
	"testing"

	"github.com/fernet/fernet-go"
)

// FuzzAttachmentRecords feeds arbitrary files to the reader of the
// attachment store: it must find only complete records, inside the file.
func FuzzAttachmentRecords(f *testing.F) {
	var k fernet.Key
	k.Generate()
	var buf bytes.Buffer
	writeRecord(&buf, &k, []byte("hello"))
	writeRecord(&buf, &k, []byte("zz"))
	f.Add(buf.Bytes())
	f.Add(buf.Bytes()[:buf.Len()-3])
	f.Add([]byte{0, 0, 0, 0})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		starts, end := scanRecords(bytes.NewReader(b))
		if end > int64(len(b)) {
			t.Fatalf("scan ends at %d beyond %d bytes", end, len(b))
		}
		for i, s := range starts {
			if s < 0 || s+4 > end || (i > 0 && s <= starts[i-1]) {
				t.Fatalf("record %d starts at %d (end %d)", i, s, end)
			}
		}
		for i := range len(starts) + 1 {
			readRecordAt(&k, bytes.NewReader(b), "x", i) // an error or a chunk; never a panic
		}
	})
}
