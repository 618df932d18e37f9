package bench

import "fmt"

// OptionError reports a benchmark option out of its range. Option is the
// option's name as the `qkdchat bench` flag spells it (without dashes).
type OptionError struct {
	Option  string
	Problem string // e.g. "must be within 1..1000"
}

func (e *OptionError) Error() string { return "bench: " + e.Option + " " + e.Problem }

// within returns an OptionError unless lo <= v <= hi.
func within[T int | int64 | float64](option string, v, lo, hi T) error {
	if v >= lo && v <= hi { // false for NaN
		return nil
	}
	return &OptionError{Option: option, Problem: fmt.Sprintf("must be within %v..%v", lo, hi)}
}
