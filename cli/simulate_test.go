package cli

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"testing"
)

func TestSimulateJSONFields(t *testing.T) {
	code, out, errOut := run(t, []string{"simulate", "--json", "--seed", "7", "--runs", "2", "--noise", "0.02", "--key-bits", "128"})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines:\n%s", len(lines), out)
	}
	want := []string{"aborted", "abort_reason", "ec_efficiency", "ec_round_trips", "elapsed_ms", "eve_basis", "eve_fraction",
		"eve_final_info_bits", "eve_info_bits", "key_bits", "leaked_ec", "qber_estimate", "qber_true", "qber_x", "qber_z",
		"qubits_detected", "qubits_sent", "sample_size", "sifted"}
	sort.Strings(want)
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatal(err)
		}
		var got []string
		for k := range m {
			got = append(got, k)
		}
		sort.Strings(got)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("fields %v, want %v", got, want)
		}
		if m["key_bits"].(float64) != 128 || m["aborted"].(bool) {
			t.Fatalf("run: %s", l)
		}
		el := m["elapsed_ms"].(map[string]any)
		for _, p := range []string{"prepare", "transmit", "sift", "estimate", "reconcile", "verify", "amplify", "total"} {
			if _, ok := el[p]; !ok {
				t.Fatalf("elapsed_ms lacks %s: %v", p, el)
			}
		}
	}
}

func TestSimulateEveAbortsExit1(t *testing.T) {
	code, out, errOut := run(t, []string{"simulate", "--eve", "1", "--qubits", "20000", "--seed", "1"})
	if code != 1 || !strings.Contains(errOut, "QBER") || !strings.Contains(out, "YES") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}

// TestSimulatePaperSeries reproduces the shape of the paper's Fig. 4-6:
// 15 runs of 20 qubits with an eavesdropper in runs 1, 5, 8, 10 and 12.
func TestSimulatePaperSeries(t *testing.T) {
	code, out, errOut := run(t, []string{"simulate", "--runs", "15", "--qubits", "20", "--eve", "1",
		"--eve-runs", "1,5,8,10,12", "--seed", "1", "--key-bits", "0"})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	rows := 0
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) < 10 {
			continue
		}
		if _, err := strconv.Atoi(f[0]); err != nil {
			continue
		}
		rows++
		if f[1] != "20" {
			t.Fatalf("row %q: sent %s", l, f[1])
		}
		eve := f[7] == "1"
		if !eve && f[8] == "YES" {
			t.Fatalf("row %q: eavesdropper detected without one", l)
		}
	}
	if rows != 15 {
		t.Fatalf("%d rows:\n%s", rows, out)
	}
}

func TestSimulateBadInputExits2(t *testing.T) {
	for _, args := range [][]string{
		{"--noise", "1.5"}, {"--eve", "-0.1"}, {"--qubits", "-3"}, {"--qubits", "999999999"},
		{"--seed", "abc"}, {"--runs", "0"}, {"--z-bias", "1"}, {"--threshold", "0"}, {"--eps", "2"},
		{"--eve-runs", "3", "--runs", "2"}, {"--fiber-km", "-1"}, {"--bogus"}, {"extra"},
		{"--key-bits", "256", "--design-qber", "0.3"}, {"--design-qber", "0.5"}, {"--eve-basis", "y"},
	} {
		code, _, errOut := run(t, append([]string{"simulate"}, args...))
		if code != 2 || errOut == "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
}

// simulateJSON runs `simulate --json` with args and decodes its one line.
func simulateJSON(t *testing.T, args ...string) map[string]any {
	t.Helper()
	code, out, errOut := run(t, append([]string{"simulate", "--json"}, args...))
	if code != 0 && code != 1 {
		t.Fatalf("%v: exit %d: %s", args, code, errOut)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &m); err != nil {
		t.Fatalf("%v: %v\n%s", args, err, out)
	}
	return m
}

// TestSimulateHiddenEveDoesNotChangeThePlan: Alice and Bob plan a run from
// what they choose, not from the channel the simulator gives them. The
// same seed sends the same number of qubits with and without Eve, and
// Eve shows only in the error rates measured. (Before protocol version 2
// the design QBER included Eve: 9,308 qubits without her, 521,749 with.)
func TestSimulateHiddenEveDoesNotChangeThePlan(t *testing.T) {
	base := []string{"--seed", "11", "--key-bits", "256", "--noise", "0.02"}
	honest := simulateJSON(t, append(base, "--eve", "0")...)
	eve := simulateJSON(t, append(base, "--eve", "0.3")...)
	t.Logf("qubits_sent %v / %v, qber_estimate %v / %v", honest["qubits_sent"], eve["qubits_sent"], honest["qber_estimate"], eve["qber_estimate"])
	if honest["qubits_sent"] != eve["qubits_sent"] {
		t.Fatalf("qubits_sent %v without Eve, %v with", honest["qubits_sent"], eve["qubits_sent"])
	}
	if honest["aborted"].(bool) || honest["qber_estimate"].(float64) > 0.04 || eve["qber_estimate"].(float64) < 0.06 {
		t.Fatalf("honest run %v, QBER %v; with Eve %v", honest["abort_reason"], honest["qber_estimate"], eve["qber_estimate"])
	}
}

// TestSimulateBiasedEve: at z-bias 0.9, an Eve who measures every photon
// in Z is caught by the X-basis error rate, and one in X by the Z-basis
// error rate; each basis' rate is reported.
func TestSimulateBiasedEve(t *testing.T) {
	for _, tc := range []struct{ basis, high, low string }{{"z", "qber_x", "qber_z"}, {"x", "qber_z", "qber_x"}} {
		m := simulateJSON(t, "--seed", "5", "--z-bias", "0.9", "--qubits", "200000", "--key-bits", "0",
			"--design-qber", "0.01", "--eve", "1", "--eve-basis", tc.basis)
		if !m["aborted"].(bool) || m["eve_basis"] != tc.basis || m[tc.high].(float64) < 0.4 || m[tc.low].(float64) > 0.02 ||
			m["eve_final_info_bits"].(float64) != 0 {
			t.Fatalf("eve in %s: %v", tc.basis, m)
		}
	}
	// A partial attack leaves a shorter key that Eve knows nothing of.
	m := simulateJSON(t, "--seed", "5", "--z-bias", "0.9", "--qubits", "200000", "--key-bits", "0",
		"--design-qber", "0.01", "--eve", "0.1", "--eve-basis", "z")
	if m["aborted"].(bool) || m["key_bits"].(float64) == 0 || m["eve_info_bits"].(float64) == 0 || m["eve_final_info_bits"].(float64) != 0 {
		t.Fatalf("partial attack: %v", m)
	}
}
