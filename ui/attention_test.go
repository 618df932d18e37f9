package ui

import (
	"testing"

	"qkdchat/node"
)

func TestNewsTextNamesKindAndSenderOnly(t *testing.T) {
	for _, c := range []struct {
		kind, want string
	}{
		{"phr", "New health record from Pat"},
		{"referral", "New referral from Pat"},
		{"report", "New medical report from Pat"},
		{"chat", "New message from Pat"},
	} {
		m := &node.Message{ID: "m1", Kind: c.kind, CaseID: "case-0123456789ab", Text: "secret findings"}
		if got := newsText(m, "Pat"); got != c.want {
			t.Errorf("%s: %q, want %q", c.kind, got, c.want)
		}
	}
	// A report that arrives directly and relayed is one piece of news; two
	// chat messages are two.
	direct := &node.Message{ID: "a", Kind: "report", CaseID: "case-0123456789ab"}
	relayed := &node.Message{ID: "b", Kind: "report", CaseID: "case-0123456789ab"}
	if newsKey(direct) != newsKey(relayed) {
		t.Error("a relayed copy of a report counts as new")
	}
	if newsKey(&node.Message{ID: "a", Kind: "chat"}) == newsKey(&node.Message{ID: "b", Kind: "chat"}) {
		t.Error("two chat messages count as one")
	}
}

func TestTabTitle(t *testing.T) {
	for _, c := range []struct {
		n    int
		want string
	}{{0, "Cases"}, {-1, "Cases"}, {1, "Cases (1)"}, {99, "Cases (99)"}, {100, "Cases (99+)"}} {
		if got := tabTitle("Cases", c.n); got != c.want {
			t.Errorf("tabTitle(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}
