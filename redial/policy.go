package redial

import (
	"math"
	"time"
)

// Policy is an exponential back-off with jitter.
type Policy struct {
	Initial time.Duration // delay after the first failure (1 s)
	Max     time.Duration // longest delay (30 s)
	Factor  float64       // growth per failure (2)
	Jitter  float64       // each delay is scaled by a uniform factor in [1-Jitter, 1+Jitter] (0.2)
}

// DefaultPolicy retries after about 1, 2, 4, 8, 16 and then every 30
// seconds: a hospital back after a restart is found within half a minute.
var DefaultPolicy = Policy{Initial: time.Second, Max: 30 * time.Second, Factor: 2, Jitter: 0.2}

func (p Policy) withDefaults() Policy {
	if p.Initial <= 0 {
		p.Initial = DefaultPolicy.Initial
	}
	if p.Max <= 0 {
		p.Max = DefaultPolicy.Max
	}
	if p.Max < p.Initial {
		p.Max = p.Initial
	}
	if p.Factor < 1 {
		p.Factor = DefaultPolicy.Factor
	}
	if p.Jitter < 0 || p.Jitter >= 1 {
		p.Jitter = DefaultPolicy.Jitter
	}
	return p
}

// Delay is how long to wait before attempt number failures+1, given that
// many failures in a row; u is a uniform random number in [0, 1) that
// places the jitter. It never exceeds Max*(1+Jitter) and never goes below
// Initial*(1-Jitter).
func (p Policy) Delay(failures int, u float64) time.Duration {
	p = p.withDefaults()
	if failures < 1 {
		failures = 1
	}
	d := float64(p.Initial) * math.Pow(p.Factor, float64(failures-1))
	if d > float64(p.Max) || math.IsInf(d, 1) || math.IsNaN(d) {
		d = float64(p.Max)
	}
	if u < 0 {
		u = 0
	}
	if u >= 1 {
		u = math.Nextafter(1, 0)
	}
	d *= 1 - p.Jitter + 2*p.Jitter*u
	return time.Duration(d)
}
