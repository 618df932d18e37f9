// Package hugepage allocates the protocol's large scratch slices (the
// FFT's work buffers and twiddle tables for privacy amplification,
// Cascade's shuffles) so that their pages are mapped 2 MiB at a time
// where the system allows it, instead of 4 KiB at a time.
//
// A fresh process maps every page of its heap on first touch, one page
// fault per 4 KiB; on a virtual machine each fault is a costly exit (about
// 8 µs measured on the development machine against 2 µs for the kernel's
// own work), and the 1e6-qubit pipeline touches about 40 MB. On Linux with
// transparent huge pages in "madvise" mode (the default of several
// distributions), Make aligns a large slice to 2 MiB inside a slightly
// larger allocation and advises the kernel (madvise MADV_HUGEPAGE) to back
// it with huge pages: one fault per 2 MiB. The advice changes neither the
// contents nor the lifetime of the memory (the slice keeps its whole
// allocation alive, and the garbage collector frees it as usual); where it
// is unavailable or refused, Make is make. The padding is address space
// only: the pages before the aligned start are never touched.
package hugepage
