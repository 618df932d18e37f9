package qkd

import (
	"qkdchat/qkd/channel"
	"qkdchat/qkd/decoy"
	"qkdchat/qkd/finitekey"
	"qkdchat/qkd/keyrate"
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

// keyLength is the finite-key bound of the run: finitekey's for the
// single-photon model, and from the single-photon part (qkd/decoy) on the
// pulse model, where it also fills the report's bounds. n key bits were
// drawn by plan est; k bits, at error rate q, estimate their phase error.
func (s *side) keyLength(est finitekey.Plan, n, k int, q, leak float64) (l, mu float64) {
	eps, epsCor := s.cfg.EpsSec, s.cfg.EpsCor
	if s.pulse == nil {
		return finitekey.KeyLength(n, k, q, leak, eps, epsCor)
	}
	mu = finitekey.Mu(n, k, eps)
	c := s.pulse.counts
	c.Disclosed[channel.Signal], c.Errors[channel.Signal] = s.rep.SampleSize, s.rep.SampleErrors
	smp := decoy.Sample{Key: n, Removed: est.K, ZBias: s.cfg.ZBias, PhaseBits: k, PhaseQBER: q}
	b := decoy.Estimate(s.pulse.src, c, smp, eps)
	l = decoy.KeyLength(b.Finite, n, leak, eps, epsCor)
	if b.Finite.Composable {
		e := b.Finite.Budget.Eps(keyrate.TermPhaseError)
		mu = keyrate.Serfling(float64(n), float64(k), e*e)
	}
	s.rep.Report.Fill(s.pulse.src, c, b, decoy.KeyLength(b.Asymptotic, n, leak, eps, epsCor))
	s.pulse.detail = s.rep.Verdict
	return l, mu
}
