package qkd

import (
	"context"
	"math/rand/v2"
	"qkdchat/qkd/bitvec"
	"qkdchat/qkd/channel"
	"qkdchat/qkd/finitekey"
	"qkdchat/qkd/sifting"
	"qkdchat/qkd/toeplitz"
	"testing"
)

// The phases of one run at 1e6 qubits and 2% noise, each timed alone on
// fixed inputs (go test -run X -bench 'Sift|Estimate|Reconcile|Verify|Amplify|SimulateAbort' ./qkd/).
// Sift and Estimate have a /reference variant: the code they replaced.

// benchPlanes are both parties' planes after transmission.
type benchPlanes struct {
	n                        int
	value, aBasis            []uint64
	detected, bBasis, result []uint64
	protocol                 Protocol
}

func newBenchPlanes(n int, noise float64) *benchPlanes {
	r := rand.New(rand.NewChaCha8([32]byte{9}))
	c := Config{Channel: Channel{Noise: noise}}.withDefaults()
	p := &benchPlanes{n: n, detected: make([]uint64, bitvec.Words(n)), bBasis: make([]uint64, bitvec.Words(n)), result: make([]uint64, bitvec.Words(n))}
	p.value, p.aBasis = channel.SinglePhotons(r, n, channel.ToFixed(0.5))
	ch := channel.Fibre{Flip: channel.ToFixed(c.Noise), Transmit: channel.FixedOne}
	det := channel.Detector{Efficiency: channel.FixedOne, PX: channel.ToFixed(0.5)}
	for off := 0; off < n; off += MaxFramePhotons {
		cnt := min(MaxFramePhotons, n-off)
		f := &PhotonFrame{Start: uint64(off), Count: cnt, Basis: bitvec.Extract(p.aBasis, off, cnt),
			Value: bitvec.Extract(p.value, off, cnt), Present: make([]uint64, bitvec.Words(cnt))}
		for i := range f.Present {
			f.Present[i] = bitvec.LowMask(cnt - 64*i)
		}
		ch.Apply(f.frame(), r)
		det.Measure(f.frame(), r, off, p.detected, p.bBasis, p.result)
	}
	p.protocol = Protocol{Qubits: n, ZBias: 0.5}.withDefaults()
	return p
}

func (p *benchPlanes) sift(pipe pipeline, alice bool) sifting.Key {
	own, ob := p.result, p.bBasis
	if alice {
		own, ob = p.value, p.aBasis
	}
	if pipe == pipelineReference {
		return sifting.NewReference(p.detected, p.aBasis, p.bBasis, own, ob, p.n, 0)
	}
	return sifting.NewPacked(p.detected, p.aBasis, p.bBasis, own, ob, p.n, 0)
}

var benchPipes = []struct {
	name string
	pipe pipeline
}{{"packed", pipelinePacked}, {"reference", pipelineReference}}

func BenchmarkSift(b *testing.B) {
	p := newBenchPlanes(1_000_000, 0.02)
	for _, bp := range benchPipes {
		b.Run(bp.name, func(b *testing.B) {
			for b.Loop() {
				p.sift(bp.pipe, true)
			}
		})
	}
}

// BenchmarkEstimate times one side's estimation: the sample plan, the
// disclosed bits, the error counts and the raw key.
func BenchmarkEstimate(b *testing.B) {
	p := newBenchPlanes(1_000_000, 0.02)
	for _, bp := range benchPipes {
		b.Run(bp.name, func(b *testing.B) {
			sa, sb := p.sift(bp.pipe, true), p.sift(bp.pipe, false)
			est := planSample(sa.PoolLen(), sa.CountBasis(Z), p.protocol)
			for b.Loop() {
				aBits := sa.Disclose([32]byte{1}, est)
				bBits := sb.Disclose([32]byte{1}, est)
				e := sa.SampleErrors(aBits, bBits)
				if e.Bits[Z]+e.Bits[X] != est.Size() {
					b.Fatalf("sample of %d bits, want %d", e.Bits[Z]+e.Bits[X], est.Size())
				}
				sa.Record()
				sa.RawKey()
			}
		})
	}
}

// BenchmarkReconcile runs Cascade on a 1e5-bit key at 2% over the pipe.
func BenchmarkReconcile(b *testing.B) { benchCascade(b, 100000, 0.02) }

// benchKey is a reconciled key of the size a 1e6-qubit run at 2% gives.
func benchKey() ([]uint64, int) {
	const n = 460000
	return bitvec.Random(rand.New(rand.NewChaCha8([32]byte{5})), n), n
}

func BenchmarkVerify(b *testing.B) {
	key, n := benchKey()
	r := rand.New(rand.NewChaCha8([32]byte{6}))
	for b.Loop() {
		if _, err := toeplitz.Hash(bitvec.Random(r, n+finitekey.VerifyTagBits-1), key, n, finitekey.VerifyTagBits); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAmplify(b *testing.B) {
	key, n := benchKey()
	r := rand.New(rand.NewChaCha8([32]byte{7}))
	final := 266000
	for b.Loop() {
		if _, err := toeplitz.Hash(bitvec.Random(r, n+final-1), key, n, final); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSimulateAbort is the whole run, both parties, to the QBER abort
// an intercept-resend on every photon causes; Mqubit/s is qubits sent per
// second of it.
func BenchmarkSimulateAbort(b *testing.B) {
	const n = 8_000_000
	for _, bp := range benchPipes {
		b.Run(bp.name, func(b *testing.B) {
			i := uint64(0)
			for b.Loop() {
				i++
				_, err := simulate(context.Background(), seeded(Config{Protocol: Protocol{Qubits: n}, Channel: Channel{Eve: 1}}, i), bp.pipe)
				if !isAbort(err) {
					b.Fatalf("err %v, want an abort", err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mqubit/s")
		})
	}
}

// BenchmarkSamplePositions draws the sample of a run to the abort at 8e6
// qubits: 170,000 of a 4e6-bit pool.
func BenchmarkSamplePositions(b *testing.B) {
	for b.Loop() {
		sifting.SamplePositions([32]byte{1}, 4_000_000, 170_000)
	}
}
