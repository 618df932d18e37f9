package node

import (
	"context"
	"strings"
	"testing"

	"qkdchat/qkd"
)

// Laser links on a live connection (issue 16): two nodes over 127.0.0.1
// run the pulse-model protocol (version 6) when the initiator's settings
// choose a laser source, and every key event carries the source and the
// decoy bounds.

func TestLiveLaserLinkWithDecoysMakesKey(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	alice := newTestNode(t, "Alice", RolePatient, BB84Settings{FiberKm: 25, Laser: true, Decoys: true})
	hosp := newTestNode(t, "St. Mary's", RoleHospital, BB84Settings{})
	s, aev, bev := pairNodes(t, ctx, alice, hosp)

	for name, ch := range map[string]<-chan Event{"alice": aev, "hospital": bev} {
		e := waitEvent(t, ch, name+"'s first exchange", func(e Event) bool {
			return e.Type == EventKeyEstablished || e.Type == EventKeyAborted
		})
		if e.Type != EventKeyEstablished || e.KeyBits != 256 {
			t.Fatalf("%s: %s %q", name, e.Type, e.Reason)
		}
		r := e.Exchange.Report
		if r.Source != "wcp" || r.Report == nil || r.Report.Decoy != "vacuum+weak" || r.Report.Mu != qkd.DefaultMu {
			t.Fatalf("%s: source %q, decoy report %+v", name, r.Source, r.Report)
		}
		d := r.Report
		if !(d.Y1Lower > 0 && d.E1Upper > 0 && d.E1Upper < 0.5 && d.SinglePhotonShare > 0.3) {
			t.Errorf("%s: single-photon bounds Y1 >= %g, e1 <= %g, share %g", name, d.Y1Lower, d.E1Upper, d.SinglePhotonShare)
		}
		var classes []string
		for _, in := range d.Intensities {
			if in.Pulses > 0 {
				classes = append(classes, in.Class)
			}
			if in.Class != "vacuum" && !(in.Gain > 0) {
				t.Errorf("%s: %s pulses gain %g", name, in.Class, in.Gain)
			}
		}
		if strings.Join(classes, ",") != "signal,weak,vacuum" {
			t.Errorf("%s: intensities %v", name, classes)
		}
		if !strings.Contains(d.Verdict, "decoy pulses bound the single photons") {
			t.Errorf("%s: verdict %q", name, d.Verdict)
		}
	}
	// Alice planned pulses from the link's calibration, not photons.
	xs := s.Exchanges()
	if len(xs) != 1 || xs[0].Plan == nil || xs[0].Plan.Qubits != xs[0].Report.QubitsSent || xs[0].Plan.Qubits < 500_000 {
		t.Fatalf("alice's plan %+v", xs[0].Plan)
	}
}

// A photon-number-splitting eavesdropper on a 40 km laser link blocks the
// single photons (the fibre would lose more than the multi-photon pulses
// she can split make up) and forwards the multi-photon pulses without
// loss; the decoys show it, so the exchange makes no key and says why.
func TestLivePNSAttackOnLaserLinkWithDecoysAborts(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	alice := newTestNode(t, "Alice", RolePatient, BB84Settings{FiberKm: 40, Laser: true, Decoys: true, Attack: qkd.AttackPNS})
	bob := newTestNode(t, "Bob", RoleDoctor, BB84Settings{})
	s, aev, bev := pairNodes(t, ctx, alice, bob)
	for name, ch := range map[string]<-chan Event{"alice": aev, "bob": bev} {
		e := waitEvent(t, ch, name+"'s first exchange", func(e Event) bool {
			return e.Type == EventKeyEstablished || e.Type == EventKeyAborted
		})
		if e.Type != EventKeyAborted {
			t.Fatalf("%s: a key under a PNS attack: %+v", name, e)
		}
		if !strings.Contains(e.Reason, "too few detections came from single photons") {
			t.Errorf("%s: reason %q", name, e.Reason)
		}
		// Both sides measured the decoys and say so in the panel's words.
		if r := e.Exchange.Report; r == nil || r.Source != "wcp" || r.Report == nil || r.Report.Decoy != "vacuum+weak" {
			t.Errorf("%s: report %+v", name, r)
		}
		if got := ExplainExchange(e.Exchange, 0.11); !strings.Contains(got, "single photons") {
			t.Errorf("%s: explanation %q", name, got)
		}
	}
	if s.Epoch() != 0 {
		t.Fatalf("epoch %d: a key was installed", s.Epoch())
	}
}

// Without decoys the GLLP bound leaves no key on a 40 km laser link at
// any number of pulses: the initiator says so before sending one, both
// sides report it, and nothing loops.
func TestLiveLaserLinkWithoutDecoysTooFarSaysSo(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	alice := newTestNode(t, "Alice", RolePatient, BB84Settings{FiberKm: 40, Laser: true})
	bob := newTestNode(t, "Bob", RoleDoctor, BB84Settings{})
	s, aev, bev := pairNodes(t, ctx, alice, bob)
	for name, ch := range map[string]<-chan Event{"alice": aev, "bob": bev} {
		e := waitEvent(t, ch, name+"'s first exchange", func(e Event) bool {
			return e.Type == EventKeyEstablished || e.Type == EventKeyAborted
		})
		if e.Type != EventKeyAborted || !strings.Contains(e.Reason, "without decoy states") || !strings.Contains(e.Reason, "turn on decoys") {
			t.Fatalf("%s: %s %q", name, e.Type, e.Reason)
		}
		if e.Exchange.Report != nil && e.Exchange.Report.QubitsSent > 0 {
			t.Errorf("%s: %d pulses sent for an exchange planned to make no key", name, e.Exchange.Report.QubitsSent)
		}
	}
	xs := s.Exchanges()
	if len(xs) != 1 {
		t.Fatalf("%d exchanges, want the one that said no key is possible", len(xs))
	}
	if got := ExplainExchange(xs[0], 0.11); !strings.Contains(got, "decoy") {
		t.Errorf("explanation %q", got)
	}
}

func TestParseSourceAndDecoys(t *testing.T) {
	for _, tc := range []struct {
		in    string
		laser bool
		ok    bool
	}{{"single", false, true}, {"", false, true}, {"WCP", true, true}, {"laser", false, false}} {
		laser, err := ParseSource(tc.in)
		if laser != tc.laser || (err == nil) != tc.ok {
			t.Errorf("ParseSource(%q) = %v, %v", tc.in, laser, err)
		}
	}
	for _, tc := range []struct {
		in     string
		decoys bool
		ok     bool
	}{{"none", false, true}, {"vacuum+weak", true, true}, {"Vacuum+Weak", true, true}, {"vacuum", false, false}} {
		d, err := ParseDecoys(tc.in)
		if d != tc.decoys || (err == nil) != tc.ok {
			t.Errorf("ParseDecoys(%q) = %v, %v", tc.in, d, err)
		}
	}
	b := BB84Settings{Laser: true, Decoys: true}
	if SourceName(b) != SourceWCP || DecoysName(b) != DecoysVacuumWeak || SourceName(BB84Settings{}) != SourceSingle {
		t.Errorf("names %q %q", SourceName(b), DecoysName(b))
	}
}
