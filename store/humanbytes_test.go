package store

import "testing"

func TestHumanBytes(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want string
	}{
		{-1, "unknown size"}, {0, "0 bytes"}, {1, "1 byte"}, {1023, "1023 bytes"}, {1024, "1.0 KB"},
		{1536, "1.5 KB"}, {1<<20 - 1, "1.0 MB"}, {1<<20 - 60, "1023.9 KB"}, {1 << 20, "1.0 MB"}, {5<<20 + 40000, "5.0 MB"},
		{(1 << 30) * 3 / 2, "1.5 GB"},
	} {
		if got := HumanBytes(c.n); got != c.want {
			t.Errorf("HumanBytes(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}
