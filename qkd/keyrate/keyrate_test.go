package keyrate

import (
	"errors"
	"math"
	"testing"
)

// TestGYSMaxDistanceMatchesLoMaChen reproduces the published maximum
// distances for the Gobby-Yuan-Shields parameters: about 142 km with
// infinitely many decoys and about 40 km without decoys (GLLP, mu
// optimised), Lo, Ma and Chen, PRL 94, 230504 (2005), Fig. 1.
func TestGYSMaxDistanceMatchesLoMaChen(t *testing.T) {
	m := Model{Link: GYS()}
	for _, tc := range []struct {
		s    Setting
		want float64
	}{
		{InfiniteDecoy, 142},
		{NoDecoy, 40},
	} {
		got, beyond := m.MaxDistance(tc.s)
		t.Logf("%v: max distance %.2f km (published %v)", tc.s, got, tc.want)
		if beyond || math.Abs(got-tc.want) > 3 {
			t.Errorf("%v: max distance %.2f km (beyond %v), want %v ± 3", tc.s, got, beyond, tc.want)
		}
	}
}

// TestVacuumWeakJustUnderInfinite: the vacuum+weak decoy bounds of Ma, Qi,
// Zhao and Lo (nu optimised) give a rate below the infinite-decoy one at
// every distance, within a few per cent of it until the last km, and a
// maximum distance within 3 km of it.
func TestVacuumWeakJustUnderInfinite(t *testing.T) {
	m := Model{Link: GYS()}
	inf, _ := m.MaxDistance(InfiniteDecoy)
	vw, _ := m.MaxDistance(VacuumWeak)
	t.Logf("max distance: vacuum+weak %.2f km, infinite %.2f km", vw, inf)
	if !(vw <= inf && vw > inf-3) {
		t.Errorf("vacuum+weak reaches %.2f km, infinite decoys %.2f km: want just under", vw, inf)
	}
	for km := 0.0; km < vw; km += 5 {
		a, b := m.Best(VacuumWeak, km).Rate, m.Best(InfiniteDecoy, km).Rate
		if !(a > 0 && a <= b) {
			t.Fatalf("%v km: vacuum+weak %g, infinite %g", km, a, b)
		}
		if km <= 120 && a < 0.97*b {
			t.Errorf("%v km: vacuum+weak %g is %.3f of infinite %g", km, a, a/b, b)
		}
	}
}

// TestSettingsOrdered: a single-photon source beats any laser, infinitely
// many decoys beat two, and two beat none, at every distance.
// Under -race or -short the finite case tries every 45 km, not every 15.
func TestSettingsOrdered(t *testing.T) {
	for _, fin := range []Finite{{}, {Pulses: 1e10, StdDevs: 10}} {
		m := Model{Link: GYS(), Finite: fin}
		step := 15.0
		if fin.Pulses > 0 && (raceEnabled || testing.Short()) {
			step = 45
		}
		for km := 0.0; km <= 180; km += step {
			var r []float64
			for _, s := range []Setting{SinglePhoton, InfiniteDecoy, VacuumWeak, NoDecoy} {
				r = append(r, m.Best(s, km).Rate)
			}
			for i := 1; i < len(r); i++ {
				if r[i] > r[i-1] {
					t.Fatalf("N=%g, %v km: rates single/infinite/vacuum+weak/none %v not ordered", fin.Pulses, km, r)
				}
			}
		}
	}
}

// TestNoiselessClosedForms checks the formulas and the optimiser against
// closed forms on a noiseless link (Y0 = 0, e_det = 0): a single-photon
// source gives q eta, infinitely many decoys q eta mu e^-mu, maximal at
// mu = 1; GLLP gives q [(1+mu) e^-mu - e^-(eta mu)].
func TestNoiselessClosedForms(t *testing.T) {
	l := Link{LossDBPerKm: 0.2, DetectorEfficiency: 0.5, ECEfficiency: 1.2}
	m := Model{Link: l}
	for _, km := range []float64{0, 25, 100} {
		eta := l.Transmittance(km)
		if got, want := m.Best(SinglePhoton, km).Rate, eta/2; math.Abs(got-want) > 1e-12*want {
			t.Errorf("%v km single photon: %g, want %g", km, got, want)
		}
		p := m.Best(InfiniteDecoy, km)
		if want := eta / 2 / math.E; math.Abs(p.Rate-want) > 1e-9*want || math.Abs(p.Mu-1) > 1e-3 {
			t.Errorf("%v km infinite decoys: rate %g mu %g, want %g at mu 1", km, p.Rate, p.Mu, want)
		}
		for _, mu := range []float64{eta / 10, eta / 2} {
			want := 0.5 * ((1+mu)*math.Exp(-mu) - math.Exp(-eta*mu))
			if got := Rate(l, NoDecoy, Finite{}, km, mu, 0, 1); math.Abs(got-want) > 1e-9*math.Abs(want) {
				t.Errorf("%v km GLLP mu %g: %g, want %g", km, mu, got, want)
			}
		}
	}
	// Without dark counts, loss alone never stops a single-photon source.
	if km, beyond := m.MaxDistance(SinglePhoton); !beyond || km != MaxKm {
		t.Errorf("noiseless single photon: max %v km, beyond %v", km, beyond)
	}
}

// TestMaxDistanceIsTheEdge: the rate is positive just before the maximum
// distance and zero just after it, and the optimal parameters are zeroed
// with it.
func TestMaxDistanceIsTheEdge(t *testing.T) {
	m := Model{Link: GYS()}
	for _, s := range Settings() {
		d, _ := m.MaxDistance(s)
		before, after := m.Best(s, d-0.01), m.Best(s, d+0.01)
		if !(before.Rate > 0) || after != (Point{}) {
			t.Errorf("%v at %.3f km: before %+v, after %+v", s, d, before, after)
		}
	}
}

// TestFiniteConvergesToAsymptotic: with the fluctuations of MQZL Sec. VI
// the finite rate is below the asymptotic one, grows with the number of
// pulses, and comes within 1% of it at N = 1e16; the maximum distance
// shrinks for small N.
func TestFiniteConvergesToAsymptotic(t *testing.T) {
	asym := Model{Link: GYS()}
	for _, s := range Settings() {
		km := 30.0
		r0 := asym.Best(s, km).Rate
		prev := 0.0
		for _, n := range []float64{1e9, 1e11, 1e13, 1e16} {
			r := Model{Link: GYS(), Finite: Finite{Pulses: n, StdDevs: 10}}.Best(s, km).Rate
			if !(r >= prev && r <= r0) {
				t.Fatalf("%v at %v km: N=%g rate %g, previous %g, asymptotic %g", s, km, n, r, prev, r0)
			}
			prev = r
		}
		if prev < 0.99*r0 {
			t.Errorf("%v at %v km: N=1e16 rate %g, asymptotic %g", s, km, prev, r0)
		}
	}
	for _, s := range []Setting{SinglePhoton, NoDecoy, InfiniteDecoy} {
		checkFiniteReach(t, s, []float64{1e8, 1e11, 1e14})
	}
}

// TestFiniteVacuumWeakReach is the reach part of
// TestFiniteConvergesToAsymptotic for vacuum+weak decoys, whose search
// over mu, nu, the decoy fraction and the sample (the composable bound)
// is the slow one. Under -race or -short it checks the rates at 100 km
// instead of the maximum distances: none at 1e8 pulses, some at 1e14,
// below the asymptotic rate; `go test -run TestFiniteVacuumWeakReach
// ./qkd/keyrate/` finds the maximum distances for three pulse counts.
func TestFiniteVacuumWeakReach(t *testing.T) {
	if raceEnabled || testing.Short() {
		const km = 100
		asym := Model{Link: GYS()}.Best(VacuumWeak, km).Rate
		r8 := Model{Link: GYS(), Finite: Finite{Pulses: 1e8}}.Best(VacuumWeak, km).Rate
		r14 := Model{Link: GYS(), Finite: Finite{Pulses: 1e14}}.Best(VacuumWeak, km).Rate
		if !(r8 == 0 && r14 > 0 && r14 <= asym) {
			t.Errorf("at %v km: rate %g at 1e8 pulses, %g at 1e14, %g asymptotically", km, r8, r14, asym)
		}
		return
	}
	checkFiniteReach(t, VacuumWeak, []float64{1e8, 1e11, 1e14})
}

// checkFiniteReach: the maximum distance grows with the number of pulses
// ns (ascending, from 1e8), stays within the asymptotic one, and is
// clearly shorter at 1e8 pulses.
func checkFiniteReach(t *testing.T, s Setting, ns []float64) {
	t.Helper()
	dAsym, _ := Model{Link: GYS()}.MaxDistance(s)
	prev := 0.0
	for _, n := range ns {
		d, _ := Model{Link: GYS(), Finite: Finite{Pulses: n, StdDevs: 10}}.MaxDistance(s)
		t.Logf("%v: N=%g max %.2f km (asymptotic %.2f)", s, n, d, dAsym)
		if !(d >= prev && d <= dAsym) {
			t.Fatalf("%v: N=%g max %.2f km, previous %.2f, asymptotic %.2f", s, n, d, prev, dAsym)
		}
		if n == 1e8 && d > dAsym-5 {
			t.Errorf("%v: N=1e8 reaches %.2f km, asymptotic %.2f: want clearly shorter", s, d, dAsym)
		}
		prev = d
	}
}

// TestZeroStdDevsIsAsymptotic: with no fluctuation the Gaussian finite
// formulas (SinglePhoton, InfiniteDecoy) are the asymptotic ones.
// NoDecoy and VacuumWeak use the composable bound, which has no u_alpha.
func TestZeroStdDevsIsAsymptotic(t *testing.T) {
	for _, s := range []Setting{SinglePhoton, InfiniteDecoy} {
		a := Model{Link: GYS()}.Best(s, 60)
		f := Model{Link: GYS(), Finite: Finite{Pulses: 1e6, StdDevs: 0}}.Best(s, 60)
		if math.Abs(a.Rate-f.Rate) > 1e-12*a.Rate {
			t.Errorf("%v: asymptotic %g, N=1e6 u=0 %g", s, a.Rate, f.Rate)
		}
	}
}

func TestValidate(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	ok := Model{Link: GYS()}
	for _, tc := range []struct {
		name string
		mod  func(*Model)
		bad  bool
	}{
		{"gys", func(*Model) {}, false},
		{"finite", func(m *Model) { m.Pulses, m.StdDevs = 1e10, 5 }, false},
		{"fixed nu", func(m *Model) { m.Nu = 0.1 }, false},
		{"no loss", func(m *Model) { m.LossDBPerKm = 0 }, false},
		{"negative loss", func(m *Model) { m.LossDBPerKm = -0.2 }, true},
		{"infinite loss", func(m *Model) { m.LossDBPerKm = inf }, true},
		{"NaN loss", func(m *Model) { m.LossDBPerKm = nan }, true},
		{"zero efficiency", func(m *Model) { m.DetectorEfficiency = 0 }, true},
		{"efficiency above 1", func(m *Model) { m.DetectorEfficiency = 1.01 }, true},
		{"NaN efficiency", func(m *Model) { m.DetectorEfficiency = nan }, true},
		{"negative dark count", func(m *Model) { m.DarkCount = -1e-6 }, true},
		{"dark count 1", func(m *Model) { m.DarkCount = 1 }, true},
		{"misalignment above 1/2", func(m *Model) { m.Misalignment = 0.51 }, true},
		{"negative misalignment", func(m *Model) { m.Misalignment = -0.01 }, true},
		{"f below 1", func(m *Model) { m.ECEfficiency = 0.9 }, true},
		{"f NaN", func(m *Model) { m.ECEfficiency = nan }, true},
		{"pulses below 1", func(m *Model) { m.Pulses = 0.5 }, true},
		{"negative pulses", func(m *Model) { m.Pulses = -1 }, true},
		{"infinite pulses", func(m *Model) { m.Pulses = inf }, true},
		{"negative std devs", func(m *Model) { m.StdDevs = -1 }, true},
		{"negative nu", func(m *Model) { m.Nu = -0.1 }, true},
		{"nu too large", func(m *Model) { m.Nu = 2 }, true},
		{"NaN nu", func(m *Model) { m.Nu = nan }, true},
	} {
		m := ok
		tc.mod(&m)
		err := m.Validate()
		var pe *ParamError
		if tc.bad != (err != nil) || (err != nil && (!errors.Is(err, ErrParam) || !errors.As(err, &pe))) {
			t.Errorf("%s: Validate() = %v", tc.name, err)
		}
	}
}

func TestSettingNamesDistinct(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range Settings() {
		if seen[s.Key()] || seen[s.String()] {
			t.Fatalf("duplicate name for %d", s)
		}
		seen[s.Key()], seen[s.String()] = true, true
	}
}
