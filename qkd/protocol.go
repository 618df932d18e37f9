package qkd

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"qkdchat/qkd/bitvec"
	"qkdchat/qkd/channel"
	"qkdchat/qkd/finitekey"
	"qkdchat/qkd/sifting"
	"qkdchat/qkd/toeplitz"
	"time"
)

// Result is the outcome of one side of a run. On abort, RunAlice and
// RunBob return a Result whose Report is filled as far as the run got,
// together with an error wrapping the reason.
type Result struct {
	Key    []byte // final key, KeyBits bits packed little-endian; nil on abort
	Report Report

	// Simulator-only material, read by Simulate: the sifted string, which
	// refers to planes the run builds anyway.
	sifted   sifting.Key
	eveKnown []uint64 // Alice: positions where Eve measured in the right basis
	eveStats EveStats
	// peakSlots is the most pulses a streamed run held at once.
	peakSlots int
}

// pipeline selects the sifting and estimation code: the packed one, or
// the reference (sifting.Reference) that it must match bit for bit.
type pipeline uint8

const (
	pipelinePacked pipeline = iota
	pipelineReference
)

// side is what Alice and Bob share while running.
type side struct {
	cfg    Config
	conn   Conn
	rng    *rand.Rand
	res    *Result
	rep    *Report
	start  time.Time
	phaseT time.Time
	cur    Phase // the phase phaseT times
	prog   Progress

	phaseBits int     // sample size the phase error is estimated on
	ecQBER    float64 // error rate Cascade is sized for
	pipe      pipeline
	pulse     *pulseRun // pulse-model runs (version 6) only
	alice     bool
	warm      chan struct{} // closed when the amplification's scratch is ready (warmAmplify)
}

func newSide(c Config, conn Conn, label string, pipe pipeline) *side {
	res := &Result{}
	now := time.Now()
	s := &side{cfg: c, conn: conn, rng: NewRand(c.Seed, label), res: res, rep: &res.Report, start: now, phaseT: now, cur: PhasePrepare, pipe: pipe}
	s.rep.QBERTrue = -1
	return s
}

// phase closes the current phase's timer into *dst and reports progress.
func (s *side) phase(dst *float64, next Phase) {
	now := time.Now()
	if dst != nil {
		*dst += ms(now.Sub(s.phaseT))
	}
	s.phaseT, s.cur = now, next
	s.progress(next)
}

func (s *side) progress(p Phase) {
	if s.cfg.Progress == nil {
		return
	}
	s.prog.Phase = p
	s.prog.Sent = s.rep.QubitsSent
	s.prog.Detected = s.rep.QubitsDetected
	s.prog.Matches = s.rep.Matches
	s.prog.Sifted = s.rep.Sifted
	s.prog.QBER = s.rep.QBEREstimate
	s.prog.QBERZ, s.prog.QBERX = s.rep.QBERZ, s.rep.QBERX
	s.cfg.Progress(s.prog)
}

func (s *side) send(ctx context.Context, m Message) error {
	if err := s.conn.Send(ctx, m); err != nil {
		return fmt.Errorf("qkd: send %v: %w", m.Kind(), err)
	}
	return nil
}

// recv receives the next message, which must be of kind want; an Abort
// from the peer becomes a PeerAbortError.
func recv[T Message](ctx context.Context, s *side) (T, error) {
	var zero T
	m, err := s.conn.Recv(ctx)
	if err != nil {
		return zero, fmt.Errorf("qkd: receive: %w", err)
	}
	if a, ok := m.(*Abort); ok {
		return zero, &PeerAbortError{Reason: a.Reason}
	}
	t, ok := m.(T)
	if !ok {
		return zero, protoErr("got %v, want %v", m.Kind(), zero.Kind())
	}
	return t, nil
}

// spanned is a message about the photons [Start, Start+Count) of a run.
type spanned interface {
	Message
	span() (start, count int)
}

func (m *SiftBob) span() (int, int)      { return m.Start, m.Count }
func (m *SiftAlice) span() (int, int)    { return m.Start, m.Count }
func (m *DecoyClasses) span() (int, int) { return m.Start, m.Count }

// frameWords returns bits [off, off+n) of the tail-masked plane v, packed:
// the plane's own words (capped, not copied) when off is a multiple of 64,
// as the frame offsets are, else a copy. Messages are read-only once
// built, so a frame may share the plane it describes.
func frameWords(v []uint64, off, n int) []uint64 {
	if off&63 != 0 {
		return bitvec.Extract(v, off, n)
	}
	lo, hi := off>>6, off>>6+bitvec.Words(n)
	return v[lo:hi:hi]
}

// putWords writes the packed bits src into the zero plane dst at bit off.
func putWords(dst []uint64, off int, src []uint64) {
	if off&63 == 0 {
		copy(dst[off>>6:], src)
		return
	}
	for i, w := range src {
		bitvec.PutWord(dst, off+64*i, w)
	}
}

// sendSpans sends the frame-sized messages that together cover photons
// [lo, n), in order; build makes the one for [off, off+cnt).
func sendSpans(ctx context.Context, s *side, lo, n int, build func(off, cnt int) Message) error {
	for off := lo; off < n; off += MaxFramePhotons {
		if err := s.send(ctx, build(off, min(MaxFramePhotons, n-off))); err != nil {
			return err
		}
	}
	return nil
}

// recvSpans receives the messages sendSpans sent, checks that each covers
// the next range, and hands it to use with its offset.
func recvSpans[T spanned](ctx context.Context, s *side, lo, n int, use func(m T, off int)) error {
	for off := lo; off < n; off += MaxFramePhotons {
		m, err := recv[T](ctx, s)
		if err != nil {
			return err
		}
		start, cnt := m.span()
		if want := min(MaxFramePhotons, n-off); start != off || cnt != want {
			return protoErr("sift range [%d,+%d), want [%d,+%d)", start, cnt, off, want)
		}
		use(m, off)
	}
	return nil
}

// finish completes the report and, for a failure that the peer cannot
// infer, tells the peer.
func (s *side) finish(ctx context.Context, err error) (*Result, error) {
	// One instant ends the run's clock and the phase it stopped in, taken
	// before waiting for the table warm-up: reading the clock twice around
	// that wait made an aborted run's phases add up to more than its total.
	end := time.Now()
	s.rep.Elapsed.Total = ms(end.Sub(s.start))
	s.awaitWarm() // no goroutine of the run outlives it
	if err == nil {
		s.progress(PhaseDone)
		return s.res, nil
	}
	if t := s.rep.Elapsed.of(s.cur); t != nil {
		*t += ms(end.Sub(s.phaseT)) // the phase the run stopped in
	}
	s.res.Key = nil
	s.rep.Aborted = true
	s.rep.KeyBits = 0
	s.rep.AbortReason = err.Error()
	var ae *AbortError
	var pe *PeerAbortError
	if !errors.As(err, &ae) && !errors.As(err, &pe) && ctx.Err() == nil {
		// Best effort: the peer would otherwise wait for us.
		sctx, cancel := context.WithTimeout(ctx, time.Second)
		_ = s.conn.Send(sctx, &Abort{Reason: err.Error()})
		cancel()
	}
	s.progress(PhaseAborted)
	return s.res, err
}

// RunAlice runs the sender: she prepares and sends the photons through
// her side of the channel (noise, loss, the configured intercept-resend
// fraction), then leads sifting, estimation, Cascade, verification and
// privacy amplification.
func RunAlice(ctx context.Context, c Config, conn Conn) (*Result, error) {
	res, err := runAliceWith(ctx, c, conn, pipelinePacked)
	res.dropTruths()
	return res, err
}

// dropTruths releases the simulator-only references to the run's planes,
// which a caller keeping the Result (or its Report) would otherwise keep.
func (r *Result) dropTruths() {
	if r == nil {
		return
	}
	r.sifted, r.eveKnown = nil, nil
}

func runAliceWith(ctx context.Context, c Config, conn Conn, pipe pipeline) (*Result, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if c.Qubits == 0 {
		n, err := RequiredQubits(c.Protocol)
		if err != nil {
			return nil, err
		}
		c.Qubits = n
	}
	c = c.withDefaults()
	if c.TraceQubits > c.Qubits {
		return nil, fmt.Errorf("%w: trace qubits %d exceed qubits %d", ErrConfig, c.TraceQubits, c.Qubits)
	}
	if err := c.checkDetections(); err != nil {
		return nil, err
	}
	s := newSide(c, conn, "alice", pipe)
	s.alice = true
	s.rep.EveFraction = c.Eve
	s.rep.EveBasis = c.EveBasis.String()
	if c.pulsed() {
		s.startPulses()
	}
	err := runAlice(ctx, s)
	return s.finish(ctx, err)
}

func runAlice(ctx context.Context, s *side) error {
	c := s.cfg
	N := c.Qubits
	s.progress(PhasePrepare)
	if err := s.send(ctx, c.Protocol.params(N, s.pulse != nil)); err != nil {
		return err
	}
	var value, basis []uint64 // the planes the trace is taken from
	if s.pulse != nil {
		s.phase(&s.rep.Elapsed.Prepare, PhaseTransmit)
		st, err := s.streamAlice(ctx)
		if err != nil {
			return err
		}
		s.phase(&s.rep.Elapsed.Transmit, PhaseSift)
		s.siftStream(st)
		value, basis = st.tOwn, st.tBasis
	} else {
		value, basis = channel.SinglePhotons(s.rng, N, channel.ToFixed(1-c.ZBias))
		s.phase(&s.rep.Elapsed.Prepare, PhaseTransmit)
		if err := s.sendPhotons(ctx, value, basis); err != nil {
			return err
		}
		s.phase(&s.rep.Elapsed.Transmit, PhaseSift)
		// Sift: Bob's detections and bases, then Alice's bases.
		detected := make([]uint64, bitvec.Words(N))
		bobBasis := make([]uint64, bitvec.Words(N))
		err := recvSpans(ctx, s, 0, N, func(m *SiftBob, off int) {
			putWords(detected, off, m.Detected)
			putWords(bobBasis, off, m.Basis)
		})
		if err != nil {
			return err
		}
		err = sendSpans(ctx, s, 0, N, func(off, cnt int) Message {
			return &SiftAlice{Start: off, Count: cnt, Basis: frameWords(basis, off, cnt)}
		})
		if err != nil {
			return err
		}
		s.sift(detected, basis, bobBasis, value, basis)
	}
	sf := s.res.sifted
	if c.TraceQubits > 0 {
		t := c.TraceQubits
		if err := s.send(ctx, &TraceAlice{Count: t, Bits: bitvec.Extract(value, 0, t), Basis: bitvec.Extract(basis, 0, t)}); err != nil {
			return err
		}
		tb, err := recv[*TraceBob](ctx, s)
		if err != nil {
			return err
		}
		if tb.Count != t {
			return protoErr("trace of %d qubits, want %d", tb.Count, t)
		}
		s.rep.Trace = buildTrace(t, value, basis, tb.Detected, tb.Basis, tb.Result)
	}
	s.phase(&s.rep.Elapsed.Sift, PhaseEstimate)

	// Estimate the QBER on a random sample.
	est := planSample(sf.PoolLen(), sf.CountBasis(finitekey.KeyBasis(c.ZBias)), c.Protocol)
	seed := randomSeed32(s.rng)
	aBits := sf.Disclose(seed, est)
	if err := s.send(ctx, &Sample{Seed: seed, Size: est.Size(), Bits: aBits}); err != nil {
		return err
	}
	rep, err := recv[*SampleReply](ctx, s)
	if err != nil {
		return err
	}
	if rep.Size != est.Size() {
		return protoErr("sample reply of %d bits, want %d", rep.Size, est.Size())
	}
	key, n, err := s.estimate(sf, est, aBits, rep.Bits)
	if err != nil {
		return err
	}
	s.phase(&s.rep.Elapsed.Estimate, PhaseReconcile)

	// Cascade: Alice answers.
	cseed := randomSeed32(s.rng)
	ca, corrected, err := reconcileAlice(ctx, s, key, n, s.ecQBER, cseed)
	if err != nil {
		return err
	}
	s.rep.Corrected = corrected
	s.rep.ECRoundTrips = ca.Rounds()
	s.rep.LeakedEC = ca.Leak() + finitekey.VerifyTagBits
	s.rep.ECEfficiency = finitekey.Efficiency(ca.Leak(), n, float64(s.rep.Corrected)/float64(max(n, 1)))
	s.phase(&s.rep.Elapsed.Reconcile, PhaseVerify)

	// Verify with a fresh 64-bit Toeplitz hash.
	vs := bitvec.Random(s.rng, n+finitekey.VerifyTagBits-1)
	tag, err := toeplitz.Hash(vs, key, n, finitekey.VerifyTagBits)
	if err != nil {
		return err
	}
	if err := s.send(ctx, &Verify{SeedBits: n + finitekey.VerifyTagBits - 1, Seed: vs, Tag: tag[0]}); err != nil {
		return err
	}
	vr, err := recv[*VerifyReply](ctx, s)
	if err != nil {
		return err
	}
	if !vr.OK {
		return s.abort(ErrVerificationFailed, est, n)
	}
	s.phase(&s.rep.Elapsed.Verify, PhaseAmplify)

	// Privacy amplification.
	final, err := s.finalLength(est, n)
	if err != nil {
		return err
	}
	ps := bitvec.Random(s.rng, n+final-1)
	if err := s.send(ctx, &Amplify{Length: final, SeedBits: n + final - 1, Seed: ps}); err != nil {
		return err
	}
	s.awaitWarm()
	out, err := toeplitz.Hash(ps, key, n, final)
	if err != nil {
		return err
	}
	s.res.Key = bitvec.Bytes(out, final)
	s.rep.KeyBits = final
	s.phase(&s.rep.Elapsed.Amplify, PhaseDone)
	return nil
}

// sendPhotons is Alice's transmission on the single-photon model: the
// channel (noise, loss, an intercept-resend fraction) acts on her photons
// frame by frame on the way out.
func (s *side) sendPhotons(ctx context.Context, value, basis []uint64) error {
	c, N := s.cfg, s.cfg.Qubits
	// Transmit, applying the channel on the way out.
	chRng := NewRand(c.Seed, "channel")
	ch := channel.Fibre{Flip: channel.ToFixed(c.Noise), Transmit: channel.ToFixed(channel.Transmittance(c.FiberKm))}
	eveFrac := channel.ToFixed(c.Eve)
	if c.Eve > 0 {
		s.res.eveKnown = make([]uint64, bitvec.Words(N))
	}
	for off := 0; off < N; off += MaxFramePhotons {
		cnt := min(MaxFramePhotons, N-off)
		f := &PhotonFrame{Start: uint64(off), Count: cnt,
			Basis: bitvec.Extract(basis, off, cnt), Value: bitvec.Extract(value, off, cnt),
			Present: make([]uint64, bitvec.Words(cnt))}
		for i := range f.Present {
			f.Present[i] = bitvec.LowMask(cnt - 64*i)
		}
		if c.Eve > 0 {
			st := channel.InterceptResend(f.frame(), chRng, eveFrac, c.EveBasis, frameWords(s.res.eveKnown, off, cnt))
			s.res.eveStats.Intercepted += st.Intercepted
			s.res.eveStats.BasisMatched += st.BasisMatched
		}
		ch.Apply(f.frame(), chRng)
		if err := s.send(ctx, f); err != nil {
			return err
		}
		s.rep.QubitsSent += cnt
		s.progress(PhaseTransmit)
	}
	return nil
}

// RunBob runs the receiver: he measures Alice's photons with his own
// detector (c.DetectorEfficiency, c.DarkCount) in random bases, and
// follows Alice's lead for everything else. The run parameters come from
// Alice's first message and are validated.
func RunBob(ctx context.Context, c Config, conn Conn) (*Result, error) {
	res, err := runBobWith(ctx, c, conn, pipelinePacked)
	res.dropTruths()
	return res, err
}

func runBobWith(ctx context.Context, c Config, conn Conn, pipe pipeline) (*Result, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	c = c.withDefaults()
	s := newSide(c, conn, "bob", pipe)
	err := runBob(ctx, s)
	return s.finish(ctx, err)
}

func runBob(ctx context.Context, s *side) error {
	p, err := recv[*Params](ctx, s)
	if err != nil {
		return err
	}
	if err := p.validate(); err != nil {
		return protoErr("bad parameters from Alice: %v", err)
	}
	if m := s.cfg.MaxRun; m > 0 && p.Qubits > m {
		return protoErr("Alice asks for a run of %d pulses, more than the %d this side accepts", p.Qubits, m)
	}
	// Shared parameters are Alice's; the detector is Bob's own.
	c := s.cfg
	c.Protocol = Protocol{Qubits: p.Qubits, KeyBits: p.KeyBits, ZBias: p.ZBias, Threshold: p.Threshold,
		EpsSec: p.EpsSec, EpsCor: p.EpsCor, DesignQBER: p.DesignQBER, TraceQubits: p.TraceQubits, Source: p.Source}.withDefaults()
	s.cfg = c
	if p.Version == pulseVersion {
		s.startPulses()
	}
	N := c.Qubits
	s.cur = PhaseTransmit // Bob's clock starts with the photons
	s.progress(PhaseTransmit)

	var tb *TraceBob
	t := c.TraceQubits
	if s.pulse != nil {
		st, err := s.streamBob(ctx)
		if err != nil {
			return err
		}
		s.phase(&s.rep.Elapsed.Transmit, PhaseSift)
		s.siftStream(st)
		tb = &TraceBob{Count: t, Detected: st.tDet, Basis: st.tBasis, Result: st.tOwn}
	} else {
		det := channel.Detector{Efficiency: channel.ToFixed(c.DetectorEfficiency), Dark: channel.ToFixed(c.DarkCount), PX: channel.ToFixed(1 - c.ZBias)}
		detected := make([]uint64, bitvec.Words(N))
		basis := make([]uint64, bitvec.Words(N))
		result := make([]uint64, bitvec.Words(N))
		for off := 0; off < N; off += MaxFramePhotons {
			cnt := min(MaxFramePhotons, N-off)
			f, err := recv[*PhotonFrame](ctx, s)
			if err != nil {
				return err
			}
			if err := f.validate(); err != nil {
				return protoErr("%v", err)
			}
			if f.Start != uint64(off) || f.Count != cnt {
				return protoErr("photon frame [%d,+%d), want [%d,+%d)", f.Start, f.Count, off, cnt)
			}
			det.Measure(f.frame(), s.rng, off, detected, basis, result)
			s.rep.QubitsSent += cnt
			s.progress(PhaseTransmit)
		}
		s.phase(&s.rep.Elapsed.Transmit, PhaseSift)

		err = sendSpans(ctx, s, 0, N, func(off, cnt int) Message {
			return &SiftBob{Start: off, Count: cnt, Detected: frameWords(detected, off, cnt), Basis: frameWords(basis, off, cnt)}
		})
		if err != nil {
			return err
		}
		aliceBasis := make([]uint64, bitvec.Words(N))
		err = recvSpans(ctx, s, 0, N, func(m *SiftAlice, off int) {
			putWords(aliceBasis, off, m.Basis)
		})
		if err != nil {
			return err
		}
		s.sift(detected, aliceBasis, basis, result, basis)
		if t > 0 {
			tb = &TraceBob{Count: t, Detected: bitvec.Extract(detected, 0, t), Basis: bitvec.Extract(basis, 0, t), Result: bitvec.Extract(result, 0, t)}
		}
	}
	sf := s.res.sifted
	if t > 0 {
		ta, err := recv[*TraceAlice](ctx, s)
		if err != nil {
			return err
		}
		if ta.Count != t {
			return protoErr("trace of %d qubits, want %d", ta.Count, t)
		}
		if err := s.send(ctx, tb); err != nil {
			return err
		}
		s.rep.Trace = buildTrace(t, ta.Bits, ta.Basis, tb.Detected, tb.Basis, tb.Result)
	}
	s.phase(&s.rep.Elapsed.Sift, PhaseEstimate)

	est := planSample(sf.PoolLen(), sf.CountBasis(finitekey.KeyBasis(c.ZBias)), c.Protocol)
	sm, err := recv[*Sample](ctx, s)
	if err != nil {
		return err
	}
	if sm.Size != est.Size() {
		return protoErr("sample of %d bits, want %d", sm.Size, est.Size())
	}
	bBits := sf.Disclose(sm.Seed, est)
	if err := s.send(ctx, &SampleReply{Size: est.Size(), Bits: bBits}); err != nil {
		return err
	}
	key, n, err := s.estimate(sf, est, sm.Bits, bBits)
	if err != nil {
		return err
	}
	s.phase(&s.rep.Elapsed.Estimate, PhaseReconcile)

	cb, err := reconcileBob(ctx, s, key, n, s.ecQBER, runQuerying)
	if err != nil {
		return err
	}
	s.rep.Corrected = cb.Corrected()
	s.rep.ECRoundTrips = cb.Rounds()
	s.rep.LeakedEC = cb.Leak() + finitekey.VerifyTagBits
	s.rep.ECEfficiency = finitekey.Efficiency(cb.Leak(), n, float64(cb.Corrected())/float64(max(n, 1)))
	s.phase(&s.rep.Elapsed.Reconcile, PhaseVerify)

	v, err := recv[*Verify](ctx, s)
	if err != nil {
		return err
	}
	if v.SeedBits != n+finitekey.VerifyTagBits-1 {
		return protoErr("verification seed of %d bits, want %d", v.SeedBits, n+finitekey.VerifyTagBits-1)
	}
	tag, err := toeplitz.Hash(v.Seed, key, n, finitekey.VerifyTagBits)
	if err != nil {
		return err
	}
	ok := tag[0] == v.Tag
	if err := s.send(ctx, &VerifyReply{OK: ok}); err != nil {
		return err
	}
	if !ok {
		return s.abort(ErrVerificationFailed, est, n)
	}
	s.phase(&s.rep.Elapsed.Verify, PhaseAmplify)

	final, err := s.finalLength(est, n)
	if err != nil {
		return err
	}
	a, err := recv[*Amplify](ctx, s)
	if err != nil {
		return err
	}
	if a.Length != final || a.SeedBits != n+final-1 {
		return protoErr("amplify to %d bits with a %d-bit seed, want %d and %d", a.Length, a.SeedBits, final, n+final-1)
	}
	s.awaitWarm()
	out, err := toeplitz.Hash(a.Seed, key, n, final)
	if err != nil {
		return err
	}
	s.res.Key = bitvec.Bytes(out, final)
	s.rep.KeyBits = final
	s.phase(&s.rep.Elapsed.Amplify, PhaseDone)
	return nil
}

// sift reconciles the bases (Eq. 6-7) with the pipeline the side runs,
// and fills the report's counts. own is this side's bit per slot and
// ownBasis its basis (sifted slots have the same basis on both sides).
func (s *side) sift(detected, aBasis, bBasis, own, ownBasis []uint64) sifting.Key {
	return s.siftN(detected, aBasis, bBasis, own, ownBasis, s.cfg.Qubits, s.cfg.TraceQubits)
}

// siftN is sift over n slots of which the first t are the trace's.
func (s *side) siftN(detected, aBasis, bBasis, own, ownBasis []uint64, N, t int) sifting.Key {
	var sf sifting.Key
	if s.pipe == pipelineReference {
		sf = sifting.NewReference(detected, aBasis, bBasis, own, ownBasis, N, t)
	} else {
		sf = sifting.NewPacked(detected, aBasis, bBasis, own, ownBasis, N, t)
	}
	s.res.sifted = sf
	s.rep.QubitsDetected, s.rep.Matches, s.rep.Sifted = sf.Counts()
	return sf
}

// estimate computes the error rates from both sides' sample bits, applies
// the abort threshold and the finite-key feasibility check, and only then
// builds this side's raw key (the pool minus the sample); it returns the
// key and its length.
func (s *side) estimate(sf sifting.Key, est finitekey.Plan, aBits, bBits []uint64) ([]uint64, int, error) {
	if w := bitvec.Words(est.Size()); len(aBits) != w || len(bBits) != w {
		return nil, 0, protoErr("sample of %d and %d words, want %d", len(aBits), len(bBits), w)
	}
	pe := finitekey.EstimatePhase(est, sf.SampleErrors(aBits, bBits))
	s.rep.SampleSize = est.Size()
	s.rep.SampleErrors = pe.Errs
	s.rep.QBEREstimate, s.rep.QBERZ, s.rep.QBERX, s.rep.PhaseQBER = pe.Checked, pe.QBERZ, pe.QBERX, pe.Phase
	s.phaseBits, s.ecQBER = pe.PhaseBits, pe.EC
	sf.Record()
	n := sf.PoolLen() - est.Size() // the sample's positions are distinct
	s.rep.ReconciledBits = n
	s.progress(PhaseEstimate)
	if est.Size() > 0 && s.rep.QBEREstimate > s.cfg.Threshold {
		return nil, 0, s.abort(ErrAbortedQBER, est, n)
	}
	// Could the key be long enough even if error correction reached the
	// Shannon limit? If not, stop before disclosing more.
	shannon := float64(n)*finitekey.BinaryEntropy(pe.EC) + finitekey.VerifyTagBits
	l, mu := s.keyLength(est, n, pe.PhaseBits, pe.Phase, shannon)
	s.rep.Mu, s.rep.BoundBits = mu, l
	if pe.PhaseBits == 0 || n == 0 || l < float64(est.Want) {
		return nil, 0, s.abort(ErrNotEnoughKey, est, n)
	}
	m := s.cfg.KeyBits
	if m == 0 {
		m = int(math.Min(l, float64(n))) // the most amplification can keep
	}
	s.warmAmplify(n, m)
	return sf.RawKey(), n, nil
}

// warmAmplify builds, in the background, the FFT tables of the n×m
// privacy amplification (toeplitz.Warm) while error correction waits on
// the peer; m is the final length requested, or the bound before error
// correction, which the final length falls short of only by the excess
// leak. A mistaken guess costs only the tables: the hash is the same.
func (s *side) warmAmplify(n, m int) {
	done := make(chan struct{})
	s.warm = done
	go func() {
		defer close(done)
		toeplitz.Warm(n, m)
	}()
}

// awaitWarm waits for warmAmplify's preparation, if one is running.
func (s *side) awaitWarm() {
	if s.warm != nil {
		<-s.warm
		s.warm = nil
	}
}

// finalLength applies the finite-key bound with the leak actually
// measured.
func (s *side) finalLength(est finitekey.Plan, n int) (int, error) {
	l, mu := s.keyLength(est, n, s.phaseBits, s.rep.PhaseQBER, float64(s.rep.LeakedEC))
	s.rep.Mu, s.rep.BoundBits = mu, l
	final := int(math.Floor(l))
	if s.cfg.KeyBits > 0 {
		final = s.cfg.KeyBits
	}
	if final < 1 || l < float64(final) {
		return 0, s.abort(ErrNotEnoughKey, est, n)
	}
	return final, nil
}

func (s *side) abort(reason error, est finitekey.Plan, n int) error {
	b := s.rep.BoundBits
	if math.IsInf(b, -1) {
		b = -1
	}
	ae := &AbortError{Reason: reason, QBER: s.rep.QBEREstimate, Threshold: s.cfg.Threshold,
		KeyBits: b, Requested: est.Want, N: n, Sample: est.Size(), Leak: s.rep.LeakedEC}
	if s.pulse != nil && reason == ErrNotEnoughKey {
		ae.Detail = s.pulse.detail
	}
	if !est.Symmetric && reason == ErrAbortedQBER {
		ae.Basis = Z.String()
		if s.rep.QBERX > s.rep.QBERZ {
			ae.Basis = X.String()
		}
	}
	return ae
}

// buildTrace assembles the disclosed first t qubits.
func buildTrace(t int, aBits, aBasis, bDet, bBasis, bRes []uint64) []TracedQubit {
	out := make([]TracedQubit, t)
	for i := range out {
		q := TracedQubit{Index: i, AliceBit: bitvec.Get(aBits, i), AliceBasis: Basis(bitvec.Get(aBasis, i)),
			Detected: bitvec.Get(bDet, i) == 1, BobBasis: Basis(bitvec.Get(bBasis, i)), BobBit: bitvec.Get(bRes, i)}
		q.BasesMatch = q.AliceBasis == q.BobBasis
		q.Kept = q.Detected && q.BasesMatch
		q.Error = q.Kept && q.AliceBit != q.BobBit
		out[i] = q
	}
	return out
}
