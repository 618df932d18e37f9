package qkd

import (
	"context"
	"fmt"
	"math/bits"

	"qkdchat/qkd/bitvec"
	"qkdchat/qkd/channel"
	"qkdchat/qkd/decoy"
)

// A run on the pulse model streams: Alice and Bob go through the pulses a
// chunk at a time (MaxFramePhotons pulses by default). Per chunk Alice
// sends the pulse frames, Bob answers with his detections and bases, Alice
// announces her bases and the chunk's decoy classes, and both keep only
// what the key needs: the bits and bases of the detected signal pulses,
// their own bits of the sifted weak decoys, the counts per intensity and
// the first TraceQubits slots for the trace. A run's memory is then one
// chunk plus its detections, whatever its number of pulses (at most
// MaxPulses); its detections are capped at MaxQubits, the size every later
// step (sample, Cascade, hashing, messages) is built for.

// ErrTooManyDetections is wrapped by the error of a pulse run whose
// detections outgrow what one run can hold.
var ErrTooManyDetections = fmt.Errorf("%w: too many detections", ErrConfig)

// stream is what a side keeps of a streamed run.
type stream struct {
	n, trace            int      // retained (detected signal) slots; of them, those in the trace
	own, aBasis, bBasis []uint64 // per retained slot
	eveKnown            []uint64 // Alice: Eve's knowledge per retained slot
	weak                []uint64 // own bits of the sifted weak decoys
	weakN               int
	matches             int // slots where the bases agree, over the run
	// The trace's slots, before compaction: Alice's bits and bases, Bob's
	// signal detections, bases and results.
	tOwn, tBasis, tDet []uint64
	// peakSlots is the most pulses held at once, a structural check of the
	// memory bound.
	peakSlots int
}

// chunkPulses is the number of pulses a side holds at once.
func (c Config) chunkPulses() int {
	return max(1, c.streamFrames) * MaxFramePhotons
}

// appendBits appends the m packed bits src to the n bits of dst.
func appendBits(dst []uint64, n int, src []uint64, m int) []uint64 {
	if w := bitvec.Words(n + m); w > len(dst) {
		dst = append(dst, make([]uint64, w-len(dst))...)
	}
	putWords(dst, n, src)
	return dst
}

// chunkPlanes are one chunk's planes at chunk offset 0.
type chunkPlanes struct {
	own, aBasis, bBasis, detected, weak, vac, eveKnown []uint64
}

func newChunkPlanes(n int, eve bool) *chunkPlanes {
	w := bitvec.Words(n)
	p := &chunkPlanes{own: make([]uint64, w), aBasis: make([]uint64, w), bBasis: make([]uint64, w),
		detected: make([]uint64, w), weak: make([]uint64, w), vac: make([]uint64, w)}
	if eve {
		p.eveKnown = make([]uint64, w)
	}
	return p
}

// retain tallies the chunk [lo, lo+n) and keeps what the key needs.
func (s *side) retain(st *stream, p *chunkPlanes, lo, n int) error {
	signal, siftedWeak := decoy.Tally(&s.pulse.counts, n, p.detected, p.aBasis, p.bBasis, p.weak, p.vac)
	for i := range p.aBasis {
		st.matches += bits.OnesCount64(^(p.aBasis[i] ^ p.bBasis[i]) & bitvec.LowMask(n-64*i))
	}
	if t := s.cfg.TraceQubits; lo < t {
		t = min(t, n)
		st.tOwn, st.tBasis, st.tDet = bitvec.Extract(p.own, 0, t), bitvec.Extract(p.aBasis, 0, t), bitvec.Extract(signal, 0, t)
		if !s.alice { // Bob: his own basis
			st.tBasis = bitvec.Extract(p.bBasis, 0, t)
		}
		st.trace += bitvec.Count(signal, t)
	}
	add := func(dst []uint64, v []uint64) []uint64 {
		c, m := bitvec.Compact(v, signal, 0, n)
		return appendBits(dst, st.n, c, m)
	}
	m := bitvec.Count(signal, n)
	if st.n+m > MaxQubits {
		return fmt.Errorf("%w: more than %d detected signal pulses by pulse %d of %d; send fewer pulses or use a longer fibre",
			ErrTooManyDetections, MaxQubits, lo+n, s.cfg.Qubits)
	}
	st.own, st.aBasis, st.bBasis = add(st.own, p.own), add(st.aBasis, p.aBasis), add(st.bBasis, p.bBasis)
	if p.eveKnown != nil {
		st.eveKnown = add(st.eveKnown, p.eveKnown)
	}
	st.n += m
	w, wn := bitvec.Compact(p.own, siftedWeak, 0, n)
	if st.weakN+wn > MaxQubits {
		return fmt.Errorf("%w: more than %d sifted weak decoys by pulse %d; send fewer pulses", ErrTooManyDetections, MaxQubits, lo+n)
	}
	st.weak = appendBits(st.weak, st.weakN, w, wn)
	st.weakN += wn
	st.peakSlots = max(st.peakSlots, n)
	return nil
}

// streamAlice sends the pulses chunk by chunk (see stream) and returns
// what she keeps.
func (s *side) streamAlice(ctx context.Context) (*stream, error) {
	c, N := s.cfg, s.cfg.Qubits
	st := &stream{}
	chRng := NewRand(c.Seed, "channel")
	laser, T := c.Source.Model(), channel.Transmittance(c.FiberKm)
	pns := channel.PlanPNS(c.Source.Mu, T, c.DetectorEfficiency)
	eve := c.Eve > 0 || c.Attack != channel.AttackInterceptResend
	for lo := 0; lo < N; lo += c.chunkPulses() {
		n := min(c.chunkPulses(), N-lo)
		p := newChunkPlanes(n, eve)
		class := make([]channel.Class, n)
		for off := lo; off < lo+n; off += MaxFramePulses {
			cnt := min(MaxFramePulses, lo+n-off)
			f := laser.Emit(s.rng, cnt, 1-c.ZBias)
			putWords(p.own, off-lo, f.Value)
			putWords(p.aBasis, off-lo, f.Basis)
			copy(class[off-lo:], f.Class)
			f.Basis, f.Value = append([]uint64(nil), f.Basis...), append([]uint64(nil), f.Value...)
			var known []uint64
			if eve {
				known = frameWords(p.eveKnown, off-lo, cnt)
			}
			var es EveStats
			switch {
			case c.Attack == channel.AttackPNS:
				es = pns.Apply(f, chRng, known)
				channel.Transmit(f, chRng, c.Noise, 1)
			case c.Attack == channel.AttackBeamSplit:
				es = channel.BeamSplit(f, chRng, T, known)
				channel.Transmit(f, chRng, c.Noise, 1)
			default:
				if c.Eve > 0 {
					es = channel.InterceptPulses(f, chRng, c.Eve, c.EveBasis, known)
				}
				channel.Transmit(f, chRng, c.Noise, T)
			}
			s.res.eveStats.Intercepted += es.Intercepted
			s.res.eveStats.BasisMatched += es.BasisMatched
			if c.Attack != channel.AttackInterceptResend {
				s.rep.EveSplitPulses += es.Intercepted
			}
			if err := s.send(ctx, &PulseFrame{Start: off, Count: cnt, Basis: f.Basis, Value: f.Value, Photons: f.Photons}); err != nil {
				return nil, err
			}
			s.rep.QubitsSent += cnt
			s.progress(PhaseTransmit)
		}
		err := recvSpans(ctx, s, lo, lo+n, func(m *SiftBob, off int) {
			putWords(p.detected, off-lo, m.Detected)
			putWords(p.bBasis, off-lo, m.Basis)
		})
		if err == nil {
			err = sendSpans(ctx, s, lo, lo+n, func(off, cnt int) Message {
				return &SiftAlice{Start: off, Count: cnt, Basis: frameWords(p.aBasis, off-lo, cnt)}
			})
		}
		if err == nil && c.Source.Decoys {
			for i, cl := range class {
				switch cl {
				case channel.Weak:
					bitvec.Set(p.weak, i, 1)
				case channel.Vacuum:
					bitvec.Set(p.vac, i, 1)
				}
			}
			err = sendSpans(ctx, s, lo, lo+n, func(off, cnt int) Message {
				return &DecoyClasses{Start: off, Count: cnt, Weak: frameWords(p.weak, off-lo, cnt), Vacuum: frameWords(p.vac, off-lo, cnt)}
			})
		}
		if err == nil {
			err = s.retain(st, p, lo, n)
		}
		if err != nil {
			return nil, err
		}
	}
	s.res.eveKnown, s.res.peakSlots = st.eveKnown, st.peakSlots
	return st, s.closeStream(ctx, st)
}

// streamBob measures the pulses chunk by chunk (see stream) and returns
// what he keeps.
func (s *side) streamBob(ctx context.Context) (*stream, error) {
	c, N := s.cfg, s.cfg.Qubits
	st := &stream{}
	det := &channel.PulseDetector{Efficiency: c.DetectorEfficiency, Dark: c.DarkCount, Misalign: c.Misalignment,
		Afterpulse: c.Afterpulse, DeadTime: c.DeadTime, PX: 1 - c.ZBias}
	for lo := 0; lo < N; lo += c.chunkPulses() {
		n := min(c.chunkPulses(), N-lo)
		p := newChunkPlanes(n, false)
		for off := lo; off < lo+n; off += MaxFramePulses {
			cnt := min(MaxFramePulses, lo+n-off)
			f, err := recv[*PulseFrame](ctx, s)
			if err != nil {
				return nil, err
			}
			if f.Start != off || f.Count != cnt {
				return nil, protoErr("pulse frame [%d,+%d), want [%d,+%d)", f.Start, f.Count, off, cnt)
			}
			det.Measure(channel.Pulses{Count: cnt, Basis: f.Basis, Value: f.Value, Photons: f.Photons}, s.rng, off-lo, p.detected, p.bBasis, p.own)
			s.rep.QubitsSent += cnt
			s.progress(PhaseTransmit)
		}
		err := sendSpans(ctx, s, lo, lo+n, func(off, cnt int) Message {
			return &SiftBob{Start: off, Count: cnt, Detected: frameWords(p.detected, off-lo, cnt), Basis: frameWords(p.bBasis, off-lo, cnt)}
		})
		if err == nil {
			err = recvSpans(ctx, s, lo, lo+n, func(m *SiftAlice, off int) { putWords(p.aBasis, off-lo, m.Basis) })
		}
		if err == nil && c.Source.Decoys {
			err = recvSpans(ctx, s, lo, lo+n, func(m *DecoyClasses, off int) {
				putWords(p.weak, off-lo, m.Weak)
				putWords(p.vac, off-lo, m.Vacuum)
			})
			for i := range p.weak {
				if err == nil && p.weak[i]&p.vac[i] != 0 {
					err = protoErr("pulse %d announced both weak and vacuum decoy", lo+64*i)
				}
			}
		}
		if err == nil {
			err = s.retain(st, p, lo, n)
		}
		if err != nil {
			return nil, err
		}
	}
	s.res.peakSlots = st.peakSlots
	return st, s.closeStream(ctx, st)
}

// closeStream completes the counts per intensity and runs the disclosure
// of the sifted weak decoys' bits: Alice first.
func (s *side) closeStream(ctx context.Context, st *stream) error {
	k := &s.pulse.counts
	k.Pulses[channel.Signal] = s.cfg.Qubits - k.Pulses[channel.Weak] - k.Pulses[channel.Vacuum]
	mine := st.weak[:bitvec.Words(st.weakN)]
	var theirs *DecoyBits
	var err error
	if s.alice {
		if err = s.send(ctx, &DecoyBits{Count: st.weakN, Bits: mine}); err == nil {
			theirs, err = recv[*DecoyBits](ctx, s)
		}
	} else if theirs, err = recv[*DecoyBits](ctx, s); err == nil {
		err = s.send(ctx, &DecoyBits{Count: st.weakN, Bits: mine})
	}
	if err != nil {
		return err
	}
	if theirs.Count != st.weakN || len(theirs.Bits) != len(mine) {
		return protoErr("%d weak-decoy bits, want %d", theirs.Count, st.weakN)
	}
	k.Disclosed[channel.Weak] = st.weakN
	for i, w := range mine {
		k.Errors[channel.Weak] += bits.OnesCount64(w ^ theirs.Bits[i])
	}
	return nil
}

// siftStream sifts the retained slots: every one is a detection, the first
// st.trace are the trace's. The counts are the run's.
func (s *side) siftStream(st *stream) {
	ones := make([]uint64, bitvec.Words(st.n))
	for i := range ones {
		ones[i] = bitvec.LowMask(st.n - 64*i)
	}
	ownBasis := st.aBasis
	if !s.alice {
		ownBasis = st.bBasis
	}
	s.siftN(ones, st.aBasis, st.bBasis, st.own, ownBasis, st.n, st.trace)
	s.rep.Matches = st.matches
}
