package qkd

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestBobRefusesOlderCascade: a peer of the release before Cascade's
// third pass changed (versions 3 and 4) computes different block parities
// for keys of 50,000 bits and more, so Bob refuses its parameters before
// any photon is sent, with a ProtocolError that says the peer is older,
// and tells Alice why. Version 4 parameters carry a Source and must still
// decode, so the refusal is about the version, not a malformed message.
func TestBobRefusesOlderCascade(t *testing.T) {
	for _, p := range []*Params{
		{Version: 3, Qubits: 100, ZBias: 0.5, Threshold: 0.11, EpsSec: 1e-10, EpsCor: 1e-10, DesignQBER: 0.02},
		{Version: 4, Qubits: 100, ZBias: 0.5, Threshold: 0.11, EpsSec: 1e-10, EpsCor: 1e-10, DesignQBER: 0.02,
			Source: Source{Laser: true, Decoys: true, Mu: 0.5, Nu: 0.1, PWeak: 0.1, PVac: 0.1}},
	} {
		b, err := MarshalMessage(p)
		if err != nil {
			t.Fatal(err)
		}
		m, err := UnmarshalMessage(b)
		if err != nil {
			t.Fatalf("version %d parameters do not decode: %v", p.Version, err)
		}
		if got := m.(*Params); *got != *p {
			t.Fatalf("version %d parameters decode to %+v, want %+v", p.Version, got, p)
		}

		a, bc := Pipe()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		go a.Send(ctx, p)
		_, err = RunBob(ctx, Config{}, bc)
		var pe *ProtocolError
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), "older release") {
			t.Errorf("version %d: err %v, want a ProtocolError naming an older release", p.Version, err)
		}
		ab, ok := must(a.Recv(ctx)).(*Abort)
		if !ok || !strings.Contains(ab.Reason, "older release") {
			t.Errorf("version %d: Alice was told %+v", p.Version, ab)
		}
		cancel()
	}
}

func must[T any](v T, _ error) T { return v }
