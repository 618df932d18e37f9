package keyrate

import (
	"errors"
	"fmt"
	"math"
)

// MaxKm is the longest fibre the package evaluates; MaxDistance searches
// up to it.
const MaxKm = 1000

// e0 is the error rate of a background (dark) count: a fair coin.
const e0 = 0.5

// sifting is q, the fraction of detections kept by sifting in BB84 with
// symmetric bases.
const sifting = 0.5

// Setting is a source and the way its single-photon part is bounded.
type Setting int

const (
	// SinglePhoton is an ideal single-photon source.
	SinglePhoton Setting = iota
	// NoDecoy is a weak laser without decoy states, bounded by GLLP.
	NoDecoy
	// VacuumWeak is a laser with a vacuum and one weak decoy state (MQZL).
	VacuumWeak
	// InfiniteDecoy is a laser with infinitely many decoy states (LMC).
	InfiniteDecoy
)

// Settings returns every Setting, in the order tables list them.
func Settings() []Setting { return []Setting{SinglePhoton, NoDecoy, VacuumWeak, InfiniteDecoy} }

// Key is the setting's name in JSON.
func (s Setting) Key() string {
	switch s {
	case SinglePhoton:
		return "single_photon"
	case NoDecoy:
		return "no_decoy"
	case VacuumWeak:
		return "vacuum_weak"
	case InfiniteDecoy:
		return "infinite_decoy"
	}
	return fmt.Sprintf("setting(%d)", int(s))
}

// String is the setting's name for people.
func (s Setting) String() string {
	switch s {
	case SinglePhoton:
		return "single photon"
	case NoDecoy:
		return "no decoy (GLLP)"
	case VacuumWeak:
		return "vacuum+weak decoy"
	case InfiniteDecoy:
		return "infinite decoys"
	}
	return s.Key()
}

// Link is the fibre and Bob's detectors.
type Link struct {
	LossDBPerKm        float64 // fibre attenuation alpha, dB/km
	DetectorEfficiency float64 // eta_Bob: detector efficiency and Bob's internal loss, in (0,1]
	DarkCount          float64 // Y0: background-count probability per pulse, detector pair together, in [0,1)
	Misalignment       float64 // e_det: probability a photon hits the wrong detector, in [0,0.5]
	ECEfficiency       float64 // f: error-correction leak over the Shannon limit, >= 1
}

// GYS returns the parameters of the Gobby-Yuan-Shields experiment (APL 84,
// 3762 (2004)) as Lo, Ma and Chen use them (PRL 94, 230504 (2005)):
// 0.21 dB/km, eta_Bob 4.5%, Y0 1.7e-6, e_det 3.3%, f 1.22, at 1550 nm.
func GYS() Link {
	return Link{LossDBPerKm: 0.21, DetectorEfficiency: 0.045, DarkCount: 1.7e-6, Misalignment: 0.033, ECEfficiency: 1.22}
}

// ErrParam is wrapped by every error about a parameter out of range.
var ErrParam = errors.New("keyrate: parameter out of range")

// ParamError names a parameter out of its range.
type ParamError struct {
	Name  string  // the parameter, in words
	Value float64 // what was given
	Range string  // what is allowed, e.g. "(0,1]"
}

func (e *ParamError) Error() string {
	return fmt.Sprintf("keyrate: %s %v outside %s", e.Name, e.Value, e.Range)
}

func (e *ParamError) Unwrap() error { return ErrParam }

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// Validate reports the first parameter of l out of its range.
func (l Link) Validate() error {
	switch {
	case !(finite(l.LossDBPerKm) && l.LossDBPerKm >= 0):
		return &ParamError{"fibre loss (dB/km)", l.LossDBPerKm, "[0, inf)"}
	case !(l.DetectorEfficiency > 0 && l.DetectorEfficiency <= 1):
		return &ParamError{"detector efficiency", l.DetectorEfficiency, "(0,1]"}
	case !(l.DarkCount >= 0 && l.DarkCount < 1):
		return &ParamError{"dark-count probability", l.DarkCount, "[0,1)"}
	case !(l.Misalignment >= 0 && l.Misalignment <= 0.5):
		return &ParamError{"misalignment error", l.Misalignment, "[0,0.5]"}
	case !(finite(l.ECEfficiency) && l.ECEfficiency >= 1):
		return &ParamError{"error-correction efficiency f", l.ECEfficiency, "[1, inf)"}
	}
	return nil
}

// Transmittance is eta = eta_Bob 10^(-alpha km/10): the probability a
// photon sent into km of fibre is detected.
func (l Link) Transmittance(km float64) float64 {
	return l.DetectorEfficiency * math.Pow(10, -l.LossDBPerKm*km/10)
}

// Finite says how many pulses the parameters are estimated from.
//
// With Pulses = 0 the rate is asymptotic. Otherwise Alice sends Pulses
// pulses in all. Without decoys (SinglePhoton, NoDecoy) they are all
// signals. With VacuumWeak a fraction s of them are signals and the rest
// are split evenly between the vacuum and the weak decoy; s is optimised
// with mu and nu, and the rate counts every pulse sent, decoys included.
// InfiniteDecoy is an idealisation: its decoys cost nothing and tell Y1
// and e1 exactly, so only the fluctuation of the single-photon counts
// within the signals remains; it is the upper envelope of the decoy
// methods and reduces to LMC when Pulses = 0.
type Finite struct {
	Pulses  float64 // N, pulses sent; 0 for the asymptotic rate
	StdDevs float64 // u_alpha: standard deviations of the fluctuation (MQZL Sec. VI; SinglePhoton and InfiniteDecoy)
	// EpsSec and EpsCor are the secrecy and correctness of the composable
	// bound of NoDecoy and VacuumWeak (0: DefaultEps).
	EpsSec, EpsCor float64
}

// DefaultEps is eps_sec and eps_cor when Finite leaves them 0: qkd's
// default.
const DefaultEps = 1e-10

func (f Finite) eps() (sec, cor float64) {
	sec, cor = f.EpsSec, f.EpsCor
	if sec == 0 {
		sec = DefaultEps
	}
	if cor == 0 {
		cor = DefaultEps
	}
	return sec, cor
}

// Asymptotic is the infinitely-long-key limit.
func (f Finite) Asymptotic() bool { return f.Pulses == 0 }

// Validate reports a Finite out of range.
func (f Finite) Validate() error {
	switch {
	case !(f.Pulses == 0 || (finite(f.Pulses) && f.Pulses >= 1)):
		return &ParamError{"number of pulses", f.Pulses, "{0} ∪ [1, inf)"}
	case !(finite(f.StdDevs) && f.StdDevs >= 0):
		return &ParamError{"standard deviations", f.StdDevs, "[0, inf)"}
	case !(f.EpsSec >= 0 && f.EpsSec < 1):
		return &ParamError{"eps_sec", f.EpsSec, "[0, 1)"}
	case !(f.EpsCor >= 0 && f.EpsCor < 1):
		return &ParamError{"eps_cor", f.EpsCor, "[0, 1)"}
	}
	return nil
}

// fluctuate returns the worst case of a gain x (a probability per pulse)
// measured on n pulses, u standard deviations away: x + sign u sqrt(x/n),
// which is MQZL's x (1 ± u/sqrt(n x)). A lower bound is clamped at 0.
// With n = 0 (asymptotic) it returns x.
func fluctuate(x, n, u float64, sign int) float64 {
	if n == 0 || x <= 0 {
		return x
	}
	d := u * math.Sqrt(x/n)
	if sign < 0 {
		return math.Max(0, x-d)
	}
	return x + d
}

// h2 is the binary entropy, taken as 1 from 1/2 on (an error rate at or
// above 1/2 leaves no secrecy).
func h2(p float64) float64 {
	switch {
	case !(p > 0):
		return 0
	case p >= 0.5:
		return 1
	}
	return -p*math.Log2(p) - (1-p)*math.Log2(1-p)
}

// channel is the link at one distance.
type channel struct {
	eta, y0, ed, f float64
}

func (l Link) at(km float64) channel {
	return channel{eta: l.Transmittance(km), y0: l.DarkCount, ed: l.Misalignment, f: l.ECEfficiency}
}

// gain is Q_x = Y0 + 1 - e^(-eta x) (LMC Eq. 6).
func (c channel) gain(x float64) float64 { return c.y0 - math.Expm1(-c.eta*x) }

// errGain is E_x Q_x = e0 Y0 + e_det (1 - e^(-eta x)) (LMC Eq. 7).
func (c channel) errGain(x float64) float64 { return e0*c.y0 - c.ed*math.Expm1(-c.eta*x) }

// y1 is the single-photon yield Y1 = Y0 + eta (LMC Eq. 4).
func (c channel) y1() float64 { return c.y0 + c.eta }

// errY1 is e1 Y1 = e0 Y0 + e_det eta (LMC Eq. 8).
func (c channel) errY1() float64 { return e0*c.y0 + c.ed*c.eta }

// gllp is LMC Eq. 1: q {Q1 [1 - H2(e1)] - f Q_mu H2(E_mu)}, or -Inf when
// the single-photon gain bound is not positive.
func gllp(q1, e1, qmu, emu, f float64) float64 {
	if !(q1 > 0) || math.IsNaN(e1) {
		return math.Inf(-1)
	}
	return sifting * (q1*(1-h2(e1)) - f*qmu*h2(emu))
}

// Rate returns the key rate per pulse (negative when no key is possible,
// -Inf when the bound is undefined) of setting s at km with signal
// intensity mu, weak decoy nu and signal fraction sig (VacuumWeak only;
// the others ignore nu and sig, SinglePhoton also mu). It does not
// validate its arguments.
func Rate(l Link, s Setting, fin Finite, km, mu, nu, sig float64) float64 {
	c := l.at(km)
	n, u := fin.Pulses, fin.StdDevs
	switch s {
	case SinglePhoton:
		q1, eq1 := c.y1(), c.errY1()
		q1L := fluctuate(q1, n, u, -1)
		e1U := fluctuate(eq1, n, u, +1) / q1L
		return gllp(q1L, e1U, q1, eq1/q1, c.f)
	case InfiniteDecoy:
		p1 := mu * math.Exp(-mu)
		q1, eq1 := c.y1()*p1, c.errY1()*p1
		q1L := fluctuate(q1, n, u, -1)
		e1U := fluctuate(eq1, n, u, +1) / q1L
		qmu := c.gain(mu)
		return gllp(q1L, e1U, qmu, c.errGain(mu)/qmu, c.f)
	case NoDecoy:
		if n > 0 {
			return c.composableRate(fin, false, mu, 0, 1)
		}
		qmu, eqmu := c.gain(mu), c.errGain(mu)
		q1 := GLLPSingleGain(mu, fluctuate(qmu, n, u, -1))
		e1 := fluctuate(eqmu, n, u, +1) / q1
		return gllp(q1, e1, qmu, eqmu/qmu, c.f)
	case VacuumWeak:
		if !(nu > 0 && nu < mu) {
			return math.Inf(-1)
		}
		if n > 0 {
			if !(sig < 1) {
				return math.Inf(-1)
			}
			return c.composableRate(fin, true, mu, nu, sig)
		}
		qmu, eqmu := c.gain(mu), c.errGain(mu)
		y1L := Y1Lower(mu, nu, qmu, c.gain(nu), c.y0)
		e1U := E1Upper(nu, c.errGain(nu), c.y0, y1L)
		q1L := y1L * mu * math.Exp(-mu)
		return gllp(q1L, e1U, qmu, eqmu/qmu, c.f)
	}
	return math.Inf(-1)
}

// MultiPhoton is the probability 1 - (1+mu) e^(-mu) that a Poisson pulse
// of mean mu holds two photons or more.
func MultiPhoton(mu float64) float64 { return -math.Expm1(-mu) - mu*math.Exp(-mu) }

// GLLPSingleGain is GLLP's lower bound on the single-photon gain of a
// laser without decoys, Q1 >= Q_mu - p_multi(mu): the worst case, in which
// every multi-photon pulse was detected (and so could have been split).
func GLLPSingleGain(mu, qmu float64) float64 { return qmu - MultiPhoton(mu) }

// Y1Lower is MQZL Eq. 34, the vacuum+weak decoy lower bound on the
// single-photon yield from the signal gain qmu (intensity mu), the weak
// decoy's gain qnu (intensity nu, 0 < nu < mu) and the vacuum yield y0:
// Y1 >= mu/(mu nu - nu^2) [Q_nu e^nu - Q_mu e^mu nu^2/mu^2 -
// (mu^2-nu^2)/mu^2 Y0]. It is the same as Lim et al.'s Eq. 2 with
// mu3 = 0. For a finite run, pass qmu at its upper, qnu and y0 at their
// lower and upper fluctuation (see Rate).
func Y1Lower(mu, nu, qmu, qnu, y0 float64) float64 {
	return mu / (mu*nu - nu*nu) * (qnu*math.Exp(nu) - qmu*math.Exp(mu)*nu*nu/(mu*mu) - (mu*mu-nu*nu)/(mu*mu)*y0)
}

// E1Upper is MQZL Eq. 37, the upper bound on the single-photon error rate
// from the weak decoy's error gain eqnu = E_nu Q_nu, the vacuum yield y0
// and the lower bound y1 on Y1: e1 <= (E_nu Q_nu e^nu - e0 Y0)/(Y1 nu),
// e0 = 1/2. It is NaN or infinite when y1 is not positive.
func E1Upper(nu, eqnu, y0, y1 float64) float64 {
	return (eqnu*math.Exp(nu) - e0*y0) / (y1 * nu)
}

// Gain is the expected gain Q_x = Y0 + 1 - e^(-eta x) of intensity x at
// km (LMC Eq. 6), eta the transmittance including Bob's detector.
func (l Link) Gain(km, x float64) float64 { return l.at(km).gain(x) }

// ErrorGain is the expected error gain E_x Q_x = e0 Y0 + e_det (1 -
// e^(-eta x)) of intensity x at km (LMC Eq. 7).
func (l Link) ErrorGain(km, x float64) float64 { return l.at(km).errGain(x) }

// GLLP is the key rate per pulse of LMC Eq. 1 from a single-photon gain
// q1 with error rate e1 and a signal of gain qmu and error rate emu,
// corrected with efficiency f: q {Q1 [1 - H2(e1)] - f Q_mu H2(E_mu)}, or
// -Inf when q1 is not positive.
func GLLP(q1, e1, qmu, emu, f float64) float64 { return gllp(q1, e1, qmu, emu, f) }
