//go:build !linux

package hugepage

// adviceOnly: only Linux takes the advice; elsewhere Make is make.
func adviceOnly() bool { return false }

func advise([]byte, bool) bool { return false }
