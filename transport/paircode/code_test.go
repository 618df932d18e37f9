package paircode

import (
	"regexp"
	"testing"
)

func TestWordList(t *testing.T) {
	words := Words()
	if len(words) != 256 {
		t.Fatalf("%d words, want 256", len(words))
	}
	seen := map[string]bool{}
	for _, w := range words {
		if seen[w] || !regexp.MustCompile(`^[a-z]{3,8}$`).MatchString(w) {
			t.Errorf("word %q repeated or not 3 to 8 lower-case letters", w)
		}
		seen[w] = true
	}
}

func TestNewPairingCode(t *testing.T) {
	words := map[string]bool{}
	for _, w := range Words() {
		words[w] = true
	}
	re := regexp.MustCompile(`^([0-9]{1,2})-([a-z]+)-([a-z]+)$`)
	codes := map[string]bool{}
	for range 200 {
		c, err := New()
		if err != nil {
			t.Fatal(err)
		}
		m := re.FindStringSubmatch(c)
		if m == nil || !words[m[2]] || !words[m[3]] {
			t.Fatalf("code %q is not number-word-word from the list", c)
		}
		if n, err := Normalize(c); err != nil || n != c {
			t.Fatalf("a generated code is not normal: %q -> %q %v", c, n, err)
		}
		codes[c] = true
	}
	// 200 draws from 6.5 million codes collide with probability ~0.3%;
	// more than 2 collisions would mean a broken generator.
	if len(codes) < 198 {
		t.Errorf("only %d distinct codes in 200", len(codes))
	}
}

func TestNormalizeCode(t *testing.T) {
	for in, want := range map[string]string{
		"4-amber-falcon":        "4-amber-falcon",
		" 4 Amber  FALCON ":     "4-amber-falcon",
		"4_amber.falcon":        "4-amber-falcon",
		"--4--amber--falcon--":  "4-amber-falcon",
		"correct horse battery": "correct-horse-battery",
	} {
		if got, err := Normalize(in); err != nil || got != want {
			t.Errorf("Normalize(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "4-ab", "4-amber-falcón", "4;amber;falcon", string(make([]byte, 70))} {
		if got, err := Normalize(in); err == nil {
			t.Errorf("Normalize(%q) = %q, want an error", in, got)
		}
	}
}
