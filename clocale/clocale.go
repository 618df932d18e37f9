package clocale

import (
	"os"
	"strings"
)

// Set reports whether init set LANGUAGE=en.
var Set bool

func init() {
	if os.Getenv("LANGUAGE") == "" && IsC(Current(os.Getenv)) {
		Set = os.Setenv("LANGUAGE", "en") == nil
	}
}

// Current returns the locale in force for messages: the first of LC_ALL,
// LC_MESSAGES and LANG that getenv reports set.
func Current(getenv func(string) string) string {
	for _, k := range [...]string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := getenv(k); v != "" {
			return v
		}
	}
	return ""
}

// IsC reports whether loc names the C or POSIX locale with an encoding or
// modifier suffix ("C.UTF-8", "POSIX@euro"), which Fyne cannot parse. The
// bare "C" and "POSIX" are not reported: Fyne already handles them.
func IsC(loc string) bool {
	i := strings.IndexAny(loc, ".@")
	if i < 0 {
		return false
	}
	base := loc[:i]
	return base == "C" || base == "POSIX"
}
