// Package decoy bounds the single-photon part of a BB84 run on a laser
// source from what Alice and Bob measure, and turns it into a key length.
// It is the measured counterpart of qkd/keyrate, whose formulas it calls
// (one implementation of each bound): keyrate computes them from a channel
// model, decoy from counts.
//
// Alice's laser sends Poisson pulses; a pulse of two photons or more can
// be split by Eve (photon-number splitting) without any error, so only the
// key bits from single-photon pulses are secret. The parties measure, per
// intensity x (signal mu, weak decoy nu, vacuum): the gain Q_x (Bob's
// detections per pulse sent) and, for the signal and the weak decoy, the
// error rate E_x of disclosed sifted bits. Then:
//
//   - Vacuum+weak decoys: Y1 >= keyrate.Y1Lower(mu, nu, Q_mu, Q_nu, Y0)
//     (Ma, Qi, Zhao and Lo, PRA 72, 012326 (2005), Eq. 34),
//     e1 <= keyrate.E1Upper(nu, E_nu Q_nu, Y0, Y1) (their Eq. 37),
//     Q1 = Y1 mu e^-mu.
//   - No decoys (GLLP: Gottesman, Lo, Lütkenhaus and Preskill, QIC 4, 325
//     (2004)): Q1 >= Q_mu - p_multi(mu), the worst case in which every
//     multi-photon pulse was detected; e1 <= E_mu Q_mu / Q1.
//   - Single-photon source, or a laser run with AssumeSingle (UNSAFE,
//     for demonstration): every detection counts as a single photon.
//
// The share of the signal's detections that came from single photons is
// then at least Delta1 = Q1/Q_mu, and the phase-error rate of those bits
// at most e1; it is also at most (Q + mu_s)/Delta1, the signal sample's
// bound (Q its phase QBER, mu_s the Serfling term of qkd/finitekey)
// attributed to single photons alone, and the smaller bound is used. Of n
// key bits, n1 = n Delta1 are single-photon ones, and
//
//	l = n1 (1 - h(e1)) - leak_EC - log2(2/(eps_sec² eps_cor))
//
// (GLLP's formula, LMC Eq. 1, with the finite-key terms of Tomamichel et
// al. as qkd/finitekey uses them; multi-photon and vacuum bits count as
// known to Eve, which is conservative).
//
// Finite size: following Lim, Curty, Walenta, Xu and Zbinden, PRA 89,
// 022307 (2014), each intensity's detections are its share of all n
// detections, and the expected share is bounded from the observed one
// with failure probability eps_sec/21, in the direction that weakens the
// bound. Where Lim et al. use Hoeffding's delta = sqrt(n/2 ln(21/eps_sec))
// (their Eq. 3), we use the Chernoff-Hoeffding bound in relative-entropy
// form (Chernoff): valid for the same independent, not identically
// distributed trials, never looser, and far tighter for the rare vacuum
// detections, where Hoeffding's delta alone exceeds the count. The weak
// decoy's error count gets the same treatment, and the single-photon phase
// error the Serfling term mu(n1, k1) of qkd/finitekey, k1 the
// single-photon bits among the disclosed weak-decoy bits. With mu3 = 0 (a
// vacuum decoy), Lim et al.'s Eq. 2 is MQZL's Eq. 34 in counts, so the
// bound is theirs with two simplifications, both conservative or equal:
// the vacuum events s0 are not credited, and e1 comes from MQZL Eq. 37 on
// the weak decoy (all bases) rather than from the X-basis decoy counts.
// It is not a complete composable proof: the failure probabilities of the
// estimates (each eps_sec/21) are not added into eps_sec, and afterpulses
// and dead time, which correlate detections, are outside its model. The
// asymptotic version drops every fluctuation.
package decoy
