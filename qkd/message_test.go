package qkd

import (
	"errors"
	"reflect"
	"testing"
)

func sampleMessages() []Message {
	return []Message{
		&Params{Version: 1, Qubits: 8000, KeyBits: 256, ZBias: 0.5, Threshold: 0.11, EpsSec: 1e-10, EpsCor: 1e-10, DesignQBER: 0.02, TraceQubits: 32},
		&PhotonFrame{Start: 0, Count: 70, Basis: []uint64{5, 1}, Value: []uint64{3, 0}, Present: []uint64{^uint64(0), 63}},
		&SiftBob{Start: 64, Count: 3, Detected: []uint64{5}, Basis: []uint64{2}},
		&SiftAlice{Start: 0, Count: 65, Basis: []uint64{7, 1}},
		&Sample{Seed: [32]byte{1, 2}, Size: 10, Bits: []uint64{0x3ff}},
		&SampleReply{Size: 10, Bits: []uint64{0x1}},
		&CascadeStart{Seed: [32]byte{9}, Count: 3, Parities: []uint64{6}},
		&ParityQuery{Ranges: []ParityRange{{Pass: 0, Lo: 0, Hi: 16}, {Pass: 3, Lo: 100, Hi: 101}}},
		&ParityQuery{Done: true, Corrected: 42},
		&ParityReply{Count: 2, Parities: []uint64{2}},
		&Verify{SeedBits: 100, Seed: []uint64{1, 2}, Tag: 0xdeadbeef},
		&VerifyReply{OK: true},
		&VerifyReply{},
		&Amplify{Length: 10, SeedBits: 20, Seed: []uint64{0xfffff}},
		&TraceAlice{Count: 4, Bits: []uint64{1}, Basis: []uint64{2}},
		&TraceBob{Count: 4, Detected: []uint64{15}, Basis: []uint64{2}, Result: []uint64{1}},
		&Abort{Reason: "QBER 25% > 11%"},
		&Params{Version: pulseVersion, Qubits: 8000, KeyBits: 256, ZBias: 0.5, Threshold: 0.11, EpsSec: 1e-10, EpsCor: 1e-10, DesignQBER: 0.02,
			Source: Source{Laser: true, Decoys: true, Mu: 0.48, Nu: 0.1, PWeak: 0.125, PVac: 0.125}},
		&PulseFrame{Start: 64, Count: 3, Basis: []uint64{5}, Value: []uint64{2}, Photons: []uint8{0, 1, 3}},
		&DecoyClasses{Start: 0, Count: 65, Weak: []uint64{6, 0}, Vacuum: []uint64{1, 1}},
		&DecoyBits{Count: 5, Bits: []uint64{0x13}},
	}
}

func TestMessageRoundTrip(t *testing.T) {
	for _, m := range sampleMessages() {
		b, err := MarshalMessage(m)
		if err != nil {
			t.Fatalf("%v: %v", m.Kind(), err)
		}
		got, err := UnmarshalMessage(b)
		if err != nil {
			t.Fatalf("%v: %v", m.Kind(), err)
		}
		if !reflect.DeepEqual(got, m) {
			t.Fatalf("%v: got %+v want %+v", m.Kind(), got, m)
		}
		if m.Kind().Quantum() != (m.Kind() == KindPhotons || m.Kind() == KindPulses) {
			t.Fatalf("%v: Quantum() wrong", m.Kind())
		}
		// Every strict prefix is rejected with ErrMalformed.
		for i := 0; i < len(b); i++ {
			if _, err := UnmarshalMessage(b[:i]); !errors.Is(err, ErrMalformed) {
				t.Fatalf("%v: prefix %d: %v", m.Kind(), i, err)
			}
		}
		if _, err := UnmarshalMessage(append(b, 0)); !errors.Is(err, ErrMalformed) {
			t.Fatalf("%v: trailing byte accepted", m.Kind())
		}
	}
}

func TestUnmarshalRejects(t *testing.T) {
	for name, b := range map[string][]byte{
		"unknown kind":     {99},
		"huge count":       {byte(KindPhotons), 0, 0xff, 0xff, 0xff, 0xff, 0x0f},
		"empty frame":      {byte(KindPhotons), 0, 0},
		"bits past length": {byte(KindSampleReply), 1, 2, 0, 0, 0, 0, 0, 0, 0},
		"bad flag":         {byte(KindVerifyReply), 2},
		"range overflow":   {byte(KindParityQuery), 0, 1, 0, 0xff, 0xff, 0xff, 0xff, 0x07, 1},
	} {
		if _, err := UnmarshalMessage(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := MarshalMessage(&Sample{Size: 100, Bits: nil}); err == nil {
		t.Error("marshal accepted a short plane")
	}
}

// FuzzUnmarshalMessage: decoding never panics, and whatever decodes
// re-encodes to something that decodes to the same message.
func FuzzUnmarshalMessage(f *testing.F) {
	for _, m := range sampleMessages() {
		b, err := MarshalMessage(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := UnmarshalMessage(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		b2, err := MarshalMessage(m)
		if err != nil {
			t.Fatalf("re-marshal %v: %v", m.Kind(), err)
		}
		m2, err := UnmarshalMessage(b2)
		if err != nil || !reflect.DeepEqual(m, m2) {
			t.Fatalf("round trip of %v: %v", m.Kind(), err)
		}
	})
}
