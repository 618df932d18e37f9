package lan

import (
	"slices"
	"testing"

	"qkdchat/node"
)

func TestStatusLines(t *testing.T) {
	for _, tc := range []struct {
		name string
		st   node.ReachStatus
		want []string
	}{
		{"loopback", node.ReachStatus{Addr: "127.0.0.1:7450", LAN: []string{"127.0.0.1:7450"}}, nil},
		{"every address, announcing", node.ReachStatus{Addr: "[::]:7450", LAN: []string{"192.168.1.20:7450", "10.0.0.5:7450"}, Announcing: true},
			[]string{"reach this node at: 192.168.1.20:7450, 10.0.0.5:7450", "announcing this hospital on the local network (qkdchat nearby)"}},
		{"announce failed", node.ReachStatus{Addr: "[::]:7450", LAN: []string{"192.168.1.20:7450"}, AnnounceError: "nearby: no network address to announce"},
			[]string{"reach this node at: 192.168.1.20:7450", "not announcing on the local network: nearby: no network address to announce"}},
	} {
		if got := StatusLines(tc.st); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
