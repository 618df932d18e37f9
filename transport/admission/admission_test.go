package admission

import (
	"fmt"
	"net"
	"testing"
)

func TestSourceOf(t *testing.T) {
	for _, tc := range []struct{ addr, want string }{
		{"127.0.0.1:4000", "127.0.0.1"},
		{"127.0.0.2:4000", "127.0.0.2"},
		{"[::ffff:10.1.2.3]:80", "10.1.2.3"},
		{"[2001:db8:1:2:3:4:5:6]:443", "2001:db8:1:2::/64"},
		{"[2001:db8:1:2:ffff::1]:443", "2001:db8:1:2::/64"},
		{"[2001:db8:1:3::1]:443", "2001:db8:1:3::/64"},
	} {
		a, err := net.ResolveTCPAddr("tcp", tc.addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := Source(a); got != tc.want {
			t.Errorf("Source(%s) = %q, want %q", tc.addr, got, tc.want)
		}
	}
}

// TestAdmission walks the gate through scripted steps: "+src"
// admits a connection from src (named by the step's label), "p label"
// records progress, "v label" proves it, "- label" releases it. Each
// step states the outcome: the Refusal, or the label of the handshake
// shed to make room ("" for none).
func TestAdmission(t *testing.T) {
	type step struct {
		op, label, src string
		refused        Refusal
		shed           string
	}
	for _, tc := range []struct {
		name                       string
		total, reserved, perSource int
		steps                      []step
		wantGeneral, wantReserve   int
	}{
		{
			name: "per-source limit refuses the excess", total: 10, reserved: 2, perSource: 2,
			steps: []step{
				{op: "+", label: "a1", src: "A"},
				{op: "+", label: "a2", src: "A"},
				{op: "+", label: "a3", src: "A", refused: RefusedSourceLimit},
				{op: "+", label: "b1", src: "B"},
				{op: "-", label: "a1"},
				{op: "+", label: "a4", src: "A"},
			},
			wantGeneral: 3,
		},
		{
			name: "full: the most idle handshake of the biggest source is shed", total: 5, reserved: 1, perSource: 3,
			steps: []step{
				{op: "+", label: "b1", src: "B"},
				{op: "+", label: "a1", src: "A"},
				{op: "+", label: "a2", src: "A"},
				{op: "+", label: "a3", src: "A"},
				{op: "p", label: "a1"}, // a1 progresses: a2 is now A's most idle
				{op: "+", label: "c1", src: "C", shed: "a2"},
				{op: "+", label: "c2", src: "C", shed: "a3"},
				// Now C holds 2, A and B 1 each: C's most idle goes.
				{op: "+", label: "d1", src: "D", shed: "c1"},
			},
			wantGeneral: 4,
		},
		{
			name: "proven handshakes move to the reserve and are never shed", total: 4, reserved: 1, perSource: 3,
			steps: []step{
				{op: "+", label: "p1", src: "P"},
				{op: "+", label: "p2", src: "P"},
				{op: "v", label: "p1"}, // into the reserve
				{op: "v", label: "p2"}, // reserve full: stays in the general slots, unsheddable
				{op: "+", label: "a1", src: "A"},
				{op: "+", label: "a2", src: "A"},
				{op: "+", label: "b1", src: "B", shed: "a1"}, // p2 is older but proven
				{op: "-", label: "p1"},
				{op: "+", label: "c1", src: "C", shed: "a2"}, // A and B tie: a2 is older
			},
			wantGeneral: 3,
		},
		{
			name: "full of proven handshakes: refused", total: 3, reserved: 1, perSource: 3,
			steps: []step{
				{op: "+", label: "p1", src: "P"},
				{op: "+", label: "p2", src: "P"},
				{op: "v", label: "p1"},
				{op: "v", label: "p2"},
				{op: "+", label: "p3", src: "P"},
				{op: "v", label: "p3"},
				{op: "+", label: "a1", src: "A", refused: RefusedFull},
			},
			wantGeneral: 2, wantReserve: 1,
		},
		{
			name: "a shed handshake cannot be proven afterwards", total: 2, reserved: 1, perSource: 2,
			steps: []step{
				{op: "+", label: "a1", src: "A"},
				{op: "+", label: "b1", src: "B", shed: "a1"},
				{op: "v", label: "a1"},
				{op: "-", label: "a1"},
			},
			wantGeneral: 1,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := New(tc.total, tc.reserved, tc.perSource)
			entries := map[string]*Ticket{}
			var shed []string // labels of the handshakes interrupted
			for i, s := range tc.steps {
				switch s.op {
				case "+":
					shed = shed[:0]
					label := s.label
					e, why := a.Admit(s.src, func() { shed = append(shed, label) })
					if why != s.refused || (e == nil) != (s.refused != "") {
						t.Fatalf("step %d: admit %s from %s = %v, %q; want Refusal %q", i, s.label, s.src, e, why, s.refused)
					}
					if e != nil {
						entries[s.label] = e
					}
					want := []string{}
					if s.shed != "" {
						want = append(want, s.shed)
					}
					if fmt.Sprint(shed) != fmt.Sprint(want) {
						t.Fatalf("step %d: admitting %s shed %v, want %v", i, s.label, shed, want)
					}
					if s.shed != "" && !a.WasShed(entries[s.shed]) {
						t.Fatalf("step %d: %s interrupted but not marked shed", i, s.shed)
					}
				case "p":
					a.Progress(entries[s.label])
				case "v":
					if ok := a.Prove(entries[s.label]); ok == a.WasShed(entries[s.label]) {
						t.Fatalf("step %d: prove %s = %v, shed %v", i, s.label, ok, a.WasShed(entries[s.label]))
					}
				case "-":
					a.Release(entries[s.label])
				}
			}
			if g, r, _ := a.Counts(""); g != tc.wantGeneral || r != tc.wantReserve {
				t.Errorf("slots in use: %d general, %d reserve; want %d, %d", g, r, tc.wantGeneral, tc.wantReserve)
			}
		})
	}
}
