package qkd

import (
	"math"
	"testing"
)

// TestIntrinsicQBERNeverSeesEve: the calibration figure parties may plan
// for is the devices' own error; an eavesdropper on the channel must not
// change it, whatever her fraction or basis.
func TestIntrinsicQBERNeverSeesEve(t *testing.T) {
	for _, c := range []struct {
		ch   Channel
		want float64
	}{
		{Channel{}, 0},
		{Channel{Noise: 0.05}, 0.05},
		{Channel{Noise: 0.05, FiberKm: 50, DetectorEfficiency: 0.2}, 0.05},
		// Dark counts are right half the time: they pull the QBER of the
		// clicks towards 1/2.
		{Channel{Noise: 0.01, FiberKm: 100, DetectorEfficiency: 0.1, DarkCount: 1e-3}, -1},
	} {
		base := c.ch.IntrinsicQBER()
		if c.want >= 0 && math.Abs(base-c.want) > 1e-12 {
			t.Errorf("%+v: intrinsic QBER %v, want %v", c.ch, base, c.want)
		}
		if c.want < 0 && !(base > c.ch.Noise) {
			t.Errorf("%+v: intrinsic QBER %v does not count the dark counts", c.ch, base)
		}
		for _, eve := range []float64{0.3, 1} {
			for _, eb := range []EveBasis{EveRandom, EveZ, EveX} {
				ch := c.ch
				ch.Eve, ch.EveBasis = eve, eb
				if got := ch.IntrinsicQBER(); got != base {
					t.Errorf("%+v: intrinsic QBER %v with Eve, %v without", ch, got, base)
				}
				if _, withEve := ch.withDefaults().detection(); !(withEve > base) {
					t.Errorf("%+v: the channel's QBER %v does not show Eve, the test proves nothing", ch, withEve)
				}
			}
		}
	}
}
