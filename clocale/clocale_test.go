package clocale

import "testing"

func TestIsC(t *testing.T) {
	for _, tc := range []struct {
		loc  string
		want bool
	}{
		{"C.UTF-8", true}, {"C.utf8", true}, {"POSIX.UTF-8", true}, {"C@euro", true},
		{"C", false}, {"POSIX", false}, {"", false},
		{"en_US.UTF-8", false}, {"de_DE@euro", false}, {"Ca.UTF-8", false},
	} {
		if got := IsC(tc.loc); got != tc.want {
			t.Errorf("IsC(%q) = %v, want %v", tc.loc, got, tc.want)
		}
	}
}

func TestCurrentOrder(t *testing.T) {
	env := map[string]string{"LANG": "C.UTF-8", "LC_MESSAGES": "fr_FR.UTF-8"}
	if got := Current(func(k string) string { return env[k] }); got != "fr_FR.UTF-8" {
		t.Errorf("Current = %q, want LC_MESSAGES before LANG", got)
	}
	env["LC_ALL"] = "C.UTF-8"
	if got := Current(func(k string) string { return env[k] }); got != "C.UTF-8" {
		t.Errorf("Current = %q, want LC_ALL first", got)
	}
}
