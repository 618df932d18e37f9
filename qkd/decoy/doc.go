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
// Asymptotically the share of the signal's detections that came from
// single photons is at least Delta1 = Q1/Q_mu, and the phase-error rate of
// those bits at most e1, or (Q its phase QBER) Q/Delta1; of n key bits,
// n1 = n Delta1 are single-photon ones, and the report's asymptotic key
// length is n1 (1 - h(e1)) - leak_EC - log2(2/(eps_sec² eps_cor)).
//
// Finite size: the key length of a laser run is the composable bound of
// qkd/keyrate (Observed.Bound), after Lim, Curty, Walenta, Xu and
// Zbinden, "Concise security bounds for practical decoy-state QKD", PRA
// 89, 022307 (2014), Eq. 1 without the vacuum term:
//
//	l = s1 (1 - h(phi1)) - leak_EC - 6 log2(21/eps_sec) - log2(2/eps_cor)
//
// s1 is a lower bound on the key's single-photon bits: each intensity's
// detections are bounded as a share of all detections by the
// Chernoff-Hoeffding bound (Chernoff), the single-photon detections by
// their Eq. A5 with mu3 = 0 (MQZL Eq. 34 in counts, with the announced
// probabilities of the intensities), and the key's share of them by a
// binomial bound (each single photon is a signal, and sifted into the
// key's pool, independently: Eve cannot tell its intensity or basis) and
// a hypergeometric one (the sample is drawn at random from the pool).
// phi1 bounds their phase-error rate: the key's phase errors (the
// sample's rate plus Tomamichel et al.'s Serfling term) all attributed
// to single photons, or, with symmetric bases, the weak decoy's
// single-photon error rate (its errors less a lower bound on those of
// empty pulses, a fair coin, over a lower bound on its single photons)
// plus the Serfling term between those and the key's. Every estimate fails
// with probability eps_sec/21, and Bound.Budget lists them with their
// weights in eps_sec (Lim et al. Eq. B4); they add up to at most eps_sec.
// Vacuum events s0 are not credited (a valid lower bound, s0 >= 0; it
// would need one more estimate for a few percent more key at 100 km on
// the GYS link). Afterpulses
// and dead time, which correlate detections, are outside the model, as
// is a detector whose efficiency depends on Bob's basis.
package decoy
