package paircode

import (
	"crypto/rand"
	_ "embed"
	"fmt"
	"math/big"
	"strings"
)

//go:embed wordlist.txt
var wordlistText string

// Words returns the 256 words of pairing codes, one per line in
// wordlist.txt, in a fresh slice: a word's index is what an invite stores.
func Words() []string { return strings.Fields(wordlistText) }

// listenerNumbers is how many numbers the first part of a listener code
// ranges over; invite nameplates start above them.
const listenerNumbers = 100

// MinLen is the shortest pairing code transport.Listen and transport.Connect accept.
const MinLen = 6

// MaxLen is the longest pairing code transport.Listen and transport.Connect accept.
const MaxLen = 64

// New returns a fresh pairing code such as "4-amber-falcon": a
// number from 0 to 99 and two words from a list of 256, all drawn with
// crypto/rand. That is log2(100·256·256) ≈ 22.6 bits of entropy. The PAKE
// gives an attacker one guess per connection and the listener disables a
// code after a few failed attempts (transport.Config.MaxPairFailures, default 5), so
// the chance of guessing it online is about 5 in 6.5 million.
func New() (string, error) {
	words := Words()
	if len(words) != 256 {
		return "", fmt.Errorf("transport: word list has %d words, want 256", len(words))
	}
	n, err := rand.Int(rand.Reader, big.NewInt(listenerNumbers))
	if err != nil {
		return "", fmt.Errorf("transport: pairing code: %w", err)
	}
	var w [2]byte
	if _, err := rand.Read(w[:]); err != nil {
		return "", fmt.Errorf("transport: pairing code: %w", err)
	}
	return fmt.Sprintf("%d-%s-%s", n.Int64(), words[w[0]], words[w[1]]), nil
}

// Normalize puts a typed or spoken pairing code in canonical form:
// lower case, parts separated by single hyphens ("4 Amber  falcon" becomes
// "4-amber-falcon"). It rejects codes shorter than MinLen or longer
// than MaxLen, and codes with characters other than letters, digits
// and separators.
func Normalize(code string) (string, error) {
	parts := strings.FieldsFunc(strings.ToLower(code), func(r rune) bool {
		return r == ' ' || r == '-' || r == '_' || r == '\t' || r == '.'
	})
	for _, p := range parts {
		for _, r := range p {
			if (r < 'a' || r > 'z') && (r < '0' || r > '9') {
				return "", fmt.Errorf("transport: pairing code may hold only letters, digits and hyphens")
			}
		}
	}
	c := strings.Join(parts, "-")
	if len(c) < MinLen || len(c) > MaxLen {
		return "", fmt.Errorf("transport: pairing code must be %d to %d characters", MinLen, MaxLen)
	}
	return c, nil
}
