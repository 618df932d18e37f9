package paircode

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// Invite nameplates. An invite's pairing code has today's form
// NUMBER-WORD-WORD, and its NUMBER, the nameplate, names the invite: the
// dialer sends it in the clear so the listener runs the PAKE with that
// invite's code only. Listener codes from New keep the numbers
// 0 to 99, so the two never share a nameplate, and invites get the 9,900
// numbers from 100 to 9999: enough for a hospital's open invites, and
// four digits at most to read out.
//
// The nameplate is public, so an invite code's secret is its two words:
// 16 bits. That is enough because a listener gives each invite one wrong
// guess (it is burned at the first failed proof): an attacker succeeds
// with probability 1 in 65,536 per invite it burns, and every burn is
// reported to the inviter.
const (
	FirstNameplate = 100
	LastNameplate  = 9999
)

// NewInvite returns a fresh invite code with the given nameplate and
// two words drawn with crypto/rand, such as "4821-amber-falcon".
func NewInvite(nameplate int) (string, error) {
	if !ValidNameplate(nameplate) {
		return "", fmt.Errorf("transport: invite nameplate %d outside %d..%d", nameplate, FirstNameplate, LastNameplate)
	}
	var w [2]byte
	if _, err := rand.Read(w[:]); err != nil {
		return "", fmt.Errorf("transport: invite code: %w", err)
	}
	return InviteFromParts(nameplate, w[0], w[1])
}

// RandomNameplate draws a nameplate uniformly from the invite range.
func RandomNameplate() (int, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(LastNameplate-FirstNameplate+1))
	if err != nil {
		return 0, fmt.Errorf("transport: invite nameplate: %w", err)
	}
	return FirstNameplate + int(n.Int64()), nil
}

// ValidNameplate reports whether n is an invite nameplate, from
// FirstNameplate to LastNameplate.
func ValidNameplate(n int) bool { return n >= FirstNameplate && n <= LastNameplate }

// InviteFromParts builds the invite code NAMEPLATE-WORD-WORD from a
// nameplate and the indexes of its two words in the pairing word list.
// With InviteParts it lets an invite carry its code in four bytes.
func InviteFromParts(nameplate int, w1, w2 byte) (string, error) {
	if !ValidNameplate(nameplate) {
		return "", fmt.Errorf("transport: invite nameplate %d outside %d..%d", nameplate, FirstNameplate, LastNameplate)
	}
	words := Words()
	if len(words) != 256 {
		return "", fmt.Errorf("transport: word list has %d words, want 256", len(words))
	}
	return fmt.Sprintf("%d-%s-%s", nameplate, words[w1], words[w2]), nil
}

// InviteParts splits an invite code (typed loosely, see
// Normalize) into its nameplate and the indexes of its two words. It
// fails for codes that are not NAMEPLATE-WORD-WORD with a nameplate from
// FirstNameplate to LastNameplate and two words of the list,
// so a mistyped word is caught before anyone dials.
func InviteParts(code string) (nameplate int, w1, w2 byte, err error) {
	c, err := Normalize(code)
	if err != nil {
		return 0, 0, 0, err
	}
	parts := strings.Split(c, "-")
	if len(parts) != 3 {
		return 0, 0, 0, fmt.Errorf("transport: an invite code is a number and two words, such as 4821-amber-falcon")
	}
	nameplate = Nameplate(c)
	if nameplate == 0 {
		return 0, 0, 0, fmt.Errorf("transport: an invite code starts with a number from %d to %d", FirstNameplate, LastNameplate)
	}
	idx := wordIndex()
	var ix [2]byte
	for i, w := range parts[1:] {
		n, ok := idx[w]
		if !ok {
			return 0, 0, 0, fmt.Errorf("transport: invite code: %q is not a word of the pairing word list", w)
		}
		ix[i] = n
	}
	return nameplate, ix[0], ix[1], nil
}

func wordIndex() map[string]byte {
	words := Words()
	m := make(map[string]byte, len(words))
	for i, w := range words {
		m[w] = byte(i)
	}
	return m
}

// Nameplate returns the invite nameplate of a normalized pairing code:
// its leading number when that is written without leading zeros and lies
// from FirstNameplate to LastNameplate, else 0. A dialer sends
// the nameplate of its code (if any) before the PAKE.
func Nameplate(code string) int {
	num, _, ok := strings.Cut(code, "-")
	if !ok || num == "" || num[0] == '0' || len(num) > 4 {
		return 0
	}
	n, err := strconv.Atoi(num)
	if err != nil || !ValidNameplate(n) {
		return 0
	}
	return n
}
