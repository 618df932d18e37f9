// Package finitekey holds the finite-key bounds of a BB84 run: how many
// secret bits a raw key of n bits yields after k sample bits were disclosed
// and leak_EC bits of error correction, and the sample size that
// maximises it.
//
// The analysis follows Tomamichel, Lim, Gisin and Renner, "Tight
// finite-key analysis for quantum cryptography", Nat. Commun. 3:634 (2012).
// Of the sifted bits, k are disclosed to estimate the phase error and n
// others form the raw key (which bits, for symmetric and for biased bases,
// is the qkd package's sample plan). With probability at least
// 1-eps_sec² the phase-error rate of the key is below the sample's error
// rate plus
//
//	mu = sqrt((n+k)/(n k) · (k+1)/k · ln(2/eps_sec))
//
// (their Eq. 2, a Serfling bound for sampling without replacement), and an
// eps_sec-secret, eps_cor-correct key of
//
//	l = n (1 - h(Q + mu)) - leak_EC - log2(2/(eps_sec² eps_cor))
//
// bits can be extracted. Q is the tolerated QBER. Like most
// implementations we take Q to be the sample's error rate; the abort
// threshold (11% by default) bounds it from above.
//
// Sample-size rule (symmetric bases, BestSample): the sample is as large
// as maximises l. A bigger sample
// shrinks mu but leaves fewer key bits; l(k) is unimodal, so we search k
// for its maximum, predicting leak_EC as DesignEfficiency(n)·n·h(Q) + 104 at
// the design QBER. The optimum is flat (±20% in k changes l by a few bits),
// so an imprecise design QBER costs little.
package finitekey
