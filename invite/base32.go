package invite

import "fmt"

// alphabet is Crockford's base32 in lower case: digits and letters
// without i, l, o and u, so that no two characters look alike.
const alphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// decodeTable maps a lower-case character to its value, or -1. The
// letters i and l read as 1 and o as 0, as a person might type them.
var decodeTable = func() [256]int8 {
	var t [256]int8
	for i := range t {
		t[i] = -1
	}
	for i := range len(alphabet) {
		t[alphabet[i]] = int8(i)
	}
	t['i'], t['l'], t['o'] = 1, 1, 0
	return t
}()

// encodeBase32 writes b five bits per character, most significant first;
// the last character's unused bits are zero.
func encodeBase32(b []byte) string {
	out := make([]byte, 0, (len(b)*8+4)/5)
	var acc uint32
	bits := 0
	for _, c := range b {
		acc = acc<<8 | uint32(c)
		bits += 8
		for bits >= 5 {
			bits -= 5
			out = append(out, alphabet[acc>>bits&31])
		}
	}
	if bits > 0 {
		out = append(out, alphabet[acc<<(5-bits)&31])
	}
	return string(out)
}

// decodeBase32 reads what encodeBase32 writes, in lower case, skipping
// whitespace and hyphens (line wraps and grouping).
func decodeBase32(s string) ([]byte, error) {
	out := make([]byte, 0, len(s)*5/8)
	var acc uint32
	bits, pos := 0, 0
	for i := range len(s) {
		c := s[i]
		switch c {
		case ' ', '\t', '\r', '\n', '-':
			continue
		}
		pos++
		v := decodeTable[c]
		if v < 0 {
			if c >= 0x80 {
				return nil, fmt.Errorf("character %d is not a letter or digit of an invite", pos)
			}
			return nil, fmt.Errorf("character %d (%q) is not part of an invite", pos, c)
		}
		acc = acc<<5 | uint32(v)
		bits += 5
		if bits >= 8 {
			bits -= 8
			out = append(out, byte(acc>>bits))
		}
	}
	if bits >= 5 || acc&(1<<bits-1) != 0 {
		return nil, fmt.Errorf("it ends in the middle of a character")
	}
	return out, nil
}
