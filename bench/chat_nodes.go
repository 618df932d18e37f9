package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"qkdchat/ledger"
	"qkdchat/node"
)

// nodeConfig is how the nodes of a chat round are opened.
type nodeConfig struct {
	bb84      node.BB84Settings
	rekeyMsgs int
}

// openNode opens a node in a fresh directory under root.
func openNode(root, name string, role node.Role, cfg nodeConfig) (*node.Node, error) {
	dir, err := os.MkdirTemp(root, "node-")
	if err != nil {
		return nil, err
	}
	if err := node.SaveProfile(dir, node.Profile{Name: name, Role: role}); err != nil {
		return nil, err
	}
	return node.Open(node.Options{
		Dir:           dir,
		Logger:        slog.New(slog.DiscardHandler),
		BB84:          cfg.bb84,
		RekeyMessages: cfg.rekeyMsgs,
		RekeyInterval: -1,
	})
}

// runNodeRound runs one listening node and cfg.peers connecting nodes in
// temporary directories, times rekeys rekeys on the first session, then
// streams the messages to the listener and verifies every node's ledger.
func runNodeRound(ctx context.Context, nc nodeConfig, cfg streamConfig, rekeys int) (r chatRound, err error) {
	root, err := os.MkdirTemp("", "qkdchat-bench-chat-")
	if err != nil {
		return r, err
	}
	defer os.RemoveAll(root)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var nodes []*node.Node
	defer func() {
		var wg sync.WaitGroup
		for _, n := range nodes {
			wg.Go(func() { n.Close() })
		}
		wg.Wait()
	}()
	hosp, err := openNode(root, "Hospital", node.RoleHospital, nc)
	if err != nil {
		return r, err
	}
	nodes = append(nodes, hosp)

	a := newArrivals(cfg.peers, cfg.n)
	events, stop := hosp.Events()
	defer stop()
	go func() {
		for e := range events {
			switch e.Type {
			case node.EventRejected:
				a.refused(e.Reason)
			case node.EventMessage:
				a.arrived(e.Message.Text, e.Time)
			}
		}
	}()

	addr, code, err := hosp.Listen(ctx, "127.0.0.1:0", "")
	if err != nil {
		return r, err
	}
	sessions := make([]*node.Session, cfg.peers)
	for p := range cfg.peers {
		peer, err := openNode(root, fmt.Sprintf("Patient %d", p), node.RolePatient, nc)
		if err != nil {
			return r, err
		}
		nodes = append(nodes, peer)
		start := time.Now()
		pev, stopPeer := peer.Events()
		s, err := peer.Connect(ctx, addr.String(), code)
		if err == nil {
			err = waitFirstKey(ctx, pev)
		}
		stopPeer()
		if err != nil {
			return r, fmt.Errorf("peer %d: %w", p, err)
		}
		if p == 0 {
			r.firstKey = time.Since(start)
		}
		sessions[p] = s
	}
	if err := timeRekeys(ctx, sessions[0], rekeys, &r); err != nil {
		return r, err
	}

	send := func(ctx context.Context, p, i int) error {
		_, err := sessions[p].Send(ctx, ledger.KindChat, "bench", streamText(p, i), nil)
		return err
	}
	if err := a.stream(ctx, cfg, send, &r); err != nil {
		return r, err
	}
	r.ledgersOK = true
	for _, n := range nodes {
		rep, err := n.Ledger().Verify(ctx, nil)
		if err != nil {
			return r, err
		}
		r.ledgersOK = r.ledgersOK && rep.OK
	}
	return r, nil
}

// timeRekeys times count on-demand rekeys of s, counting those that make
// no key as aborts.
func timeRekeys(ctx context.Context, s *node.Session, count int, r *chatRound) error {
	for len(r.keyTimes)+r.keyAborts < count {
		before := len(s.Exchanges())
		start := time.Now()
		err := s.Rekey(ctx)
		took := time.Since(start)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if len(s.Exchanges()) == before {
			// Rekey returns at once while an exchange is still
			// finishing (its checkpoint request): not an exchange.
			time.Sleep(time.Millisecond)
			continue
		}
		if err != nil {
			r.keyAborts++
			if r.firstAbort == "" {
				r.firstAbort = err.Error()
			}
			continue
		}
		r.keyTimes = append(r.keyTimes, took)
	}
	return nil
}

// waitFirstKey waits for a node's first key to be established.
func waitFirstKey(ctx context.Context, events <-chan node.Event) error {
	for {
		select {
		case e, ok := <-events:
			if !ok {
				return errors.New("node closed before the first key")
			}
			switch e.Type {
			case node.EventKeyEstablished:
				return nil
			case node.EventKeyAborted:
				if e.Exchange == nil || e.Exchange.RetryIn == 0 { // else it is retried by itself
					return fmt.Errorf("first key exchange aborted: %s", e.Reason)
				}
			case node.EventDisconnected:
				return fmt.Errorf("disconnected before the first key: %s", e.Reason)
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
