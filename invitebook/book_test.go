package invitebook

import (
	"errors"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fernet/fernet-go"

	"qkdchat/invite"
	"qkdchat/store"
	"qkdchat/transport"
)

func testBook(t *testing.T) (Book, *[]Record) {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "state.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var k fernet.Key
	if err := k.Generate(); err != nil {
		t.Fatal(err)
	}
	var seen []Record
	return Book{Records: st.Invites(&k), Inviter: Inviter{Name: "St Mary", Fingerprint: [16]byte{1, 2, 3}},
		Changed: func(r Record) { seen = append(seen, r) }}, &seen
}

// registrar records what Register and the node serve to a listener.
type registrar struct {
	added   map[int]string
	revoked map[int]bool
}

func (r *registrar) AddInvite(code string, _ time.Time, grant string) error {
	np, _, _, err := transport.InviteCodeParts(code)
	if err != nil {
		return err
	}
	r.added[np] = grant
	return nil
}

func (r *registrar) RevokeInvite(np int) bool { r.revoked[np] = true; return true }

// TestBookLife: an invite is created open, parses back to what was
// asked, is burned or used once (a second event does not change it), and
// after a restart the open one is served and the finished ones are
// served as revoked.
func TestBookLife(t *testing.T) {
	b, seen := testBook(t)
	addrs := []string{"192.0.2.7:7450", "127.0.0.1:7450"}
	doc, err := b.Create("doctor", "Dr Who", time.Hour, addrs)
	if err != nil {
		t.Fatal(err)
	}
	inv, err := invite.Parse(doc.Invite)
	if err != nil {
		t.Fatal(err)
	}
	if inv.Role != invite.Doctor || inv.Code != doc.Code || inv.Name != "St Mary" || inv.Fingerprint != b.Inviter.Fingerprint ||
		strings.Join(inv.Addrs, ",") != strings.Join(addrs, ",") || !inv.Expires.Equal(doc.Expires) {
		t.Fatalf("invite %+v does not carry what was asked (%+v)", inv, doc)
	}
	pat, _ := b.Create("patient", "", 0, addrs)
	gone, _ := b.Create("patient", "", time.Hour, addrs)
	if _, err := b.Create("hospital", "", 0, addrs); err == nil {
		t.Error("created an invite granting hospital")
	}
	if err := b.Transport(transport.InviteEvent{Kind: transport.InviteBurned, Nameplate: doc.Nameplate,
		Remote: &net.TCPAddr{IP: net.IPv4(192, 0, 2, 9), Port: 5000}}); err != nil {
		t.Fatal(err)
	}
	last := (*seen)[len(*seen)-1]
	if last.State != Burned || last.Summary() != "invite "+strconv.Itoa(doc.Nameplate)+" for a doctor (Dr Who) was burned by a wrong guess from 192.0.2.9:5000 — issue a new one" {
		t.Errorf("burn announced as %q", last.Summary())
	}
	// A late used event (or a second burn) changes nothing.
	if err := b.Transport(transport.InviteEvent{Kind: transport.InviteUsed, Nameplate: doc.Nameplate}); err != nil {
		t.Fatal(err)
	}
	if err := b.Paired(doc.Nameplate, "fp", "Mallory"); !errors.Is(err, ErrNotOpen) {
		t.Errorf("a burned invite recorded as used: %v", err)
	}
	if err := b.Paired(pat.Nameplate, "fp-pat", "Pat"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.SetState(gone.Nameplate, Revoked, nil); err != nil {
		t.Fatal(err)
	}
	rs, err := b.List()
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]string{doc.Nameplate: Burned, pat.Nameplate: Used, gone.Nameplate: Revoked}
	for _, r := range rs {
		if r.State != want[r.Nameplate] {
			t.Errorf("invite %d is %s, want %s", r.Nameplate, r.State, want[r.Nameplate])
		}
	}
	open, _ := b.Create("doctor", "", time.Hour, addrs)
	reg := &registrar{added: map[int]string{}, revoked: map[int]bool{}}
	if err := b.Register(reg); err != nil {
		t.Fatal(err)
	}
	if len(reg.added) != 4 || reg.added[open.Nameplate] != "doctor" || reg.revoked[open.Nameplate] {
		t.Errorf("served %v, revoked %v: want all four, only %d open", reg.added, reg.revoked, open.Nameplate)
	}
	for _, np := range []int{doc.Nameplate, pat.Nameplate, gone.Nameplate} {
		if !reg.revoked[np] {
			t.Errorf("finished invite %d served as open", np)
		}
	}
}

// TestListExpires: an open invite past its time is listed, stored and
// announced as expired, and no longer served.
func TestListExpires(t *testing.T) {
	b, seen := testBook(t)
	r, err := b.Create("patient", "Pat", time.Second, []string{"127.0.0.1:7450"})
	if err != nil {
		t.Fatal(err)
	}
	// Move its expiry into the past, as time would.
	var x Record
	if err := b.Records.Update(strconv.Itoa(r.Nameplate), &x, func(bool) error { x.Expires = time.Now().Add(-time.Minute); return nil }); err != nil {
		t.Fatal(err)
	}
	rs, err := b.List()
	if err != nil || len(rs) != 1 || rs[0].State != Expired {
		t.Fatalf("List = %+v, %v; want one expired", rs, err)
	}
	if last := (*seen)[len(*seen)-1]; last.State != Expired || !strings.Contains(last.Summary(), "expired unused") {
		t.Errorf("announced %+v", last)
	}
	reg := &registrar{added: map[int]string{}, revoked: map[int]bool{}}
	if err := b.Register(reg); err != nil || len(reg.added) != 0 {
		t.Errorf("an expired invite was served: %v %v", reg.added, err)
	}
}

func TestAddrs(t *testing.T) {
	lan := []net.IP{net.ParseIP("192.168.1.20"), net.ParseIP("10.0.0.5"), net.ParseIP("127.0.0.1")}
	tcp := func(s string) net.Addr { a, _ := net.ResolveTCPAddr("tcp", s); return a }
	many := make([]net.IP, 12)
	for i := range many {
		many[i] = net.IPv4(10, 0, 1, byte(i+1))
	}
	for _, tc := range []struct {
		name      string
		listening []net.Addr
		lan       []net.IP
		want      string
	}{
		{"not listening", nil, lan, "192.168.1.20:7450,10.0.0.5:7450,127.0.0.1:7450"},
		{"wildcard", []net.Addr{tcp("0.0.0.0:9000")}, lan, "192.168.1.20:9000,10.0.0.5:9000,127.0.0.1:9000"},
		{"one LAN address", []net.Addr{tcp("192.168.1.20:9000")}, lan, "192.168.1.20:9000,127.0.0.1:9000"},
		{"loopback only", []net.Addr{tcp("127.0.0.1:4242")}, lan, "127.0.0.1:4242"},
		{"IPv6 loopback and a wildcard", []net.Addr{tcp("[::1]:4242"), tcp("[::]:4242")}, lan[:1], "192.168.1.20:4242,[::1]:4242,127.0.0.1:4242"},
		{"no LAN", nil, nil, "127.0.0.1:7450"},
		{"a crowded LAN keeps loopback", nil, many, "10.0.1.1:7450,10.0.1.2:7450,10.0.1.3:7450,10.0.1.4:7450,10.0.1.5:7450,10.0.1.6:7450,10.0.1.7:7450,127.0.0.1:7450"},
	} {
		if got := strings.Join(Addrs(tc.listening, tc.lan), ","); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}
