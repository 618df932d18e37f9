package qkd

import (
	"context"
	"math/bits"

	"qkdchat/qkd/bitvec"
	"qkdchat/qkd/channel"
	"qkdchat/qkd/decoy"
	"qkdchat/qkd/finitekey"
)

// pulseRun is the state of a pulse-model run (version 6) (the pulse model): the source,
// what both sides counted per intensity, and the bound's verdict in words.
type pulseRun struct {
	src    Source
	counts decoy.Counts
	detail string
}

// startPulses prepares a side for a pulse-model run.
func (s *side) startPulses() {
	src := s.cfg.Source
	s.pulse = &pulseRun{src: src}
	s.rep.Source, s.rep.Attack, s.rep.Report = "single", s.cfg.Attack.String(), decoy.NewReport(src)
	if src.Laser {
		s.rep.Source = "wcp"
	}
}

// sendPulses is Alice's transmission on the pulse model: she emits the
// pulses chunk by chunk, the channel (Eve, the fibre) acts on their
// photons, and each chunk goes to Bob as a PulseFrame. It returns her
// bits, bases and the pulses' classes.
func (s *side) sendPulses(ctx context.Context) (value, basis []uint64, class []channel.Class, err error) {
	c, N := s.cfg, s.cfg.Qubits
	value, basis, class = make([]uint64, bitvec.Words(N)), make([]uint64, bitvec.Words(N)), make([]channel.Class, N)
	chRng := NewRand(c.Seed, "channel")
	laser, T := c.Source.Model(), channel.Transmittance(c.FiberKm)
	pns := channel.PlanPNS(c.Source.Mu, T, c.DetectorEfficiency)
	if c.Eve > 0 || c.Attack != channel.AttackInterceptResend {
		s.res.eveKnown = make([]uint64, bitvec.Words(N))
	}
	for off := 0; off < N; off += MaxFramePhotons {
		cnt := min(MaxFramePhotons, N-off)
		p := laser.Emit(s.rng, cnt, 1-c.ZBias)
		putWords(value, off, p.Value)
		putWords(basis, off, p.Basis)
		copy(class[off:], p.Class)
		p.Basis, p.Value = append([]uint64(nil), p.Basis...), append([]uint64(nil), p.Value...)
		var known []uint64
		if s.res.eveKnown != nil {
			known = frameWords(s.res.eveKnown, off, cnt)
		}
		var st EveStats
		switch {
		case c.Attack == channel.AttackPNS:
			st = pns.Apply(p, chRng, known)
			channel.Transmit(p, chRng, c.Noise, 1)
		case c.Attack == channel.AttackBeamSplit:
			st = channel.BeamSplit(p, chRng, T, known)
			channel.Transmit(p, chRng, c.Noise, 1)
		default:
			if c.Eve > 0 {
				st = channel.InterceptPulses(p, chRng, c.Eve, c.EveBasis, known)
			}
			channel.Transmit(p, chRng, c.Noise, T)
		}
		s.res.eveStats.Intercepted += st.Intercepted
		s.res.eveStats.BasisMatched += st.BasisMatched
		if c.Attack != channel.AttackInterceptResend {
			s.rep.EveSplitPulses += st.Intercepted
		}
		if err := s.send(ctx, &PulseFrame{Start: off, Count: cnt, Basis: p.Basis, Value: p.Value, Photons: p.Photons}); err != nil {
			return nil, nil, nil, err
		}
		s.rep.QubitsSent += cnt
		s.progress(PhaseTransmit)
	}
	return value, basis, class, nil
}

// recvPulses is Bob's detection on the pulse model.
func (s *side) recvPulses(ctx context.Context, detected, basis, result []uint64) error {
	c, N := s.cfg, s.cfg.Qubits
	det := &channel.PulseDetector{Efficiency: c.DetectorEfficiency, Dark: c.DarkCount, Misalign: c.Misalignment,
		Afterpulse: c.Afterpulse, DeadTime: c.DeadTime, PX: 1 - c.ZBias}
	for off := 0; off < N; off += MaxFramePhotons {
		cnt := min(MaxFramePhotons, N-off)
		f, err := recv[*PulseFrame](ctx, s)
		if err != nil {
			return err
		}
		if f.Start != off || f.Count != cnt {
			return protoErr("pulse frame [%d,+%d), want [%d,+%d)", f.Start, f.Count, off, cnt)
		}
		det.Measure(channel.Pulses{Count: cnt, Basis: f.Basis, Value: f.Value, Photons: f.Photons}, s.rng, off, detected, basis, result)
		s.rep.QubitsSent += cnt
		s.progress(PhaseTransmit)
	}
	return nil
}

// decoys runs the decoy announcement after sifting: Alice (class non-nil)
// announces the weak and vacuum pulses, Bob receives them, and both
// disclose their bits of the sifted weak decoys. own is the side's bit per
// pulse. Both count detections per intensity; it returns the detections
// of signal pulses, the only ones that enter the key.
func (s *side) decoys(ctx context.Context, class []channel.Class, detected, aBasis, bBasis, own []uint64) ([]uint64, error) {
	N, pr := s.cfg.Qubits, s.pulse
	weak, vac := make([]uint64, bitvec.Words(N)), make([]uint64, bitvec.Words(N))
	if s.cfg.Source.Decoys {
		var err error
		if class != nil {
			for i, cl := range class {
				switch cl {
				case channel.Weak:
					bitvec.Set(weak, i, 1)
				case channel.Vacuum:
					bitvec.Set(vac, i, 1)
				}
			}
			err = sendSpans(ctx, s, N, func(off, cnt int) Message {
				return &DecoyClasses{Start: off, Count: cnt, Weak: frameWords(weak, off, cnt), Vacuum: frameWords(vac, off, cnt)}
			})
		} else {
			err = recvSpans(ctx, s, N, func(m *DecoyClasses, off int) {
				putWords(weak, off, m.Weak)
				putWords(vac, off, m.Vacuum)
			})
		}
		if err != nil {
			return nil, err
		}
	}
	for i := range weak {
		if weak[i]&vac[i] != 0 {
			return nil, protoErr("pulse %d announced both weak and vacuum decoy", 64*i)
		}
	}
	k := &pr.counts
	signal, siftedWeak := decoy.Tally(k, N, detected, aBasis, bBasis, weak, vac)
	// Both disclose their bits of the sifted weak decoys: Alice first.
	mine, n := bitvec.Compact(own, siftedWeak, 0, N)
	var theirs *DecoyBits
	var err error
	if class != nil {
		if err = s.send(ctx, &DecoyBits{Count: n, Bits: mine}); err == nil {
			theirs, err = recv[*DecoyBits](ctx, s)
		}
	} else if theirs, err = recv[*DecoyBits](ctx, s); err == nil {
		err = s.send(ctx, &DecoyBits{Count: n, Bits: mine})
	}
	if err != nil {
		return nil, err
	}
	if theirs.Count != n || len(theirs.Bits) != len(mine) {
		return nil, protoErr("%d weak-decoy bits, want %d", theirs.Count, n)
	}
	k.Disclosed[channel.Weak] = n
	for i, w := range mine {
		k.Errors[channel.Weak] += bits.OnesCount64(w ^ theirs.Bits[i])
	}
	return signal, nil
}

// keyLength is the finite-key bound of the run: finitekey's for the
// single-photon model, and from the single-photon part (qkd/decoy) on the
// pulse model, where it also fills the report's bounds.
func (s *side) keyLength(n, k int, q, leak float64) (l, mu float64) {
	eps, epsCor := s.cfg.EpsSec, s.cfg.EpsCor
	if s.pulse == nil {
		return finitekey.KeyLength(n, k, q, leak, eps, epsCor)
	}
	mu = finitekey.Mu(n, k, eps)
	c := s.pulse.counts
	c.Disclosed[channel.Signal], c.Errors[channel.Signal] = s.rep.SampleSize, s.rep.SampleErrors
	b := decoy.Estimate(s.pulse.src, c, q, mu, eps)
	l = decoy.KeyLength(b.Finite, n, leak, eps, epsCor)
	s.rep.Report.Fill(s.pulse.src, c, b, decoy.KeyLength(b.Asymptotic, n, leak, eps, epsCor))
	s.pulse.detail = s.rep.Verdict
	return l, mu
}
