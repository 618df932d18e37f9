package invite

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"net/netip"
	"time"

	"qkdchat/transport/paircode"
)

// version is the first byte of an invite's binary form.
const version = 1

// The binary form of version 1, all integers big-endian:
//
//	version        1 byte, 1
//	nameplate      2 bytes
//	words          2 bytes: indexes in the pairing word list
//	fingerprint    16 bytes
//	role           1 byte: 1 patient, 2 doctor
//	expires        4 bytes: Unix seconds
//	name           1 byte length (1..MaxNameLen), UTF-8
//	address count  1 byte (1..MaxAddrs), then each address:
//	                 1 IPv4: 4 bytes, port 2 bytes
//	                 2 IPv6: 16 bytes, port 2 bytes
//	                 3 name: 1 byte length, lower-case DNS name, port 2 bytes
//	checksum       4 bytes: CRC-32C of everything before
//
// The whole is written in Crockford's base32 (lower case, no padding, the
// unused low bits of the last character zero).
const (
	roleCodePatient = 1
	roleCodeDoctor  = 2

	addrIPv4 = 1
	addrIPv6 = 2
	addrName = 3

	headerLen   = 1 + 2 + 2 + 16 + 1 + 4
	checksumLen = 4
	// minDataLen: the header, a 1-byte name, one IPv4 address, the checksum.
	minDataLen = headerLen + 2 + 1 + 7 + checksumLen
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func roleCode(r Role) (byte, bool) {
	switch r {
	case Patient:
		return roleCodePatient, true
	case Doctor:
		return roleCodeDoctor, true
	}
	return 0, false
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("invite: %w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// encodeData checks inv and returns its DATA part.
func encodeData(inv Invite) (string, error) {
	np, w1, w2, err := paircode.InviteParts(inv.Code)
	if err != nil {
		return "", invalid("code: %v", err)
	}
	role, ok := roleCode(inv.Role)
	if !ok {
		return "", invalid("role %q: want patient or doctor", inv.Role)
	}
	if inv.Expires.IsZero() || inv.Expires.Unix() <= 0 || inv.Expires.Unix() > math.MaxUint32 {
		return "", invalid("an invite needs an expiry time between 1970 and 2106")
	}
	if err := checkName(inv.Name); err != nil {
		return "", invalid("%v", err)
	}
	if len(inv.Addrs) == 0 || len(inv.Addrs) > MaxAddrs {
		return "", invalid("%d addresses: want 1 to %d", len(inv.Addrs), MaxAddrs)
	}
	b := make([]byte, 0, 128)
	b = append(b, version)
	b = binary.BigEndian.AppendUint16(b, uint16(np))
	b = append(b, w1, w2)
	b = append(b, inv.Fingerprint[:]...)
	b = append(b, role)
	b = binary.BigEndian.AppendUint32(b, uint32(inv.Expires.Unix()))
	b = append(b, byte(len(inv.Name)))
	b = append(b, inv.Name...)
	b = append(b, byte(len(inv.Addrs)))
	for _, s := range inv.Addrs {
		a, err := parseAddress(s)
		if err != nil {
			return "", invalid("%v", err)
		}
		switch {
		case a.ip.Is4():
			b = append(b, addrIPv4)
			b = append(b, a.ip.AsSlice()...)
		case a.ip.Is6():
			b = append(b, addrIPv6)
			b = append(b, a.ip.AsSlice()...)
		default:
			b = append(b, addrName, byte(len(a.host)))
			b = append(b, a.host...)
		}
		b = binary.BigEndian.AppendUint16(b, a.port)
	}
	b = binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
	s := encodeBase32(b)
	if len(s)+len(linkAltPrefix) > MaxLen {
		return "", invalid("the invite would be %d characters long, more than %d", len(s)+len(linkAltPrefix), MaxLen)
	}
	return s, nil
}

// decodeData parses the DATA part (lower case already).
func decodeData(data string) (Invite, error) {
	b, err := decodeBase32(data)
	if err != nil {
		return Invite{}, fmt.Errorf("%w: %v", ErrDamaged, err)
	}
	if len(b) < minDataLen {
		return Invite{}, fmt.Errorf("%w: it is too short", ErrDamaged)
	}
	body, sum := b[:len(b)-checksumLen], b[len(b)-checksumLen:]
	if crc32.Checksum(body, castagnoli) != binary.BigEndian.Uint32(sum) {
		return Invite{}, fmt.Errorf("%w: its checksum does not match", ErrDamaged)
	}
	if body[0] != version {
		return Invite{}, fmt.Errorf("%w (invite version %d)", ErrUnsupported, body[0])
	}
	inv, err := decodeBody(body)
	if err != nil {
		return Invite{}, fmt.Errorf("%w: %v", ErrDamaged, err)
	}
	return inv, nil
}

// decodeBody reads a version 1 body whose checksum matched. Errors here
// mean a broken encoder or a forged checksum.
func decodeBody(b []byte) (Invite, error) {
	var inv Invite
	np := int(binary.BigEndian.Uint16(b[1:3]))
	code, err := paircode.InviteFromParts(np, b[3], b[4])
	if err != nil {
		return inv, fmt.Errorf("bad code: %v", err)
	}
	inv.Code = code
	copy(inv.Fingerprint[:], b[5:21])
	switch b[21] {
	case roleCodePatient:
		inv.Role = Patient
	case roleCodeDoctor:
		inv.Role = Doctor
	default:
		return inv, fmt.Errorf("unknown role %d", b[21])
	}
	exp := binary.BigEndian.Uint32(b[22:26])
	if exp == 0 {
		return inv, fmt.Errorf("no expiry time")
	}
	inv.Expires = time.Unix(int64(exp), 0).UTC()
	r := reader{b: b[headerLen:]}
	name := r.bytes(int(r.byte()))
	if err := checkName(string(name)); r.bad || err != nil {
		return inv, fmt.Errorf("bad inviter name")
	}
	inv.Name = string(name)
	n := int(r.byte())
	if n == 0 || n > MaxAddrs {
		return inv, fmt.Errorf("%d addresses", n)
	}
	for range n {
		var a address
		switch r.byte() {
		case addrIPv4:
			a.ip = netip.AddrFrom4([4]byte(r.bytes(4)))
		case addrIPv6:
			a.ip = netip.AddrFrom16([16]byte(r.bytes(16)))
			if a.ip.Is4In6() {
				return inv, fmt.Errorf("IPv4 address written as IPv6")
			}
		case addrName:
			a.host = string(r.bytes(int(r.byte())))
			if !r.bad && !validHostName(a.host) {
				return inv, fmt.Errorf("bad host name")
			}
		default:
			return inv, fmt.Errorf("unknown address type")
		}
		a.port = r.uint16()
		if r.bad {
			return inv, fmt.Errorf("truncated")
		}
		if a.port == 0 {
			return inv, fmt.Errorf("port 0")
		}
		inv.Addrs = append(inv.Addrs, a.String())
	}
	if r.bad || len(r.b) != 0 {
		return inv, fmt.Errorf("bad length")
	}
	return inv, nil
}

// reader consumes a byte slice; past its end it returns zeros and sets
// bad, so a parser can check once after several reads.
type reader struct {
	b   []byte
	bad bool
}

func (r *reader) bytes(n int) []byte {
	if r.bad || len(r.b) < n {
		r.bad = true
		return make([]byte, n)
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) byte() byte { return r.bytes(1)[0] }

func (r *reader) uint16() uint16 { return binary.BigEndian.Uint16(r.bytes(2)) }
