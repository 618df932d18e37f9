package nearby

import (
	"fmt"
	"net"
	"reflect"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

const fp128 = "3f2a 9c01 77be 04d5 aa10 bb20 cc30 dd40"

func TestZoneAnswersWithNamePortAndFingerprint(t *testing.T) {
	zone, err := newZone(Announcement{Name: "St. Mary's  Hospital", Port: 7450, Fingerprint: fp128,
		IPs: []net.IP{net.ParseIP("192.168.1.20")}, Host: "clinic-pc.example"})
	if err != nil {
		t.Fatal(err)
	}
	ptr := zone.Records(dns.Question{Name: Service + "." + Domain, Qtype: dns.TypePTR, Qclass: dns.ClassINET})
	var srv *dns.SRV
	var txt *dns.TXT
	var a *dns.A
	for _, rr := range ptr {
		switch r := rr.(type) {
		case *dns.SRV:
			srv = r
		case *dns.TXT:
			txt = r
		case *dns.A:
			a = r
		}
	}
	if srv == nil || txt == nil || a == nil {
		t.Fatalf("answer to a browse lacks SRV, TXT or A: %v", ptr)
	}
	if srv.Port != 7450 || srv.Target != "clinic-pc.local." {
		t.Errorf("SRV = %v, want port 7450 at clinic-pc.local.", srv)
	}
	if !a.A.Equal(net.ParseIP("192.168.1.20")) {
		t.Errorf("A = %v", a.A)
	}
	h, ok := parseTXT(txt.Txt)
	if !ok {
		t.Fatalf("our own TXT does not parse: %v", txt.Txt)
	}
	want := Hospital{Name: "St. Mary's Hospital", Fingerprint: "3f2a9c0177be04d5aa10bb20cc30dd40"}
	if !reflect.DeepEqual(h, want) {
		t.Errorf("TXT parses to %+v, want %+v", h, want)
	}
	if !strings.HasPrefix(ptr[0].(*dns.PTR).Ptr, "St Mary's Hospital 3f2a9c01.") {
		t.Errorf("instance = %q", ptr[0].(*dns.PTR).Ptr)
	}
}

func TestZoneRefusesWhatCannotBeAnnounced(t *testing.T) {
	ip := []net.IP{net.ParseIP("10.0.0.1")}
	for _, a := range []Announcement{
		{Name: "", Port: 7450, IPs: ip},
		{Name: "\x00\x01", Port: 7450, IPs: ip},
		{Name: "H", Port: 0, IPs: ip},
		{Name: "H", Port: 70000, IPs: ip},
		{Name: "H", Port: 7450, IPs: ip, Fingerprint: "not hex at all"},
	} {
		if _, err := newZone(a); err == nil {
			t.Errorf("newZone(%+v) accepted it", a)
		}
	}
	long := strings.Repeat("Ü", 200)
	z, err := newZone(Announcement{Name: long, Port: 1, IPs: ip, Fingerprint: fp128})
	if err != nil {
		t.Fatalf("a long name is cut, not refused: %v", err)
	}
	if n := len(z.Instance); n > 63 {
		t.Errorf("instance label is %d bytes, DNS allows 63", n)
	}
}

func TestParseTXT(t *testing.T) {
	for _, c := range []struct {
		in   []string
		want Hospital
		ok   bool
	}{
		{[]string{"v=1", "name=Clinic", "fp=" + fp128}, Hospital{Name: "Clinic", Fingerprint: "3f2a9c0177be04d5aa10bb20cc30dd40"}, true},
		{[]string{"v=1", "name=Clinic"}, Hospital{Name: "Clinic"}, true},
		{[]string{"v=1", "name=Clinic", "fp=zz"}, Hospital{Name: "Clinic"}, true},
		{[]string{"name=Clinic", "fp=" + fp128}, Hospital{}, false},
		{[]string{"v=2", "name=Clinic"}, Hospital{}, false},
		{[]string{"v=1", "name=\u202e\x07"}, Hospital{}, false},
		{[]string{"v=1", "name=  A \t\n B  "}, Hospital{Name: "A B"}, true},
		{[]string{"v=1", "name=" + strings.Repeat("x", 300)}, Hospital{Name: strings.Repeat("x", MaxNameLen)}, true},
		{nil, Hospital{}, false},
	} {
		got, ok := parseTXT(c.in)
		if ok != c.ok || !reflect.DeepEqual(got, c.want) {
			t.Errorf("parseTXT(%q) = %+v, %v; want %+v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestCollectorMergesAndBoundsAFlood(t *testing.T) {
	var c collector
	txt := func(name string) []string { return []string{"v=1", "name=" + name, "fp=" + fp128} }
	c.add("", txt("B"), net.ParseIP("10.0.0.2"), nil, 7450)
	c.add("", txt("B"), net.ParseIP("10.0.0.2"), net.ParseIP("fe80::1"), 7450)
	c.add("", txt("A"), net.ParseIP("10.0.0.3"), nil, 7451)
	c.add("", txt("C"), nil, nil, 7450)                           // no address: dropped
	c.add("", txt("D"), net.ParseIP("10.0.0.4"), nil, 0)          // no port: dropped
	c.add("", []string{"hello"}, net.ParseIP("10.0.0.5"), nil, 1) // not ours
	got := c.list()
	want := []Hospital{
		{Name: "A", Fingerprint: "3f2a9c0177be04d5aa10bb20cc30dd40", Addrs: []string{"10.0.0.3:7451"}},
		{Name: "B", Fingerprint: "3f2a9c0177be04d5aa10bb20cc30dd40", Addrs: []string{"10.0.0.2:7450", "[fe80::1]:7450"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}

	var flood collector
	for i := 0; i < 1000; i++ {
		flood.add("", txt(fmt.Sprintf("H%04d", i)), net.IPv4(10, 1, byte(i>>8), byte(i)), nil, 7450)
		flood.add("", txt("H0000"), net.IPv4(10, 2, byte(i>>8), byte(i)), nil, 7450)
	}
	l := flood.list()
	if len(l) != MaxHospitals {
		t.Fatalf("a flood of 1000 hospitals gave %d, want the first %d", len(l), MaxHospitals)
	}
	if len(l[0].Addrs) != maxAddrs {
		t.Errorf("a hospital announced at 1001 addresses keeps %d, want %d", len(l[0].Addrs), maxAddrs)
	}
}

func FuzzParseTXT(f *testing.F) {
	f.Add("v=1", "name=Clinic", "fp="+fp128)
	f.Add("v=1", "name=\xff\xfe", "fp=")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		h, ok := parseTXT([]string{a, b, c})
		if !ok {
			return
		}
		if h.Name == "" || len([]rune(h.Name)) > MaxNameLen {
			t.Fatalf("name %q accepted", h.Name)
		}
		if h.Fingerprint != "" && len(h.Fingerprint) != 32 && len(h.Fingerprint) != 16 {
			t.Fatalf("fingerprint %q accepted", h.Fingerprint)
		}
		if strings.ContainsAny(h.Name, "\x00\n\r\t") {
			t.Fatalf("control character in %q", h.Name)
		}
	})
}
