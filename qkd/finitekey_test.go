package qkd

import (
	"qkdchat/qkd/finitekey"
	"testing"
)

// mixedKeyFraction is the key fraction of the estimate used before
// protocol version 2 at every bias: one random sample from the sifted
// pool of both bases, as large as maximises l. It is valid only at z-bias
// 0.5.
func mixedKeyFraction(d int, q float64, c Protocol) float64 {
	c = c.withDefaults()
	_, l := finitekey.BestSample(int(float64(d)*siftRatio(c.ZBias)), q, c.EpsSec, c.EpsCor)
	return l / float64(d)
}

// tlgrKeyFraction is the finite-key rate of the asymmetric protocol of
// Tomamichel, Lim, Gisin and Renner (Nat. Commun. 3:634 (2012)) per
// detected photon: n = d pz² key bits, k = d px² test bits, leak_EC =
// 1.1 n h(Q).
func tlgrKeyFraction(d int, pz, q, eps float64) float64 {
	n, k := int(float64(d)*pz*pz), int(float64(d)*(1-pz)*(1-pz))
	l, _ := finitekey.KeyLength(n, k, q, 1.1*float64(n)*finitekey.BinaryEntropy(q), eps, eps)
	return l / float64(d)
}

// TestKeyFractionTable: the key fraction for 1e6 detected photons at Q = 1%
// and eps = 1e-10. At z-bias 0.5 it is what it was before the estimate
// was split by basis; at a bias it is near (and never above) the
// Tomamichel et al. figure for the asymmetric protocol, and every figure
// is below the asymptotic bound with error correction at the Shannon
// limit.
func TestKeyFractionTable(t *testing.T) {
	const d, q, eps = 1_000_000, 0.01, 1e-10
	for _, tc := range []struct {
		zBias    float64
		min, max float64
	}{
		{0.5, 0.31, 0.33},
		{0.7, 0.33, 0.37},
		{0.8, 0.42, 0.45},
		{0.9, 0.465, 0.48},
		{0.1, 0.465, 0.48}, // X is the key basis
		{0.95, 0.36, 0.40},
	} {
		p := Protocol{ZBias: tc.zBias, EpsSec: eps, EpsCor: eps}
		f := PlannedKeyFraction(d, q, p)
		mixed := mixedKeyFraction(d, q, p)
		pk := max(tc.zBias, 1-tc.zBias)
		asymptotic := pk * pk * (1 - 2*finitekey.BinaryEntropy(q))
		if finitekey.Symmetric(tc.zBias) {
			asymptotic = siftRatio(tc.zBias) * (1 - 2*finitekey.BinaryEntropy(q))
		}
		t.Logf("z-bias %.2f: key fraction %.4f (mixed sample %.4f, TLGR %.4f, asymptotic %.4f)",
			tc.zBias, f, mixed, tlgrKeyFraction(d, pk, q, eps), asymptotic)
		if f < tc.min || f > tc.max {
			t.Errorf("z-bias %.2f: key fraction %.4f outside [%.3f, %.3f]", tc.zBias, f, tc.min, tc.max)
		}
		if f >= asymptotic {
			t.Errorf("z-bias %.2f: key fraction %.4f not below the asymptotic bound %.4f", tc.zBias, f, asymptotic)
		}
		if finitekey.Symmetric(tc.zBias) {
			if f != mixed {
				t.Errorf("z-bias 0.5: key fraction %.4f, was %.4f", f, mixed)
			}
			continue
		}
		if tl := tlgrKeyFraction(d, pk, q, eps); f > tl || f < tl-0.01 {
			t.Errorf("z-bias %.2f: key fraction %.4f, TLGR asymmetric protocol %.4f", tc.zBias, f, tl)
		}
		if f >= mixed {
			t.Errorf("z-bias %.2f: key fraction %.4f not below the invalid mixed-sample figure %.4f", tc.zBias, f, mixed)
		}
	}
	if f := PlannedKeyFraction(d, 0.12, Protocol{ZBias: 0.9}); f > 0 {
		t.Errorf("key fraction %.4f at 12%% QBER", f)
	}
}

// TestRequiredQubitsBiased: the asymmetric protocol needs more photons
// for a short key, since only the few test-basis bits estimate the phase
// error.
func TestRequiredQubitsBiased(t *testing.T) {
	sym, err := RequiredQubits(Protocol{KeyBits: 256})
	if err != nil {
		t.Fatal(err)
	}
	asym, err := RequiredQubits(Protocol{KeyBits: 256, ZBias: 0.9})
	if err != nil {
		t.Fatal(err)
	}
	nominal, _ := requiredQubits(Protocol{KeyBits: 256, ZBias: 0.9}, false)
	t.Logf("256-bit key: %d qubits at z-bias 0.5, %d (nominal %d) at 0.9", sym, asym, nominal)
	if asym <= sym || nominal >= asym {
		t.Fatalf("z-bias 0.9 plans %d qubits (nominal %d), z-bias 0.5 %d", asym, nominal, sym)
	}
}
