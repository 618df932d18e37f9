package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestSimulateLaserPNSJSON: a laser link with decoys under a PNS attack
// aborts (exit 1) naming the attack, and its JSON carries the source, the
// per-intensity gains, the single-photon bounds and the finite-size
// bound's eps budget, which adds up to at most eps_sec (1e-10).
func TestSimulateLaserPNSJSON(t *testing.T) {
	code, out, errOut := run(t, []string{"simulate", "--json", "--seed", "1", "--qubits", "2000000", "--source", "wcp",
		"--decoy", "vacuum+weak", "--attack", "pns", "--fiber-km", "50", "--dark-count", "1e-5", "--misalignment", "0.03"})
	if code != 1 || !strings.Contains(errOut, "photon-number-splitting") {
		t.Fatalf("exit %d\nstderr: %s", code, errOut)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	for _, k := range []string{"source", "mu", "nu", "decoy", "attack", "intensities", "y1_lower", "e1_upper", "single_photon_share",
		"y1_lower_asymptotic", "e1_upper_asymptotic", "key_bits_asymptotic", "eve_split_pulses", "single_photon_verdict", "eve_final_info_bits", "eps_budget", "eps_sec_accounted"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %s", k)
		}
	}
	if m["source"] != "wcp" || m["attack"] != "pns" || m["decoy"] != "vacuum+weak" || len(m["intensities"].([]any)) != 3 {
		t.Errorf("JSON: %s", out)
	}
	budget, _ := m["eps_budget"].(map[string]any)
	var sum float64
	for _, v := range budget {
		sum += v.(float64)
	}
	if total, _ := m["eps_sec_accounted"].(float64); len(budget) < 10 || sum > 1e-10*(1+1e-9) || total < sum*(1-1e-9) || total > 1e-10*(1+1e-9) {
		t.Errorf("eps budget %v adds up to %g, accounted %v; want at most eps_sec 1e-10", budget, sum, m["eps_sec_accounted"])
	}
}

// TestSimulateAssumeSingleIsLabelled: the unsafe mode says UNSAFE in the
// flag help and in the run's output.
func TestSimulateAssumeSingleIsLabelled(t *testing.T) {
	_, out, _ := run(t, []string{"simulate", "--seed", "1", "--qubits", "200000", "--source", "wcp", "--assume-single-photon", "--key-bits", "0"})
	if !strings.Contains(out, "UNSAFE") {
		t.Errorf("output does not say UNSAFE:\n%s", out)
	}
	_, _, help := run(t, []string{"simulate", "--help"})
	if !strings.Contains(help, "UNSAFE") {
		t.Errorf("help does not say UNSAFE:\n%s", help)
	}
}

// TestSimulatePulseFlagErrors: bad source, decoy, attack and intensity
// flags are usage errors in words.
func TestSimulatePulseFlagErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--source", "led"}, "--source"},
		{[]string{"--source", "wcp", "--decoy", "three"}, "--decoy"},
		{[]string{"--attack", "laser-damage"}, "--attack"},
		{[]string{"--source", "wcp", "--nu", "0.6"}, "--nu"},
		{[]string{"--source", "wcp", "--mu", "0"}, "--mu"},
		{[]string{"--decoy", "vacuum+weak"}, "laser"},
		{[]string{"--misalignment", "0.7"}, "--misalignment"},
	} {
		code, _, errOut := run(t, append([]string{"simulate", "--seed", "1"}, c.args...))
		if code != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q", c.args, code, errOut)
		}
	}
}

// TestSimulateLaserSizesItself: without --qubits a laser run with decoys
// is sized from the link's calibration and makes its key; past the reach
// of 1e7 pulses it uses them all and aborts in words.
func TestSimulateLaserSizesItself(t *testing.T) {
	code, out, errOut := run(t, []string{"simulate", "--json", "--seed", "1", "--source", "wcp", "--decoy", "vacuum+weak", "--fiber-km", "25"})
	var m map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &m) != nil || m["key_bits"].(float64) != 256 {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	if n := m["qubits_sent"].(float64); n >= 10_000_000 || n < 100_000 {
		t.Errorf("sized to %v pulses", n)
	}
}
