package cli

import (
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"qkdchat/cli/sweep"
)

// TestSimulateSweepJSONAndPlot: --sweep-km runs at each distance and
// prints one JSON line per distance whose rate is the key bits over the
// pulses sent, next to the model's; --plot writes a PNG of the curves and
// the points.
func TestSimulateSweepJSONAndPlot(t *testing.T) {
	png1 := filepath.Join(t.TempDir(), "sweep.png")
	code, out, errOut := run(t, []string{"simulate", "--json", "--seed", "3", "--runs", "2", "--qubits", "200000", "--key-bits", "0",
		"--detector-efficiency", "0.5", "--dark-count", "1e-6", "--sweep-km", "0:20:10", "--plot", png1})
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3 distances:\n%s", len(lines), out)
	}
	for i, l := range lines {
		var p sweep.Point
		if err := json.Unmarshal([]byte(l), &p); err != nil {
			t.Fatal(err)
		}
		if p.Km != float64(10*i) || p.Runs != 2 || p.Pulses != 200000 {
			t.Fatalf("line %d: %+v", i, p)
		}
		if want := float64(p.KeyBits) / float64(2*p.Pulses); p.Keys != 2 || p.Rate != want || p.Rate <= 0 || p.Rate > p.Model {
			t.Fatalf("line %d: rate %v, want %v (keys %d) below the model's %v", i, p.Rate, want, p.Keys, p.Model)
		}
	}
	f, err := os.Open(png1)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := png.Decode(f); err != nil {
		t.Fatalf("plot: %v", err)
	}
}

// TestSimulateSweepBadInput: a malformed sweep or a plot without one is a
// usage error; so is a laser run over qkd.MaxPulses.
func TestSimulateSweepBadInput(t *testing.T) {
	for _, args := range [][]string{
		{"--sweep-km", "0:60"}, {"--sweep-km", "a:60:20"}, {"--sweep-km", "60:0:20"}, {"--sweep-km", "0:60:0"},
		{"--sweep-km", "0:1000:1"}, {"--plot", "x.png"}, {"--sweep-km", "0:60:20", "--plot", "x.jpg"},
		{"--source", "wcp", "--qubits", "20000000000"},
	} {
		code, _, errOut := run(t, append([]string{"simulate"}, args...))
		if code != 2 || !strings.Contains(errOut, "qkdchat simulate: ") {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
}
