package hugepage

import (
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// TestMakeMapsHugePages checks, where the kernel gives transparent huge
// pages on advice only, that touching a slice from Make maps huge pages: the
// process's AnonHugePages (/proc/self/smaps_rollup) grows by at least one
// 2 MiB page for a 16 MiB slice. Elsewhere there is nothing to observe.
// Advice does not remap pages already mapped, so it first returns the
// freed heap to the system (debug.FreeOSMemory): a slice that reuses heap
// left by other tests, or by an earlier run of this one under -count,
// then faults its pages afresh, and huge pages the heap held before are
// not in the baseline. (Without it, -count=10 failed 8 times in 10.)
func TestMakeMapsHugePages(t *testing.T) {
	if !adviceOnly() {
		t.Skip("transparent huge pages are not in madvise mode here: Make is make")
	}
	debug.FreeOSMemory()
	before := anonHuge(t)
	s := Make[uint64](16 << 20 / 8)
	for i := range s {
		s[i] = uint64(i)
	}
	after := anonHuge(t)
	runtime.KeepAlive(s)
	if after-before < size {
		t.Fatalf("AnonHugePages grew by %d bytes after touching 16 MiB from Make, want at least one 2 MiB page", after-before)
	}
}

// TestMakeIsMake checks that Make behaves as make for every size around
// the threshold and for every element type: the length and capacity
// asked for, all zeros, every element writable without touching another
// slice, and (from 2 MiB on) the start aligned to 2 MiB on Linux.
func TestMakeIsMake(t *testing.T) {
	for _, n := range []int{0, 1, 1000, size/16 - 1, size / 16, size/16 + 1, 3*size/16 + 5} {
		a := Make[complex128](n)
		b := Make[complex128](n)
		check(t, "complex128", a, n)
		for i := range a {
			a[i] = complex(float64(i), 1)
		}
		for i, v := range b {
			if v != 0 {
				t.Fatalf("n=%d: writing one slice changed element %d of another to %v", n, i, v)
			}
		}
		for i, v := range a {
			if v != complex(float64(i), 1) {
				t.Fatalf("n=%d: element %d reads %v after being written", n, i, v)
			}
		}
	}
	for _, n := range []int{size/4 - 1, size / 4, size/4 + 7} {
		check(t, "uint32", Make[uint32](n), n)
		check(t, "uint16", Make[uint16](n), n)
		check(t, "uint64", Make[uint64](n), n)
	}
}

func check[T Elem](t *testing.T, name string, s []T, n int) {
	t.Helper()
	if len(s) != n || cap(s) != n {
		t.Fatalf("%s n=%d: len %d cap %d", name, n, len(s), cap(s))
	}
	for i, v := range s {
		if v != 0 {
			t.Fatalf("%s n=%d: element %d is %v, want 0", name, n, i, v)
		}
	}
	var zero T
	if adviceOnly() && n*int(unsafe.Sizeof(zero)) >= size {
		if p := uintptr(unsafe.Pointer(unsafe.SliceData(s))); p%size != 0 {
			t.Fatalf("%s n=%d: start %#x not aligned to 2 MiB", name, n, p)
		}
	}
}

// anonHuge returns the process's anonymous huge-page bytes.
func anonHuge(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/smaps_rollup")
	if err != nil {
		t.Skipf("cannot read smaps_rollup: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "AnonHugePages:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			if err != nil {
				t.Fatalf("smaps_rollup line %q: %v", line, err)
			}
			return kb << 10
		}
	}
	t.Fatal("smaps_rollup has no AnonHugePages line")
	return 0
}
