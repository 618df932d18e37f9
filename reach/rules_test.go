package reach

import (
	"errors"
	"net"
	"slices"
	"testing"

	"qkdchat/nearby"
)

func TestShouldAnnounce(t *testing.T) {
	for _, tc := range []struct {
		role, host string
		want       bool
	}{
		{"hospital", "", true},
		{"hospital", "0.0.0.0", true},
		{"hospital", "::", true},
		{"hospital", "192.168.1.20", true},
		{"hospital", "st-marys.local", true},
		{"hospital", "127.0.0.1", false},
		{"hospital", "::1", false},
		{"hospital", "[::1]", false},
		{"hospital", "localhost", false},
		{"patient", "", false},
		{"patient", "192.168.1.20", false},
		{"doctor", "0.0.0.0", false},
		{"doctor", "192.168.1.20", false},
	} {
		if got := ShouldAnnounce(tc.role, tc.host); got != tc.want {
			t.Errorf("ShouldAnnounce(%q, %q) = %v, want %v", tc.role, tc.host, got, tc.want)
		}
	}
}

func TestHandOutAndAnnounceIPs(t *testing.T) {
	local := []net.IP{net.ParseIP("192.168.1.20"), net.ParseIP("10.0.0.5")}
	for _, tc := range []struct {
		host string
		want []string
		ips  []net.IP
	}{
		{"", []string{"192.168.1.20:7450", "10.0.0.5:7450"}, nil},
		{"0.0.0.0", []string{"192.168.1.20:7450", "10.0.0.5:7450"}, nil},
		{"::", []string{"192.168.1.20:7450", "10.0.0.5:7450"}, nil},
		{"192.168.1.20", []string{"192.168.1.20:7450"}, []net.IP{net.ParseIP("192.168.1.20")}},
		{"127.0.0.1", []string{"127.0.0.1:7450"}, []net.IP{net.ParseIP("127.0.0.1")}},
		{"fe80::1", []string{"[fe80::1]:7450"}, []net.IP{net.ParseIP("fe80::1")}},
	} {
		if got := HandOut(tc.host, 7450, local); !slices.Equal(got, tc.want) {
			t.Errorf("HandOut(%q) = %v, want %v", tc.host, got, tc.want)
		}
		got := AnnounceIPs(tc.host)
		if len(got) != len(tc.ips) || (len(got) == 1 && !got[0].Equal(tc.ips[0])) {
			t.Errorf("AnnounceIPs(%q) = %v, want %v", tc.host, got, tc.ips)
		}
	}
}

func TestRememberKeepsTheHostAndTheBoundPort(t *testing.T) {
	for _, tc := range []struct {
		asked, bound, want string
	}{
		{"127.0.0.1:0", "127.0.0.1:41234", "127.0.0.1:41234"},
		{":7450", "[::]:7450", ":7450"},
		{"0.0.0.0:0", "0.0.0.0:5000", "0.0.0.0:5000"},
		{"[::1]:0", "[::1]:6000", "[::1]:6000"},
	} {
		bound, err := net.ResolveTCPAddr("tcp", tc.bound)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Remember(tc.asked, bound)
		if err != nil || got != tc.want {
			t.Errorf("Remember(%q, %s) = %q, %v; want %q", tc.asked, tc.bound, got, err, tc.want)
		}
	}
	if _, err := Remember("no port", &net.TCPAddr{Port: 1}); err == nil {
		t.Error("Remember accepted an address without a port")
	}
}

func TestPickHospital(t *testing.T) {
	mary := nearby.Hospital{Name: "St. Mary's", Fingerprint: "3f2a9c0177be04d5aa10bb20cc30dd40", Addrs: []string{"192.168.1.20:7450"}}
	mary2 := nearby.Hospital{Name: "St. Mary's", Fingerprint: "9999000077be04d5aa10bb20cc30dd40", Addrs: []string{"192.168.1.66:7450"}}
	luke := nearby.Hospital{Name: "St. Luke", Fingerprint: "aaaa9c0177be04d5aa10bb20cc30dd40", Addrs: []string{"192.168.1.30:7450"}}
	noAddr := nearby.Hospital{Name: "Ghost", Fingerprint: "bbbb9c0177be04d5aa10bb20cc30dd40"}
	var none *NoHospitalError
	var amb *AmbiguousError
	for _, tc := range []struct {
		name  string
		found []nearby.Hospital
		ask   string
		want  string // fingerprint, or "" for an error
		isErr any
	}{
		{"by name", []nearby.Hospital{mary, luke}, "St. Mary's", mary.Fingerprint, nil},
		{"case and spaces", []nearby.Hospital{mary, luke}, "  st. mary's ", mary.Fingerprint, nil},
		{"by fingerprint start", []nearby.Hospital{mary, mary2}, "3f2a 9c01", mary.Fingerprint, nil},
		{"fingerprint too short", []nearby.Hospital{mary}, "3f2", "", &none},
		{"two of one name", []nearby.Hospital{mary, mary2, luke}, "St. Mary's", "", &amb},
		{"nobody of that name", []nearby.Hospital{luke}, "St. Mary's", "", &none},
		{"nobody at all", nil, "St. Mary's", "", &none},
		{"no address", []nearby.Hospital{noAddr}, "Ghost", "", &none},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := PickHospital(tc.found, tc.ask)
			if tc.want != "" {
				if err != nil || h.Fingerprint != tc.want {
					t.Fatalf("picked %+v, %v; want %s", h, err, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("picked %+v, want an error", h)
			}
			switch target := tc.isErr.(type) {
			case **NoHospitalError:
				if !errors.As(err, target) {
					t.Fatalf("error %v is not a NoHospitalError", err)
				}
			case **AmbiguousError:
				if !errors.As(err, target) || len((*target).Fingerprints) != 2 {
					t.Fatalf("error %v is not an AmbiguousError naming both", err)
				}
			}
		})
	}
}
