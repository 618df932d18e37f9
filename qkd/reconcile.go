package qkd

import (
	"context"

	"qkdchat/qkd/cascade"
)

// reconcileAlice runs Alice's side of Cascade over s's connection: she
// sends the opening parities and answers Bob's questions about key until
// he is done. It returns her side (for the leak and round count) and the
// number of bits Bob reports he corrected.
func reconcileAlice(ctx context.Context, s *side, key []uint64, n int, q float64, seed [32]byte) (*cascade.Alice, int, error) {
	ca := cascade.NewAlice(key, n, q, seed)
	if err := s.send(ctx, cascadeStart(ca.Start())); err != nil {
		return nil, 0, err
	}
	for {
		pq, err := recv[*ParityQuery](ctx, s)
		if err != nil {
			return nil, 0, err
		}
		if pq.Done {
			if pq.Corrected > n {
				return nil, 0, protoErr("corrected %d of %d bits", pq.Corrected, n)
			}
			return ca, pq.Corrected, nil
		}
		r, err := ca.Answer(&cascade.Query{Ranges: pq.Ranges})
		if err != nil {
			return nil, 0, protoErr("%v", err)
		}
		if err := s.send(ctx, &ParityReply{Count: r.Count, Parities: r.Parities}); err != nil {
			return nil, 0, err
		}
	}
}

// runQuerying is how Bob asks in a run: he infers parities from bits he
// knows from any pass and asks two levels of a lone bisection at once
// (cascade.Inferring). The release before asked one level at a time;
// Alice answers either, so the protocol version stays.
const runQuerying = cascade.Inferring

// reconcileBob runs Bob's side of Cascade over s's connection, correcting
// key in place towards Alice's, and tells her when he is done. m is how
// he asks (runs use runQuerying).
func reconcileBob(ctx context.Context, s *side, key []uint64, n int, q float64, m cascade.Querying) (*cascade.Bob, error) {
	cs, err := recv[*CascadeStart](ctx, s)
	if err != nil {
		return nil, err
	}
	cb, err := cascade.NewBob(key, n, q, &cascade.Start{Seed: cs.Seed, Count: cs.Count, Parities: cs.Parities})
	if err != nil {
		return nil, protoErr("%v", err)
	}
	cb.SetQuerying(m)
	for pq := cb.Next(); pq != nil; pq = cb.Next() {
		if err := s.send(ctx, &ParityQuery{Ranges: pq.Ranges}); err != nil {
			return nil, err
		}
		r, err := recv[*ParityReply](ctx, s)
		if err != nil {
			return nil, err
		}
		if err := cb.Receive(pq, &cascade.Reply{Count: r.Count, Parities: r.Parities}); err != nil {
			return nil, protoErr("%v", err)
		}
	}
	if cb.Err() != nil {
		return nil, protoErr("%v", cb.Err())
	}
	if err := s.send(ctx, &ParityQuery{Done: true, Corrected: cb.Corrected()}); err != nil {
		return nil, err
	}
	return cb, nil
}
