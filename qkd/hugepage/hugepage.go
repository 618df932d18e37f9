package hugepage

import "unsafe"

// Elem is the element types Make serves: plain values without pointers,
// whose sizes divide 2 MiB.
type Elem interface {
	~uint8 | ~uint16 | ~uint32 | ~uint64 | ~int | ~float64 | ~complex128
}

// size is the huge page size Make aligns to.
const size = 2 << 20

// Make returns a zeroed slice of n elements (length and capacity n), like
// make([]T, n). Where huge pages are given on advice only (see the package
// comment), a slice of 2 MiB or more is aligned to 2 MiB, its whole huge
// pages are advised to huge pages and mapped at once by touching one byte
// of each, and the advice is then withdrawn, so that memory the heap later
// reuses for other objects is mapped 4 KiB at a time as before (huge pages
// there would bloat the resident size).
func Make[T Elem](n int) []T {
	var zero T
	es := int(unsafe.Sizeof(zero))
	if n < size/es || !adviceOnly() {
		return make([]T, n)
	}
	pad := size / es
	buf := make([]T, n+pad)
	base := uintptr(unsafe.Pointer(unsafe.SliceData(buf)))
	off := int((base+size-1)&^(size-1)-base) / es // a whole number: large allocations are 8 KiB-aligned
	s := buf[off : off+n : off+n]
	span := n * es &^ (size - 1) // the whole huge pages inside s
	b := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), span)
	if advise(b, true) {
		for i := 0; i < len(b); i += size {
			b[i] = 0 // map the page (zeroed by the kernel; Go's zero stays)
		}
		advise(b, false)
	}
	return s
}
