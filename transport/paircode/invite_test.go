package paircode

import (
	"strings"
	"testing"
)

func TestCodeNameplate(t *testing.T) {
	for code, want := range map[string]int{
		"4821-amber-falcon":     4821,
		"100-amber-falcon":      100,
		"9999-amber-falcon":     9999,
		"99-amber-falcon":       0, // a listener code
		"4-amber-falcon":        0,
		"10000-amber-falcon":    0,
		"0100-amber-falcon":     0, // not canonical
		"correct-horse-battery": 0,
		"4821":                  0,
		"":                      0,
	} {
		if got := Nameplate(code); got != want {
			t.Errorf("Nameplate(%q) = %d, want %d", code, got, want)
		}
	}
}

func TestInviteCodes(t *testing.T) {
	words := map[string]bool{}
	for _, w := range Words() {
		words[w] = true
	}
	for _, np := range []int{FirstNameplate, 4821, LastNameplate} {
		code, err := NewInvite(np)
		if err != nil {
			t.Fatal(err)
		}
		parts := strings.Split(code, "-")
		if len(parts) != 3 || Nameplate(code) != np || !words[parts[1]] || !words[parts[2]] {
			t.Errorf("NewInvite(%d) = %q", np, code)
		}
		gotNP, w1, w2, err := InviteParts(strings.ToUpper(strings.ReplaceAll(code, "-", " ")))
		if err != nil || gotNP != np {
			t.Fatalf("InviteParts(%q) = %d, %v", code, gotNP, err)
		}
		if back, err := InviteFromParts(gotNP, w1, w2); err != nil || back != code {
			t.Errorf("parts of %q rebuild %q, %v", code, back, err)
		}
	}
	for _, np := range []int{-1, 0, 99, LastNameplate + 1} {
		if c, err := NewInvite(np); err == nil {
			t.Errorf("NewInvite(%d) = %q, want an error", np, c)
		}
	}
	for _, code := range []string{"42-amber-falcon", "4821-amber", "4821-amber-falcom", "4821-amber-falcon-acorn", "x-amber-falcon"} {
		if _, _, _, err := InviteParts(code); err == nil {
			t.Errorf("InviteParts(%q) accepted", code)
		}
	}
}
