package node

import (
	"context"
	"testing"

	"qkdchat/ledger"
	"qkdchat/node/audit"
)

// TestNodeAuditorLeavesTheLedgerOpen: closing a node's auditor does not
// close the node's ledger.
func TestNodeAuditorLeavesTheLedgerOpen(t *testing.T) {
	n := newTestNode(t, "Ada", RoleDoctor, BB84Settings{})
	if err := n.Auditor().Close(); err != nil {
		t.Fatal(err)
	}
	rep, err := n.Auditor().Verify(context.Background(), nil)
	if err != nil || !rep.OK || rep.Fingerprint != n.Fingerprint() {
		t.Fatalf("verify after the auditor's Close: %+v %v", rep, err)
	}
}

// TestNodeAuditorOpensItsOwnContent: a node's auditor lists what the node
// can read: the messages of its conversations (History, oldest first,
// without key events) and each row's content in Transactions.
func TestNodeAuditorOpensItsOwnContent(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a := newTestNode(t, "Alice", RolePatient, BB84Settings{})
	b := newTestNode(t, "Bob", RoleHospital, BB84Settings{})
	s, _, bev := pairNodes(t, ctx, a, b)
	texts := []string{"one", "two", "three"}
	for _, text := range texts {
		if _, err := s.Send(ctx, ledger.KindChat, "", text, nil); err != nil {
			t.Fatal(err)
		}
		waitEvent(t, bev, "message "+text, isType(EventMessage))
	}
	for _, n := range []*Node{a, b} {
		msgs, err := n.Auditor().History(ctx, 2000)
		if err != nil || len(msgs) != len(texts) {
			t.Fatalf("%s: history %d messages, %v", n.Profile().Name, len(msgs), err)
		}
		for i, m := range msgs {
			if m.Text != texts[i] {
				t.Fatalf("%s: history[%d] = %q, want %q", n.Profile().Name, i, m.Text, texts[i])
			}
		}
	}
	rows, _, err := a.Auditor().Transactions(ctx, audit.TxQuery{}, 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	var chats, keys int
	for _, r := range rows {
		switch {
		case r.Kind == "chat" && r.Msg != nil && r.OpenErr == nil:
			chats++
		case r.Kind == audit.TxKindKeyEvent && r.Msg != nil && len(r.Msg.Body) > 0:
			keys++
		}
	}
	if chats != len(texts) || keys == 0 {
		t.Fatalf("rows opened: %d chats, %d key events of %d rows", chats, keys, len(rows))
	}
}
