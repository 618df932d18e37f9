package nodetest

import (
	"context"
	"testing"

	"qkdchat/node"
)

// Listen makes n listen on 127.0.0.1 with a fresh pairing code until the
// test ends, and returns the address and the code.
func Listen(t testing.TB, n *node.Node) (addr, code string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	a, code, err := n.Listen(ctx, "127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	return a.String(), code
}

// Pair makes b listen (see Listen), connects a to it with the code and
// waits until both hold a key. Pair three nodes by pairing each couple.
func Pair(t testing.TB, a, b *node.Node) {
	t.Helper()
	aev, astop := a.Events()
	defer astop()
	bev, bstop := b.Events()
	defer bstop()
	addr, code := Listen(t, b)
	if _, err := a.Connect(context.Background(), addr, code); err != nil {
		t.Fatal(err)
	}
	key := IsType(node.EventKeyEstablished)
	WaitEvent(t, aev, a.Profile().Name+"'s key", key)
	WaitEvent(t, bev, b.Profile().Name+"'s key", key)
}
