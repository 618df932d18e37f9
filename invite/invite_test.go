package invite

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
)

func testInvite() Invite {
	seed := sha256.Sum256([]byte("invite test hospital"))
	pub := ed25519.NewKeyFromSeed(seed[:]).Public().(ed25519.PublicKey)
	return Invite{
		Code:        "4821-amber-falcon",
		Addrs:       []string{"192.168.1.20:7450", "[fd00::20]:7450", "st-marys.local:7450"},
		Fingerprint: FingerprintOf(pub),
		Name:        "St. Mary's",
		Role:        Doctor,
		Expires:     time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC),
	}
}

func TestRoundTrip(t *testing.T) {
	inv := testInvite()
	plain, err := Encode(inv)
	if err != nil {
		t.Fatal(err)
	}
	link, err := Link(inv)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("invite (%d chars): %s", len(plain), plain)
	t.Logf("link   (%d chars): %s", len(link), link)
	if !strings.HasPrefix(plain, "qkdchat-invite-") || !strings.HasPrefix(link, "qkdchat:invite/") ||
		strings.TrimPrefix(plain, "qkdchat-invite-") != strings.TrimPrefix(link, "qkdchat:invite/") {
		t.Fatalf("the two forms must share their data: %s / %s", plain, link)
	}
	if len(link) > 160 {
		t.Errorf("a typical invite is %d characters; it should stay short enough for a chat line or a small QR code", len(link))
	}
	data := strings.TrimPrefix(plain, "qkdchat-invite-")
	// Forms a person or a program may hand us, all the same invite.
	for _, in := range []string{
		plain,
		link,
		strings.ToUpper(link),
		strings.ToUpper(plain),
		"  \n\t" + link + " \r\n",
		"qkdchat://invite/" + data,
		"QKDCHAT:invite/" + data[:30] + "\n" + data[30:], // wrapped by a mail client
		"qkdchat-invite-" + group(data),
		"qkdchat:invite/" + strings.NewReplacer("1", "l", "0", "O").Replace(data), // misread characters
	} {
		got, err := Parse(in)
		if err != nil {
			t.Errorf("Parse(%q): %v", in, err)
			continue
		}
		if !reflect.DeepEqual(got, inv) {
			t.Errorf("Parse(%q) = %+v, want %+v", in, got, inv)
		}
	}
	if got, _ := Parse(plain); got.Nameplate() != 4821 || !got.Matches(ed25519.NewKeyFromSeed(sha(("invite test hospital"))).Public().(ed25519.PublicKey)) {
		t.Errorf("nameplate %d or fingerprint does not match", got.Nameplate())
	}
}

func sha(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }

// group writes data in hyphenated groups of five, as a person might.
func group(data string) string {
	var b strings.Builder
	for i := 0; i < len(data); i += 5 {
		if i > 0 {
			b.WriteByte('-')
		}
		b.WriteString(data[i:min(i+5, len(data))])
	}
	return b.String()
}

func TestCanonicalForms(t *testing.T) {
	inv := testInvite()
	inv.Code = "  4821 Amber FALCON "
	inv.Addrs = []string{"[::ffff:10.0.0.7]:7450", "Hospital.LAN:80"}
	s, err := Encode(inv)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	if got.Code != "4821-amber-falcon" || !reflect.DeepEqual(got.Addrs, []string{"10.0.0.7:7450", "hospital.lan:80"}) {
		t.Errorf("got code %q addrs %q; want the canonical forms", got.Code, got.Addrs)
	}
	inv.Expires = time.Date(2027, 1, 1, 0, 0, 0, 999, time.FixedZone("X", 3600))
	s, _ = Encode(inv)
	if got, _ := Parse(s); !got.Expires.Equal(inv.Expires.Truncate(time.Second)) {
		t.Errorf("expiry %v, want %v to the second", got.Expires, inv.Expires)
	}
}

func TestEncodeRefuses(t *testing.T) {
	long := make([]string, MaxAddrs+1)
	for i := range long {
		long[i] = "10.0.0.1:1"
	}
	for name, mod := range map[string]func(*Invite){
		"listener code":      func(i *Invite) { i.Code = "42-amber-falcon" },
		"word not in list":   func(i *Invite) { i.Code = "4821-amber-falcom" },
		"three words":        func(i *Invite) { i.Code = "4821-amber-falcon-acorn" },
		"nameplate too big":  func(i *Invite) { i.Code = "10000-amber-falcon" },
		"no role":            func(i *Invite) { i.Role = "" },
		"role hospital":      func(i *Invite) { i.Role = "hospital" },
		"no expiry":          func(i *Invite) { i.Expires = time.Time{} },
		"expiry before 1970": func(i *Invite) { i.Expires = time.Unix(-5, 0) },
		"expiry after 2106":  func(i *Invite) { i.Expires = time.Unix(1<<32, 0) },
		"no name":            func(i *Invite) { i.Name = "" },
		"name too long":      func(i *Invite) { i.Name = strings.Repeat("x", MaxNameLen+1) },
		"name with newline":  func(i *Invite) { i.Name = "St\nMary" },
		"no addresses":       func(i *Invite) { i.Addrs = nil },
		"too many addresses": func(i *Invite) { i.Addrs = long },
		"no port":            func(i *Invite) { i.Addrs = []string{"10.0.0.1"} },
		"port 0":             func(i *Invite) { i.Addrs = []string{"10.0.0.1:0"} },
		"port too big":       func(i *Invite) { i.Addrs = []string{"10.0.0.1:65536"} },
		"zone":               func(i *Invite) { i.Addrs = []string{"[fe80::1%eth0]:7450"} },
		"bad host":           func(i *Invite) { i.Addrs = []string{"a_b.local:7450"} },
		"bad IPv4":           func(i *Invite) { i.Addrs = []string{"10.0.0.300:7450"} },
		"long host":          func(i *Invite) { i.Addrs = []string{strings.Repeat("a.", 127) + "b:1"} },
	} {
		inv := testInvite()
		mod(&inv)
		if s, err := Encode(inv); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Encode = %q, %v; want ErrInvalid", name, s, err)
		}
	}
}

func TestParseErrors(t *testing.T) {
	good, _ := Encode(testInvite())
	data := strings.TrimPrefix(good, "qkdchat-invite-")
	flip := func(i int) string { // change one character to another valid one
		b := []byte(good)
		j := len("qkdchat-invite-") + i
		b[j] = alphabet[(strings.IndexByte(alphabet, b[j])+7)%32]
		return string(b)
	}
	for _, tc := range []struct {
		name, in string
		want     error
	}{
		{"empty", "", ErrNotInvite},
		{"an address", "192.168.1.20:7450", ErrNotInvite},
		{"a pairing code", "4821-amber-falcon", ErrNotInvite},
		{"a web link", "https://example.org/invite/" + data, ErrNotInvite},
		{"no data", "qkdchat-invite-", ErrDamaged},
		{"truncated", good[:len(good)-3], ErrDamaged},
		{"last character lost", good[:len(good)-1], ErrDamaged},
		{"first character mistyped", flip(0), ErrDamaged},
		{"middle character mistyped", flip(len(data) / 2), ErrDamaged},
		{"last character mistyped", flip(len(data) - 1), ErrDamaged},
		{"extra character", good + "q", ErrDamaged},
		{"letter u", good[:40] + "u" + good[41:], ErrDamaged},
		{"punctuation", good[:40] + "!" + good[41:], ErrDamaged},
		{"non-ASCII", good[:40] + "é" + good[42:], ErrDamaged},
		{"huge", "qkdchat-invite-" + strings.Repeat("a", 10*MaxLen), ErrDamaged},
		{"newer version", reversion(t, good, 2), ErrUnsupported},
	} {
		_, err := Parse(tc.in)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: Parse = %v, want %v", tc.name, err, tc.want)
		}
	}
	_, err := Parse(flip(10))
	if err == nil || !strings.HasPrefix(err.Error(), "this invite is damaged (check it was copied whole)") {
		t.Errorf("a damaged invite must say so in plain words: %v", err)
	}
}

// reversion re-encodes s with another version byte and a valid checksum.
func reversion(t *testing.T, s string, v byte) string {
	t.Helper()
	b, err := decodeBase32(strings.TrimPrefix(s, "qkdchat-invite-"))
	if err != nil {
		t.Fatal(err)
	}
	b[0] = v
	body := b[:len(b)-checksumLen]
	binary.BigEndian.PutUint32(b[len(b)-checksumLen:], crc32.Checksum(body, castagnoli))
	return plainPrefix + encodeBase32(b)
}

// TestChecksumCatchesTypos: every single-character substitution and every
// swap of adjacent characters in a valid invite is reported as damaged,
// never parsed into another invite.
func TestChecksumCatchesTypos(t *testing.T) {
	good, _ := Encode(testInvite())
	data := strings.TrimPrefix(good, "qkdchat-invite-")
	n := 0
	for i := range len(data) {
		for _, c := range []byte(alphabet) {
			if c == data[i] {
				continue
			}
			bad := data[:i] + string(c) + data[i+1:]
			if _, err := Parse(plainPrefix + bad); !errors.Is(err, ErrDamaged) {
				t.Fatalf("substitution at %d (%c for %c): %v", i, c, data[i], err)
			}
			n++
		}
		if i+1 < len(data) && data[i] != data[i+1] {
			bad := data[:i] + string(data[i+1]) + string(data[i]) + data[i+2:]
			if _, err := Parse(plainPrefix + bad); !errors.Is(err, ErrDamaged) {
				t.Fatalf("swap at %d: %v", i, err)
			}
			n++
		}
	}
	// Random damage of several characters: caught too (2^-32 odds to miss).
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		b := []byte(data)
		for range 2 + rng.IntN(4) {
			b[rng.IntN(len(b))] = alphabet[rng.IntN(32)]
		}
		if string(b) == data {
			continue
		}
		if _, err := Parse(plainPrefix + string(b)); !errors.Is(err, ErrDamaged) {
			t.Fatalf("random damage %q: %v", b, err)
		}
		n++
	}
	t.Logf("%d damaged invites all refused", n)
}

func TestCheckExpiry(t *testing.T) {
	inv := testInvite()
	if err := inv.Check(inv.Expires.Add(-time.Second)); err != nil {
		t.Errorf("a second before expiry: %v", err)
	}
	for _, at := range []time.Time{inv.Expires, inv.Expires.Add(time.Hour)} {
		if err := inv.Check(at); !errors.Is(err, ErrExpired) || !strings.Contains(err.Error(), "this invite has expired") {
			t.Errorf("Check(%v) = %v, want ErrExpired", at, err)
		}
	}
}

func TestParseRole(t *testing.T) {
	for in, want := range map[string]Role{"patient": Patient, " Doctor ": Doctor, "PATIENT": Patient} {
		if got, err := ParseRole(in); err != nil || got != want {
			t.Errorf("ParseRole(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "hospital", "nurse"} {
		if _, err := ParseRole(in); err == nil {
			t.Errorf("ParseRole(%q) accepted", in)
		}
	}
}

func TestBase32(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for n := range 40 {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		s := encodeBase32(b)
		got, err := decodeBase32(s)
		if err != nil || string(got) != string(b) {
			t.Fatalf("%x -> %q -> %x, %v", b, s, got, err)
		}
		if n > 0 && (n*8)%5 != 0 {
			// Non-zero padding bits are not canonical.
			last := strings.IndexByte(alphabet, s[len(s)-1])
			bad := s[:len(s)-1] + string(alphabet[last|1])
			if last&1 == 0 { // the lowest bit is padding
				if _, err := decodeBase32(bad); err == nil {
					t.Fatalf("non-zero padding bits accepted: %q", bad)
				}
			}
		}
	}
}

// FuzzParse: Parse never panics, and whatever it accepts encodes to a
// string that parses back to the same invite.
func FuzzParse(f *testing.F) {
	good, _ := Encode(testInvite())
	link, _ := Link(testInvite())
	f.Add(good)
	f.Add(link)
	f.Add(strings.ToUpper(link))
	f.Add("qkdchat-invite-")
	f.Add("qkdchat:invite/0000")
	f.Add(good[:len(good)-5])
	f.Fuzz(func(t *testing.T, s string) {
		inv, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrNotInvite) && !errors.Is(err, ErrDamaged) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		again, err := Encode(inv)
		if err != nil {
			t.Fatalf("parsed invite %+v does not encode: %v", inv, err)
		}
		back, err := Parse(again)
		if err != nil || !reflect.DeepEqual(back, inv) {
			t.Fatalf("round trip: %+v -> %q -> %+v, %v", inv, again, back, err)
		}
	})
}
