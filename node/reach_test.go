package node

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"qkdchat/ledger"
	"qkdchat/nearby"
	"qkdchat/redial"
)

// fastRedial keeps the tests short: 20 ms doubling to 200 ms.
var fastRedial = redial.Policy{Initial: 20 * time.Millisecond, Max: 200 * time.Millisecond}

func openReach(t *testing.T, dir, name string, role Role) *Node {
	t.Helper()
	if err := SaveProfile(dir, Profile{Name: name, Role: role}); err != nil {
		t.Fatal(err)
	}
	n, err := Open(Options{Dir: dir, SendTimeout: 20 * time.Second, Redial: fastRedial})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestHospitalRestartIsRedialled: a hospital dies (its sessions end
// without a goodbye) while a patient queues a message for it; the patient
// says the hospital is offline and redials with back-off; the hospital is
// restarted on its data directory and, given no address, listens on the
// one it remembers; the patient finds it and the message is delivered,
// with nobody reconnecting by hand. Once the queue is empty the patient
// stops redialling.
func TestHospitalRestartIsRedialled(t *testing.T) {
	pdir, hdir := t.TempDir(), t.TempDir()
	p := openReach(t, pdir, "Pat", RolePatient)
	defer p.Close()
	h := openReach(t, hdir, "St. Mary's", RoleHospital)
	hctx, hkill := context.WithCancel(context.Background())
	pev, pstop := p.Events()
	defer pstop()

	st, err := h.Reach().Listen(hctx, "127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	if st.Remembered != st.Addr || st.Announcing || len(st.LAN) != 1 || st.LAN[0] != st.Addr {
		t.Fatalf("status of a loopback hospital: %+v", st)
	}
	s, err := p.Connect(context.Background(), st.Addr, st.Code)
	if err != nil {
		t.Fatal(err)
	}
	hfp := s.Peer().Fingerprint
	waitEvent(t, pev, "key", isType(EventKeyEstablished))

	// The hospital dies.
	hkill()
	h.Close()
	waitEvent(t, pev, "disconnected", isType(EventDisconnected))
	m, err := p.Send(context.Background(), "St. Mary's", ledger.KindChat, "chat", "are you there?", nil)
	if err != nil {
		t.Fatal(err)
	}
	off := waitEvent(t, pev, "a failed redial", func(e Event) bool {
		return e.Type == EventPresence && e.Peer == hfp && !e.Presence.Online && e.Presence.Failures >= 2
	})
	if !off.Presence.Redialling || off.Presence.NextTry.IsZero() || off.PeerName != "St. Mary's" {
		t.Fatalf("presence while the hospital is down: %+v %+v", off, off.Presence)
	}
	pp, err := p.Reach().PresenceOf("St. Mary's")
	if err != nil || pp.Online || pp.LastSeen.IsZero() || pp.Name != "St. Mary's" {
		t.Fatalf("PresenceOf while down: %+v, %v", pp, err)
	}

	// Restarted with no address: it listens where it did.
	h2 := openReach(t, hdir, "St. Mary's", RoleHospital)
	defer h2.Close()
	if a, _ := h2.Reach().RememberedAddr(); a != st.Addr {
		t.Fatalf("remembered %q, want %q", a, st.Addr)
	}
	hev, hstop := h2.Events()
	defer hstop()
	st2, err := h2.Reach().Listen(context.Background(), "", "")
	if err != nil {
		t.Fatal(err)
	}
	if st2.Addr != st.Addr {
		t.Fatalf("restarted hospital listens on %s, not %s", st2.Addr, st.Addr)
	}
	got := waitEvent(t, hev, "the queued message", isType(EventMessage))
	if got.Message.Text != "are you there?" {
		t.Fatalf("hospital received %q", got.Message.Text)
	}
	waitEvent(t, pev, "online", func(e Event) bool { return e.Type == EventPresence && e.Peer == hfp && e.Presence.Online })
	waitEvent(t, pev, "delivery", func(e Event) bool {
		return e.Type == EventDelivery && e.MessageID == m.ID && e.State == Delivered
	})

	// Nothing queued: a later drop is not redialled.
	deadline := time.Now().Add(20 * time.Second)
	for {
		pp, _ = p.Reach().PresenceOf(hfp)
		if !pp.Redialling && pp.Online {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("presence after delivery: %+v", pp)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestKeepRedialsWithNothingQueued: a connect keeps its hospital wanted
// with nothing queued: after a drop it is redialled, until released.
func TestKeepRedialsWithNothingQueued(t *testing.T) {
	p := openReach(t, t.TempDir(), "Pat", RolePatient)
	defer p.Close()
	h := openReach(t, t.TempDir(), "St. Mary's", RoleHospital)
	defer h.Close()
	pev, pstop := p.Events()
	defer pstop()
	st, err := h.Reach().Listen(context.Background(), "127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	s, err := p.Connect(context.Background(), st.Addr, st.Code)
	if err != nil {
		t.Fatal(err)
	}
	release, err := p.Reach().Keep(s.Peer().Fingerprint)
	if err != nil {
		t.Fatal(err)
	}
	waitEvent(t, pev, "key", isType(EventKeyEstablished))
	s.CloseWith("test drops the session")
	waitEvent(t, pev, "disconnected", isType(EventDisconnected))
	waitEvent(t, pev, "redialled", func(e Event) bool {
		return e.Type == EventPaired && e.Peer == s.Peer().Fingerprint
	})
	release()
	if pp, _ := p.Reach().PresenceOf(s.Peer().Fingerprint); pp.Redialling {
		t.Fatalf("released, still redialling: %+v", pp)
	}
	if _, err := p.Reach().Keep("nobody"); err == nil {
		t.Fatal("Keep accepted an unknown contact")
	}
}

// TestJoinNearbyByName: a patient browses (through the Browse hook, with
// the hospital's real address), joins the hospital by name with just the
// code; a hospital whose key is not the one announced is refused before
// either side pins the other.
func TestJoinNearbyByName(t *testing.T) {
	h := openReach(t, t.TempDir(), "St. Mary's", RoleHospital)
	defer h.Close()
	st, err := h.Reach().Listen(context.Background(), "127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	fp := strings.ReplaceAll(h.Fingerprint(), " ", "")
	for _, tc := range []struct {
		name, announced string
		ok              bool
		pinned          bool // refused only after pairing (an older announcement)
	}{
		{"announced key", fp, true, false},
		{"another key", strings.Repeat("ab", 16), false, false},
		// An older version announces 16 digits, checked after pairing.
		{"an older announcement of the key", fp[:16], true, false},
		{"an older announcement of another key", strings.Repeat("ab", 8), false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := SaveProfile(dir, Profile{Name: "Pat " + tc.name, Role: RolePatient}); err != nil {
				t.Fatal(err)
			}
			found := []Hospital{{Name: "St. Mary's", Fingerprint: tc.announced, Addrs: []string{st.Addr}}}
			p, err := Open(Options{Dir: dir, Browse: func(context.Context, nearby.BrowseOptions) ([]nearby.Hospital, error) { return found, nil }})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			s, got, err := p.Reach().JoinNearby(context.Background(), "st. mary's", st.Code, 0)
			if !tc.ok {
				if err == nil || !strings.Contains(err.Error(), "not joining") {
					t.Fatalf("joined a hospital whose key was not announced: %v", err)
				}
				if tc.pinned {
					return
				}
				// Refused before pairing: neither side pinned the other.
				for who, n := range map[string]*Node{"patient": p, "hospital": h} {
					cs, err := n.Contacts()
					if err != nil {
						t.Fatal(err)
					}
					for _, c := range cs {
						if c.Name == "St. Mary's" || c.Name == "Pat "+tc.name {
							t.Fatalf("the %s pinned %s (%s) although the patient refused the key", who, c.Name, c.Fingerprint)
						}
					}
				}
				return
			}
			if err != nil || s.Peer().Name != "St. Mary's" || got.Name != "St. Mary's" {
				t.Fatalf("JoinNearby: %v, %v", s, err)
			}
		})
	}
}

// TestOnlyAHospitalBeyondLoopbackAnnounces: through the Announce hook, a
// hospital, a patient and a doctor listening on loopback announce nothing
// (the LAN cannot reach them there); see reach.ShouldAnnounce's table and
// e2e's TestNearbyFindsOnlyTheHospital for listeners on every address.
func TestOnlyAHospitalBeyondLoopbackAnnounces(t *testing.T) {
	for _, role := range []Role{RoleHospital, RolePatient, RoleDoctor} {
		dir := t.TempDir()
		if err := SaveProfile(dir, Profile{Name: "N", Role: role}); err != nil {
			t.Fatal(err)
		}
		announced := 0
		n, err := Open(Options{Dir: dir, Announce: func(nearby.Announcement) (io.Closer, error) { announced++; return io.NopCloser(nil), nil }})
		if err != nil {
			t.Fatal(err)
		}
		st, err := n.Reach().Listen(context.Background(), "127.0.0.1:0", "")
		n.Close()
		if err != nil || announced != 0 || st.Announcing {
			t.Fatalf("%s on loopback: announced %d times, status %+v, %v", role, announced, st, err)
		}
	}
}

// TestQueuedAtOpenIsRedialled: a message queued for a hospital that is
// down waits across a restart of the patient's node; the reopened node
// redials the hospital by itself from start-up and delivers it once the
// hospital is back.
func TestQueuedAtOpenIsRedialled(t *testing.T) {
	pdir, hdir := t.TempDir(), t.TempDir()
	p := openReach(t, pdir, "Pat", RolePatient)
	h := openReach(t, hdir, "St. Mary's", RoleHospital)
	pev, pstop := p.Events()
	st, err := h.Reach().Listen(context.Background(), "127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Connect(context.Background(), st.Addr, st.Code); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, pev, "key", isType(EventKeyEstablished))
	pstop()
	h.Close()
	m, err := p.Send(context.Background(), "St. Mary's", ledger.KindChat, "chat", "queued before a restart", nil)
	if err != nil {
		t.Fatal(err)
	}
	p.Close()

	p2 := openReach(t, pdir, "Pat", RolePatient)
	defer p2.Close()
	pev2, pstop2 := p2.Events()
	defer pstop2()
	waitEvent(t, pev2, "a redial from start-up", func(e Event) bool {
		return e.Type == EventPresence && e.PeerName == "St. Mary's" && e.Presence.Redialling && e.Presence.Failures >= 1
	})
	h2 := openReach(t, hdir, "St. Mary's", RoleHospital)
	defer h2.Close()
	if _, err := h2.Reach().Listen(context.Background(), "", ""); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, pev2, "delivery", func(e Event) bool {
		return e.Type == EventDelivery && e.MessageID == m.ID && e.State == Delivered
	})
}
