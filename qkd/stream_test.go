package qkd

import (
	"context"
	"errors"
	"reflect"
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
