package qkd

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// streamPulses is the size of the streaming tests' runs: a few frames and
// a ragged tail, so chunks and frames both end mid-word.
func streamPulses() int {
	if raceEnabled || testing.Short() {
		return 2*MaxFramePhotons + 777
	}
	return 4*MaxFramePhotons + 12_345
}

// runPair runs both sides as Simulate does and returns both Results.
func runPair(t *testing.T, c Config, pipe pipeline) (alice, bob *Result, aErr error) {
	t.Helper()
	a, b := Pipe()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		bob, _ = runBobWith(context.Background(), c, b, pipe)
	}()
	alice, aErr = runAliceWith(context.Background(), c, a, pipe)
	wg.Wait()
	if alice == nil || bob == nil {
		t.Fatalf("run did not start: %v", aErr)
	}
	return alice, bob, aErr
}

// TestStreamedRunsMatchWholeRuns: a laser run streamed a frame at a time
// gives bit for bit the report and key of the same run holding all its
// pulses at once (the run before streaming), for keys, attacks and
// aborts, with the trace, the detector's memory (dead time, afterpulses)
// across chunk boundaries and the reference pipeline; and a streamed run
// never holds more than one frame of pulses.
func TestStreamedRunsMatchWholeRuns(t *testing.T) {
	N := streamPulses()
	cases := []struct {
		name string
		src  Source
		ch   Channel
		pipe pipeline
		key  bool // the run makes a key
		// extra frames: the composable decoy bound needs about 3e6 pulses
		// for a key on the afterpulsing link
		extra int
	}{
		{"decoys, no Eve", Source{Decoys: true}, Channel{FiberKm: 5, DarkCount: 1e-5, Misalignment: 0.02, Afterpulse: 0.05, DeadTime: 3}, pipelinePacked, true, 1},
		{"decoys, PNS", Source{Decoys: true}, Channel{FiberKm: 50, DarkCount: 1e-5, Attack: AttackPNS}, pipelinePacked, false, 0},
		{"UNSAFE assume single, beam splitting", Source{AssumeSingle: true}, Channel{FiberKm: 5, DarkCount: 1e-5, Attack: AttackBeamSplit}, pipelinePacked, true, 0},
		{"reference, intercept-resend", Source{Decoys: true}, Channel{FiberKm: 2, Eve: 0.02}, pipelineReference, true, 0},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			seed := uint64(100 + i)
			tc.src.Laser = true
			N := N
			if raceEnabled || testing.Short() {
				N += tc.extra * MaxFramePhotons
			}
			c := Config{Channel: tc.ch, Protocol: Protocol{Qubits: N, Source: tc.src, TraceQubits: 300}, Seed: &seed}
			whole := c
			whole.streamFrames = N/MaxFramePhotons + 1
			ra, rb, errA := runPair(t, c, tc.pipe)
			wa, wb, errW := runPair(t, whole, tc.pipe)
			if (ra.Key != nil) != tc.key {
				t.Fatalf("key %v, want %v: %v", ra.Key != nil, tc.key, errA)
			}
			if (errA == nil) != (errW == nil) || errA != nil && errA.Error() != errW.Error() {
				t.Fatalf("streamed: %v; whole: %v", errA, errW)
			}
			for _, r := range []*Result{ra, rb, wa, wb} {
				r.Report.Elapsed = PhaseTimes{}
			}
			if !reflect.DeepEqual(ra.Report, wa.Report) || !reflect.DeepEqual(rb.Report, wb.Report) {
				t.Fatalf("reports differ:\nstreamed %+v\nwhole    %+v", ra.Report, wa.Report)
			}
			if string(ra.Key) != string(wa.Key) || string(rb.Key) != string(wb.Key) {
				t.Fatal("keys differ")
			}
			if ra.Report.QubitsDetected == 0 || len(ra.Report.Trace) != 300 {
				t.Fatalf("run too small to compare: %d detections, trace %d", ra.Report.QubitsDetected, len(ra.Report.Trace))
			}
			for _, r := range []*Result{ra, rb} {
				if r.peakSlots != MaxFramePhotons {
					t.Errorf("streamed side held %d pulses at once, want %d", r.peakSlots, MaxFramePhotons)
				}
			}
			if wa.peakSlots != N {
				t.Errorf("whole run held %d pulses, want %d", wa.peakSlots, N)
			}
		})
	}
}

// TestLaserRunsTakeMorePulsesThanQubits: a laser run may send up to
// MaxPulses pulses (it streams); a single-photon run stays at MaxQubits.
func TestLaserRunsTakeMorePulsesThanQubits(t *testing.T) {
	for _, tc := range []struct {
		laser bool
		n     int
		ok    bool
	}{
		{false, MaxQubits, true}, {false, MaxQubits + 1, false},
		{true, MaxQubits + 1, true}, {true, MaxPulses, true}, {true, MaxPulses + 1, false},
	} {
		err := Config{Protocol: Protocol{Qubits: tc.n, Source: Source{Laser: tc.laser}}}.withDefaults().Validate()
		if (err == nil) != tc.ok || err != nil && !errors.Is(err, ErrConfig) {
			t.Errorf("laser %v, %d pulses: %v, want ok %v", tc.laser, tc.n, err, tc.ok)
		}
	}
}

// TestTooManyDetectionsRefusedAtOnce: a laser run whose link would surely
// detect more signal pulses than a run holds (1e10 pulses over 100 km
// with an ideal detector: about 2.7e7) is refused before the first pulse,
// naming how many pulses would fit, instead of failing when it reaches the
// cap (after 25 minutes). The same run with the GYS detector (efficiency
// 0.045: about 1.6e6 detections) and a run just under the cap are not
// refused by the check.
func TestTooManyDetectionsRefusedAtOnce(t *testing.T) {
	laser := Source{Laser: true, Decoys: true}.WithDefaults()
	big := Config{Protocol: Protocol{Qubits: MaxPulses, Source: laser}, Channel: Channel{FiberKm: 100}}
	seed := uint64(3)
	big.Seed = &seed
	sent := 0
	big.Progress = func(p Progress) { sent = max(sent, p.Sent) }
	_, err := Simulate(context.Background(), big)
	if !errors.Is(err, ErrTooManyDetections) {
		t.Fatalf("1e10 pulses over 100 km, ideal detector: %v, want ErrTooManyDetections", err)
	}
	if sent != 0 {
		t.Fatalf("refused after %d pulses, want before the first", sent)
	}
	if !strings.Contains(err.Error(), "send at most") {
		t.Fatalf("the refusal does not say how many pulses would fit: %v", err)
	}

	for _, c := range []struct {
		name string
		cfg  Config
	}{
		{"GYS detector", Config{Protocol: Protocol{Qubits: MaxPulses, Source: laser}, Channel: Channel{FiberKm: 100, DetectorEfficiency: 0.045}}},
		{"just under the cap", Config{Protocol: Protocol{Qubits: 27e8, Source: laser}, Channel: Channel{FiberKm: 100}}},
	} {
		c.cfg = c.cfg.withDefaults()
		if err := c.cfg.checkDetections(); err != nil {
			t.Errorf("%s: refused: %v", c.name, err)
		}
	}
}

// TestBobRefusesRunAboveMaxRun: a peer that asks for a larger run than Bob
// accepts (Config.MaxRun, which a live link sets to what no honest plan
// exceeds) is refused before the first pulse, on both sources, and Alice
// learns the run was refused; at the limit the run goes ahead.
func TestBobRefusesRunAboveMaxRun(t *testing.T) {
	for _, laser := range []bool{false, true} {
		for _, tc := range []struct {
			qubits, max int
			refused     bool
		}{{50_000, 49_999, true}, {50_000, 50_000, false}} {
			seed := uint64(11)
			alice := Config{Protocol: Protocol{Qubits: tc.qubits, KeyBits: 0, Source: Source{Laser: laser}}, Seed: &seed}
			received := 0
			bob := Config{MaxRun: tc.max, Progress: func(p Progress) { received = max(received, p.Sent) }}
			a, b := Pipe()
			var (
				wg     sync.WaitGroup
				bobErr error
			)
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, bobErr = RunBob(context.Background(), bob, b)
			}()
			_, aliceErr := RunAlice(context.Background(), alice, a)
			wg.Wait()
			if !tc.refused {
				var pe *ProtocolError
				if errors.As(bobErr, &pe) || received != tc.qubits {
					t.Errorf("laser %v, %d of at most %d: Bob %v after %d pulses, want the run", laser, tc.qubits, tc.max, bobErr, received)
				}
				continue
			}
			var pe *ProtocolError
			if !errors.As(bobErr, &pe) || !strings.Contains(pe.Msg, "more than the") {
				t.Errorf("laser %v: Bob's error %v, want a refusal of the run's size", laser, bobErr)
			}
			if received != 0 {
				t.Errorf("laser %v: Bob took %d pulses before refusing", laser, received)
			}
			if aliceErr == nil {
				t.Errorf("laser %v: Alice made a key from a refused run", laser)
			}
		}
	}
}
