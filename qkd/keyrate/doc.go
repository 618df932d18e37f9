// Package keyrate computes the analytic secret-key rate per pulse of BB84
// over a lossy fibre, as a function of distance, for four sources: an ideal
// single-photon source, a weak laser without decoy states (GLLP), a laser
// with vacuum and weak decoy states, and a laser with infinitely many decoy
// states; asymptotically or with a finite number of pulses. It is pure
// arithmetic: no I/O, no randomness, no state.
//
// The formulas and their sources:
//
//   - Channel model, yields and error rates: Lo, Ma and Chen, "Decoy state
//     quantum key distribution", PRL 94, 230504 (2005), Eqs. 4-9 (LMC):
//     eta = eta_Bob 10^(-alpha l/10), Y_n = Y0 + 1-(1-eta)^n (their
//     approximation), Q_mu = Y0 + 1 - e^(-eta mu),
//     E_mu Q_mu = e0 Y0 + e_det (1 - e^(-eta mu)), e0 = 1/2,
//     Y1 = Y0 + eta, e1 = (e0 Y0 + e_det eta)/Y1, Q1 = Y1 mu e^(-mu).
//   - Key rate (GLLP with decoys, LMC Eq. 1):
//     R = q { -Q_mu f H2(E_mu) + Q1 [1 - H2(e1)] }, q = 1/2 (BB84 with
//     symmetric bases), f the error-correction efficiency.
//   - Infinitely many decoys: Q1 and e1 known exactly (LMC).
//   - No decoys: Gottesman, Lo, Lütkenhaus and Preskill, QIC 4, 325 (2004)
//     (GLLP): the multi-photon probability p_multi = 1 - (1+mu) e^(-mu),
//     Q1 >= Q_mu - p_multi, e1 <= E_mu Q_mu / Q1.
//   - Vacuum + weak decoy: Ma, Qi, Zhao and Lo, "Practical decoy state for
//     quantum key distribution", PRA 72, 012326 (2005) (MQZL), Eq. 34
//     (lower bound on Y1) and Eq. 37 (upper bound on e1), 0 < nu < mu:
//     Y1 >= mu/(mu nu - nu^2) [Q_nu e^nu - Q_mu e^mu nu^2/mu^2 -
//     (mu^2-nu^2)/mu^2 Y0], e1 <= (E_nu Q_nu e^nu - e0 Y0)/(Y1 nu).
//   - Single-photon source: Q1 = Y0 + eta, e1 as above,
//     R = q Q1 [1 - f H2(e1) - H2(e1)].
//   - Finite number of pulses N, NoDecoy and VacuumWeak: the composable
//     bound of a laser run (Observed.Bound, composable.go), on the counts
//     the link gives on average, with the sample size that maximises the
//     key: the same bound qkd/decoy applies to a simulated run. It follows
//     Lim, Curty, Walenta, Xu and Zbinden, "Concise security bounds for
//     practical decoy-state quantum key distribution", PRA 89, 022307
//     (2014): l = S1 (1 - h(phi1)) - leak_EC - 6 log2(21/eps_sec) -
//     log2(2/eps_cor), every failure probability eps_sec/21 (Budget).
//     The detections of each intensity are bounded by the Chernoff-
//     Hoeffding bound (MeanBound) as a share of all detections, and the
//     single-photon detections by their Eq. A5 with mu3 = 0 (= MQZL Eq.
//     34 in counts); the key's single photons follow by a binomial and a
//     hypergeometric bound (BinomialBound), their phase error from the
//     sample (plus Tomamichel et al.'s Serfling term) or, with symmetric
//     bases, from the weak decoy's single photons. Vacuum contributions
//     s0 are not credited. SinglePhoton and InfiniteDecoy keep MQZL's
//     Gaussian approximation (Sec. VI): every gain measured on N_x pulses
//     moves u_alpha standard deviations, Q -> Q (1 ± u_alpha /
//     sqrt(N_x Q)), in the direction that lowers the bound; qkdchat
//     keyrate uses u_alpha = 10 unless told otherwise. See Finite for how
//     the pulses are shared among intensities.
//
// Mu (and nu, and the signal fraction in the finite case) are optimised
// numerically at each distance to maximise the rate.
package keyrate
