package node

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"qkdchat/invite"
	"qkdchat/telehealth"
	"qkdchat/transport"
	"qkdchat/transport/paircode"
)

// contactRole returns the role and basis n holds for the contact fp.
func contactRole(t *testing.T, n *Node, fp string) (Role, telehealth.RoleBasis) {
	t.Helper()
	c, ok := n.store.Contact(fp)
	if !ok {
		t.Fatalf("%s has no contact %s", n.Profile().Name, fp)
	}
	return c.Role, c.RoleBasis
}

func rosterHas(n *Node, fp string) bool {
	for _, c := range n.Clinic().Doctors() {
		if c.Fingerprint == fp {
			return true
		}
	}
	return false
}

// TestInviteGrantsTheRoleNotTheClaim is the attack of issue 14: a
// person holding a patient's invite code claims "doctor" in its hello
// (a patched client that skips Join's check and dials with the code);
// the hospital pins it as a patient, keeps it off the roster and refuses
// to refer to it. The reverse (a doctor invite used by a patient
// profile) grants doctor, and a pinned reconnect claiming another role
// keeps the granted one.
func TestInviteGrantsTheRoleNotTheClaim(t *testing.T) {
	ctx := t.Context()
	h := newTestNode(t, "St Mary", RoleHospital, BB84Settings{})
	hev, cancel := h.Events()
	t.Cleanup(cancel)
	addr, _, err := h.Listen(ctx, "127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	patInv, err := h.Invites().Create(RolePatient, "Pat", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	// A doctor profile dialling with the patient invite's code.
	mallory := newTestNode(t, "Mallory", RoleDoctor, BB84Settings{})
	s, err := mallory.Connect(ctx, addr.String(), patInv.Code)
	if err != nil {
		t.Fatal(err)
	}
	if s.Peer().Fingerprint != h.Fingerprint() {
		t.Fatalf("paired with %s", s.Peer().Fingerprint)
	}
	waitEvent(t, hev, "the hospital pins Mallory", func(e Event) bool { return e.Type == EventPaired && e.PeerName == "Mallory" })
	if r, b := contactRole(t, h, mallory.Fingerprint()); r != RolePatient || b != telehealth.BasisInvite {
		t.Fatalf("a doctor's claim with a patient invite: hospital holds %s/%s, want patient/invite", r, b)
	}
	if rosterHas(h, mallory.Fingerprint()) {
		t.Fatal("a patient-invite joiner is on the doctors' roster")
	}
	waitFor(t, "the invite used by Mallory", func() bool {
		rs, _ := h.Invites().List()
		return len(rs) == 1 && rs[0].State == InviteUsed && rs[0].Peer == mallory.Fingerprint()
	})

	// Reconnecting as a pinned contact while still claiming doctor keeps
	// the granted role.
	mallory.Close()
	if _, err := h.Clinic().Approve(mallory.Fingerprint()); err != nil { // approval confirms the role it holds
		t.Fatal(err)
	}
	if r, _ := contactRole(t, h, mallory.Fingerprint()); r != RolePatient {
		t.Fatalf("approval changed the role to %s", r)
	}
	if rosterHas(h, mallory.Fingerprint()) {
		t.Fatal("an approved patient is on the doctors' roster")
	}

	// The reverse: a patient profile with a doctor invite (via a raw
	// dial) is granted doctor, not what it claims.
	docInv, err := h.Invites().Create(RoleDoctor, "Dr Who", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	pat := newTestNode(t, "Pat", RolePatient, BB84Settings{})
	if _, err := pat.Connect(ctx, addr.String(), docInv.Code); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, hev, "the hospital pins Pat", func(e Event) bool { return e.Type == EventPaired && e.PeerName == "Pat" })
	if r, b := contactRole(t, h, pat.Fingerprint()); r != RoleDoctor || b != telehealth.BasisInvite {
		t.Fatalf("a patient's claim with a doctor invite: hospital holds %s/%s, want doctor/invite", r, b)
	}
}

// assertNotInFile fails if secret appears in the file at path.
func assertNotInFile(t *testing.T, path, secret string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte(secret)) {
		t.Fatalf("%s holds %q in the clear", path, secret)
	}
}

// TestRosterHoldsOnlyInvitedOrApprovedDoctors: a doctor that paired with
// the plain listener code claims the role; the hospital does not refer
// to it until it approves it.
func TestRosterHoldsOnlyInvitedOrApprovedDoctors(t *testing.T) {
	ctx := t.Context()
	h := newTestNode(t, "St Mary", RoleHospital, BB84Settings{})
	d := newTestNode(t, "Dr Claim", RoleDoctor, BB84Settings{})
	_, _, hev := pairNodes(t, ctx, d, h)
	waitEvent(t, hev, "paired", isType(EventPaired))
	if r, b := contactRole(t, h, d.Fingerprint()); r != RoleDoctor || b != telehealth.BasisClaimed {
		t.Fatalf("code pairing: %s/%s, want doctor/claimed", r, b)
	}
	if rosterHas(h, d.Fingerprint()) {
		t.Fatal("a doctor who only claimed the role is on the roster")
	}
	err := telehealth.CheckRefer(actorOf(h.Profile(), h.id), Case{ID: "case-1", Hospital: h.Fingerprint(), Status: telehealth.CaseSubmitted},
		contactActor(mustContact(t, h, d.Fingerprint())))
	if !errors.Is(err, telehealth.ErrRoleViolation) {
		t.Fatalf("refer to a claimed doctor: %v, want a role violation", err)
	}
	if _, err := h.Clinic().Approve(d.Fingerprint()); err != nil {
		t.Fatal(err)
	}
	if !rosterHas(h, d.Fingerprint()) {
		t.Fatal("an approved doctor is not on the roster")
	}
	if _, err := h.Clinic().Approve("nobody"); err == nil {
		t.Fatal("approving an unknown contact succeeded")
	}
}

func mustContact(t *testing.T, n *Node, fp string) Contact {
	t.Helper()
	c, ok := n.store.Contact(fp)
	if !ok {
		t.Fatalf("no contact %s", fp)
	}
	return c
}

// TestJoinRefusesBeforeDialling: a damaged, expired, or other-role
// invite gets its error without any connection (the addresses point at
// a port nobody listens on, so a dial would say so instead).
func TestJoinRefusesBeforeDialling(t *testing.T) {
	h := newTestNode(t, "St Mary", RoleHospital, BB84Settings{})
	pat := newTestNode(t, "Pat", RolePatient, BB84Settings{})
	inv, err := h.Invites().Create(RoleDoctor, "", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	_, err = pat.Invites().Join(t.Context(), inv.Invite)
	if !errors.Is(err, telehealth.ErrRoleViolation) || !strings.Contains(err.Error(), "this invite is for a doctor; this profile is a patient") {
		t.Fatalf("patient joining with a doctor invite: %v", err)
	}
	_, err = pat.Invites().Join(t.Context(), inv.Invite[:len(inv.Invite)-3]+"zzz")
	if !errors.Is(err, invite.ErrDamaged) {
		t.Fatalf("damaged invite: %v", err)
	}
	parsed, _ := invite.Parse(inv.Invite)
	parsed.Role = invite.Patient
	parsed.Expires = time.Now().Add(-time.Minute).Truncate(time.Second)
	old, err := invite.Encode(parsed)
	if err != nil {
		t.Fatal(err)
	}
	if _, err = pat.Invites().Join(t.Context(), old); !errors.Is(err, invite.ErrExpired) {
		t.Fatalf("expired invite: %v", err)
	}
}

// TestWrongGuessBurnsOnlyThatInvite: ten dialers name invite A's
// nameplate with wrong words. A is burned (stored, announced to the
// inviter with what to do), and invite B and a pinned contact still
// work; A's rightful holder is told it is no longer valid.
func TestWrongGuessBurnsOnlyThatInvite(t *testing.T) {
	ctx := t.Context()
	h := newTestNode(t, "St Mary", RoleHospital, BB84Settings{})
	hev, cancel := h.Events()
	t.Cleanup(cancel)
	addr, code, err := h.Listen(ctx, "127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	pinned := newTestNode(t, "Old Pat", RolePatient, BB84Settings{})
	if _, err := pinned.Connect(ctx, addr.String(), code); err != nil {
		t.Fatal(err)
	}
	a, err := h.Invites().Create(RoleDoctor, "Dr A", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	b, err := h.Invites().Create(RolePatient, "Pat B", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	_, w1, w2, _ := paircode.InviteParts(a.Code)
	guesser := newTestNode(t, "Guess", RoleDoctor, BB84Settings{})
	for i := range 10 {
		wrong, _ := paircode.InviteFromParts(a.Nameplate, w1+byte(i+1), w2)
		if _, err := guesser.Connect(ctx, addr.String(), wrong); err == nil {
			t.Fatalf("guess %d (%s) paired", i, wrong)
		}
	}
	e := waitEvent(t, hev, "the burn", func(e Event) bool { return e.Type == EventInvite && e.InviteState == InviteBurned })
	if !strings.Contains(e.Reason, "burned by a wrong guess") || !strings.Contains(e.Reason, "issue a new one") || e.PeerRole != RoleDoctor {
		t.Errorf("burn event %+v", e)
	}
	rs, err := h.Invites().List()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if want := map[int]string{a.Nameplate: InviteBurned, b.Nameplate: InviteOpen}[r.Nameplate]; r.State != want {
			t.Errorf("invite %d is %s, want %s", r.Nameplate, r.State, want)
		}
	}
	// The rightful holder of A.
	doc := newTestNode(t, "Dr A", RoleDoctor, BB84Settings{})
	if _, err := doc.Invites().Join(ctx, a.Invite); !errors.Is(err, transport.ErrInviteRevoked) {
		t.Errorf("joining with the burned invite: %v, want ErrInviteRevoked", err)
	}
	// B still works, and the pinned contact reconnects.
	pb := newTestNode(t, "Pat B", RolePatient, BB84Settings{})
	if _, err := pb.Invites().Join(ctx, b.Invite); err != nil {
		t.Fatalf("invite B after A was burned: %v", err)
	}
	if _, err := pinned.Reconnect(ctx, h.Fingerprint()); err != nil {
		t.Fatalf("pinned reconnect after the burn: %v", err)
	}
}

// TestInvitesSurviveARestart: an invite issued while not listening is
// kept in state.db, sealed, and registered when the listener starts; a
// used one stays used after a restart.
func TestInvitesSurviveARestart(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	if err := SaveProfile(dir, Profile{Name: "St Mary", Role: RoleHospital}); err != nil {
		t.Fatal(err)
	}
	h, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	inv, err := h.Invites().Create(RolePatient, "Pat", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if inv.Addrs[len(inv.Addrs)-1] != "127.0.0.1:7450" {
		t.Errorf("not listening: addresses %v, want 127.0.0.1:%d last", inv.Addrs, DefaultListenPort)
	}
	h.Close()
	assertNotInFile(t, dir+"/"+StateFile, inv.Code)

	h, err = Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	addr, _, err := h.Listen(ctx, "127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	// The invite names port 7450; dial the test listener with its code.
	p := newTestNode(t, "Pat", RolePatient, BB84Settings{})
	if _, err := p.Connect(ctx, addr.String(), inv.Code); err != nil {
		t.Fatalf("invite issued before the listener started: %v", err)
	}
	waitFor(t, "the invite used", func() bool {
		rs, _ := h.Invites().List()
		return len(rs) == 1 && rs[0].State == InviteUsed && rs[0].PeerName == "Pat"
	})
	h.Close()
	h, err = Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	addr, _, err = h.Listen(ctx, "127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	q := newTestNode(t, "Eve", RolePatient, BB84Settings{})
	if _, err := q.Connect(ctx, addr.String(), inv.Code); !errors.Is(err, transport.ErrInviteRevoked) {
		t.Fatalf("a used invite after a restart: %v, want it refused as no longer valid", err)
	}
}

// TestInviteAddressesWhileListening: a node listening on loopback names
// that address.
func TestInviteAddressesWhileListening(t *testing.T) {
	h := newTestNode(t, "St Mary", RoleHospital, BB84Settings{})
	addr, _, err := h.Listen(context.Background(), "127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	inv, err := h.Invites().Create(RoleDoctor, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if inv.Addrs[len(inv.Addrs)-1] != addr.String() {
		t.Errorf("addresses %v, want %s last", inv.Addrs, addr)
	}
	if d := time.Until(inv.Expires); d < DefaultInviteTTL-time.Minute || d > DefaultInviteTTL {
		t.Errorf("default expiry in %s", d)
	}
	if _, err := h.Invites().Create(RoleHospital, "", 0); err == nil {
		t.Error("an invite granting hospital was created")
	}
	if err := h.Invites().Revoke(inv.Nameplate); err != nil {
		t.Fatal(err)
	}
	if err := h.Invites().Revoke(inv.Nameplate); err == nil {
		t.Error("revoking twice succeeded")
	}
}

// TestInviteWhileNotListeningNamesTheRememberedPort: an invite issued
// while the hospital is not listening (qkdchat invite with the app
// closed) names the address it will listen on at start-up, not the
// default port.
func TestInviteWhileNotListeningNamesTheRememberedPort(t *testing.T) {
	h := newTestNode(t, "St Mary", RoleHospital, BB84Settings{})
	if err := h.store.SetListenAddr("127.0.0.1:7461"); err != nil {
		t.Fatal(err)
	}
	inv, err := h.Invites().Create(RolePatient, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Addrs) != 1 || inv.Addrs[0] != "127.0.0.1:7461" {
		t.Errorf("addresses %v, want only the remembered 127.0.0.1:7461", inv.Addrs)
	}
	if err := h.store.SetListenAddr(":7462"); err != nil {
		t.Fatal(err)
	}
	inv, err = h.Invites().Create(RolePatient, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if last := inv.Addrs[len(inv.Addrs)-1]; last != "127.0.0.1:7462" {
		t.Errorf("addresses %v, want the LAN ones and 127.0.0.1:7462 last", inv.Addrs)
	}
	for _, a := range inv.Addrs {
		if !strings.HasSuffix(a, ":7462") {
			t.Errorf("address %s is not on the remembered port", a)
		}
	}
}
