package hugepage

import (
	"os"
	"strings"
	"sync"
	"syscall"
)

// adviceOnly reports whether the kernel gives transparent huge pages on
// advice only ("madvise" mode). In "always" mode the heap gets them
// without Make, and in "never" mode not at all; Make is then make. It is
// read once per process: the mode is the machine's, not the program's.
var adviceOnly = sync.OnceValue(func() bool {
	b, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	return err == nil && strings.Contains(string(b), "[madvise]")
})

// advise asks the kernel to back b with huge pages (on) or withdraws the
// request (MADV_NOHUGEPAGE, the same as no advice in "madvise" mode; huge
// pages already mapped stay). It reports whether the kernel accepted.
func advise(b []byte, on bool) bool {
	adv := syscall.MADV_NOHUGEPAGE
	if on {
		adv = syscall.MADV_HUGEPAGE
	}
	return syscall.Madvise(b, adv) == nil
}
