package cli

import (
	"encoding/json"
	"errors"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"qkdchat/qkd/keyrate"
)

func keyrateJSON(t *testing.T, args ...string) keyrateReport {
	t.Helper()
	code, out, errOut := run(t, append([]string{"keyrate", "--json"}, args...))
	if code != 0 {
		t.Fatalf("keyrate %v: exit %d: %s", args, code, errOut)
	}
	if n := strings.Count(strings.TrimSpace(out), "\n"); n != 0 {
		t.Fatalf("keyrate --json printed %d lines, want one object:\n%s", n+1, out)
	}
	var rep keyrateReport
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("keyrate --json: %v\n%s", err, out)
	}
	return rep
}

// TestKeyrateGYSPublishedDistances runs the command with the
// Gobby-Yuan-Shields parameters of Lo, Ma and Chen (PRL 94, 230504) and
// checks the JSON: rows at the asked distances with every setting, and
// the published maximum distances (142 km with infinitely many decoys,
// 40 km without decoys, ±3 km), vacuum+weak just under infinite decoys.
func TestKeyrateGYSPublishedDistances(t *testing.T) {
	rep := keyrateJSON(t, "--loss-db-km", "0.21", "--detector-efficiency", "0.045", "--dark-count", "1.7e-6",
		"--misalignment", "0.033", "--ec-f", "1.22", "--km-from", "10", "--km-to", "150", "--km-step", "35")
	var kms []float64
	for _, p := range rep.Points {
		kms = append(kms, p.Km)
		var keys []string
		for k := range p.Rate {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if strings.Join(keys, ",") != "infinite_decoy,no_decoy,single_photon,vacuum_weak" {
			t.Fatalf("km %v: rate keys %v", p.Km, keys)
		}
		if p.Rate["vacuum_weak"] > p.Rate["infinite_decoy"] {
			t.Errorf("km %v: vacuum+weak %g above infinite decoys %g", p.Km, p.Rate["vacuum_weak"], p.Rate["infinite_decoy"])
		}
		if (p.Rate["infinite_decoy"] > 0) != (p.Mu["infinite_decoy"] > 0) {
			t.Errorf("km %v: infinite-decoy rate %g with mu %g", p.Km, p.Rate["infinite_decoy"], p.Mu["infinite_decoy"])
		}
	}
	if want := []float64{10, 45, 80, 115, 150}; !floatsEqual(kms, want) {
		t.Fatalf("distances %v, want %v", kms, want)
	}
	// 150 km is past every laser setting's reach, 10 km within all of them.
	first, last := rep.Points[0], rep.Points[len(rep.Points)-1]
	for _, k := range []string{"no_decoy", "vacuum_weak", "infinite_decoy"} {
		if !(first.Rate[k] > 0) || last.Rate[k] != 0 {
			t.Errorf("%s: rate %g at 10 km, %g at 150 km", k, first.Rate[k], last.Rate[k])
		}
	}
	md := rep.MaxDistanceKm
	for _, k := range []string{"single_photon", "no_decoy", "vacuum_weak", "infinite_decoy"} {
		if md[k] == nil {
			t.Fatalf("max_distance_km lacks %s: %v", k, md)
		}
	}
	t.Logf("max distance: single photon %.2f, GLLP %.2f, vacuum+weak %.2f, infinite %.2f km",
		*md["single_photon"], *md["no_decoy"], *md["vacuum_weak"], *md["infinite_decoy"])
	if math.Abs(*md["infinite_decoy"]-142) > 3 || math.Abs(*md["no_decoy"]-40) > 3 {
		t.Errorf("max distance infinite decoys %.2f km (want 142±3), no decoy %.2f km (want 40±3)", *md["infinite_decoy"], *md["no_decoy"])
	}
	if !(*md["vacuum_weak"] <= *md["infinite_decoy"] && *md["vacuum_weak"] > *md["infinite_decoy"]-3) {
		t.Errorf("vacuum+weak reaches %.2f km, infinite decoys %.2f km", *md["vacuum_weak"], *md["infinite_decoy"])
	}
}

func floatsEqual(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(a[i]-b[i]) > 1e-9 {
			return false
		}
	}
	return true
}

// TestKeyratePulsesShortensReach: a finite number of pulses gives lower
// rates and a shorter reach than the asymptotic defaults, and the JSON
// says which.
func TestKeyratePulsesShortensReach(t *testing.T) {
	asym := keyrateJSON(t, "--km-to", "40", "--km-step", "20")
	fin := keyrateJSON(t, "--km-to", "40", "--km-step", "20", "--pulses", "1e9", "--std-devs", "5")
	if fin.Parameters.Pulses != 1e9 || fin.Parameters.StdDevs != 5 || asym.Parameters.Pulses != 0 {
		t.Fatalf("parameters: asymptotic %+v, finite %+v", asym.Parameters, fin.Parameters)
	}
	for _, s := range keyrate.Settings() {
		k := s.Key()
		if !(*fin.MaxDistanceKm[k] < *asym.MaxDistanceKm[k]) {
			t.Errorf("%s: finite max %.2f km, asymptotic %.2f km", k, *fin.MaxDistanceKm[k], *asym.MaxDistanceKm[k])
		}
		for i := range asym.Points {
			if a, f := asym.Points[i].Rate[k], fin.Points[i].Rate[k]; f > a || (a > 0 && f == a) {
				t.Errorf("%s at %v km: finite %g, asymptotic %g", k, asym.Points[i].Km, f, a)
			}
		}
	}
	if sf := fin.Points[0].SignalFraction; !(sf > 0 && sf < 1) {
		t.Errorf("finite vacuum+weak signal fraction %v", sf)
	}
}

// TestKeyrateNoDarkCountsBeyondReach: without dark counts or errors a
// single-photon source has a key at any length, reported as null in JSON
// and "> 1000 km" in the table.
func TestKeyrateNoDarkCountsBeyondReach(t *testing.T) {
	args := []string{"--dark-count", "0", "--misalignment", "0", "--km-to", "20"}
	rep := keyrateJSON(t, args...)
	if v, ok := rep.MaxDistanceKm["single_photon"]; !ok || v != nil {
		t.Fatalf("single photon max distance %v (present %v), want null", v, ok)
	}
	code, out, errOut := run(t, append([]string{"keyrate"}, args...))
	if code != 0 || !strings.Contains(out, "> 1000 km") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
}

func TestKeyrateTable(t *testing.T) {
	code, out, errOut := run(t, []string{"keyrate", "--km-to", "60", "--km-step", "30", "--nu", "0.1"})
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"asymptotic", "single photon", "no decoy (GLLP)", "vacuum+weak", "infinite decoys", "max distance"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	rows := 0
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) == 9 && (f[0] == "0" || f[0] == "30" || f[0] == "60") {
			rows++
			if f[6] != "0.1" {
				t.Errorf("row %q: nu %s, want the fixed 0.1", l, f[6])
			}
		}
	}
	if rows != 3 {
		t.Errorf("%d distance rows, want 3:\n%s", rows, out)
	}
}

// TestKeyratePlotWritesPNG writes the plot and decodes it.
func TestKeyratePlotWritesPNG(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rate.PNG")
	code, out, errOut := run(t, []string{"keyrate", "--km-step", "5", "--plot", path})
	if code != 0 || !strings.Contains(out, path) {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil || cfg.Width < 300 || cfg.Height < 200 {
		t.Fatalf("plot %s: %v, %dx%d", path, err, cfg.Width, cfg.Height)
	}
}

// TestKeyratePlotNothingToPlot: a range where no setting has a key is an
// error naming the file, not a panic of the log axis.
func TestKeyratePlotNothingToPlot(t *testing.T) {
	path := filepath.Join(t.TempDir(), "empty.png")
	code, _, errOut := run(t, []string{"keyrate", "--km-from", "900", "--km-to", "1000", "--km-step", "50", "--plot", path})
	if code != 1 || !strings.Contains(errOut, "nothing to plot") || !strings.Contains(errOut, path) {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}

func TestKeyrateFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		flag string
	}{
		{[]string{"--km-from", "-1"}, "--km-from"},
		{[]string{"--km-from", "NaN"}, "--km-from"},
		{[]string{"--km-to", "-5"}, "--km-to"},
		{[]string{"--km-to", "1001"}, "--km-to"},
		{[]string{"--km-to", "+Inf"}, "--km-to"},
		{[]string{"--km-from", "50", "--km-to", "40"}, "--km-to"},
		{[]string{"--km-step", "0"}, "--km-step"},
		{[]string{"--km-step", "-10"}, "--km-step"},
		{[]string{"--km-step", "NaN"}, "--km-step"},
		{[]string{"--km-to", "1000", "--km-step", "0.01"}, "rows"},
		{[]string{"--loss-db-km", "-0.2"}, "--loss-db-km"},
		{[]string{"--loss-db-km", "Inf"}, "--loss-db-km"},
		{[]string{"--detector-efficiency", "0"}, "--detector-efficiency"},
		{[]string{"--detector-efficiency", "1.5"}, "--detector-efficiency"},
		{[]string{"--dark-count", "-0.1"}, "--dark-count"},
		{[]string{"--dark-count", "1"}, "--dark-count"},
		{[]string{"--misalignment", "0.6"}, "--misalignment"},
		{[]string{"--misalignment", "-0.01"}, "--misalignment"},
		{[]string{"--ec-f", "0.9"}, "--ec-f"},
		{[]string{"--pulses", "-1"}, "--pulses"},
		{[]string{"--pulses", "0.5"}, "--pulses"},
		{[]string{"--std-devs", "-1"}, "--std-devs"},
		{[]string{"--nu", "-0.1"}, "--nu"},
		{[]string{"--nu", "2"}, "--nu"},
		{[]string{"--plot", "rate.pdf"}, "--plot"},
		{[]string{"--km-step", "ten"}, "km-step"},
		{[]string{"extra"}, "unexpected argument"},
	} {
		code, out, errOut := run(t, append([]string{"keyrate"}, tc.args...))
		if code != 2 || out != "" || !strings.Contains(errOut, tc.flag) {
			t.Errorf("keyrate %v: exit %d, stdout %q, stderr %q; want exit 2 naming %s", tc.args, code, out, errOut, tc.flag)
		}
	}
}

func TestKeyrateRowsIncludeEndDespiteRounding(t *testing.T) {
	rep := keyrateJSON(t, "--km-from", "0", "--km-to", "0.3", "--km-step", "0.1")
	if len(rep.Points) != 4 || rep.Points[3].Km != 0.3 {
		t.Fatalf("points %+v", rep.Points)
	}
	rep = keyrateJSON(t, "--km-from", "7", "--km-to", "7")
	if len(rep.Points) != 1 || rep.Points[0].Km != 7 {
		t.Fatalf("points %+v", rep.Points)
	}
}

// FuzzKeyrateFlags: any values of the numeric flags either parse into a
// valid model and a bounded list of distances within [0, MaxKm], or give
// a UsageError; never a panic.
func FuzzKeyrateFlags(f *testing.F) {
	f.Add(0.0, 200.0, 10.0, 0.2, 0.045, 1.7e-6, 0.033, 1.22, 0.0, 0.0)
	f.Add(-1.0, 10.0, 1.0, 0.2, 1.0, 0.0, 0.0, 1.0, 1e10, 0.1)
	f.Add(5.0, 4.0, 0.0, -0.1, 2.0, 1.0, 0.7, 0.5, -3.0, 5.0)
	f.Add(0.0, 1000.0, 0.1, math.Inf(1), math.NaN(), 0.5, 0.5, math.NaN(), 0.5, math.Inf(-1))
	f.Fuzz(func(t *testing.T, from, to, step, loss, eff, dark, mis, ecf, pulses, nu float64) {
		g := func(x float64) string { return strconvFloat(x) }
		args := []string{"--km-from", g(from), "--km-to", g(to), "--km-step", g(step), "--loss-db-km", g(loss),
			"--detector-efficiency", g(eff), "--dark-count", g(dark), "--misalignment", g(mis), "--ec-f", g(ecf),
			"--pulses", g(pulses), "--nu", g(nu)}
		env := &Env{Stdout: new(strings.Builder), Stderr: new(strings.Builder)}
		o, err := parseKeyrate(env, args)
		if err != nil {
			var u *UsageError
			if !errors.As(err, &u) {
				t.Fatalf("%v: %T %v, want a UsageError", args, err, err)
			}
			return
		}
		if err := o.model.Validate(); err != nil {
			t.Fatalf("%v: parsed an invalid model: %v", args, err)
		}
		last := o.from + float64(o.points-1)*o.step
		if !(o.from >= 0 && o.to <= keyrate.MaxKm && o.points >= 1 && o.points <= maxKeyratePoints && last <= o.to+1e-6*o.step) {
			t.Fatalf("%v: from %v to %v step %v points %d", args, o.from, o.to, o.step, o.points)
		}
	})
}

func strconvFloat(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// TestKeyratePlotSinglePoint: a range of one distance still plots (the log
// axis gets a decade around the single values instead of panicking).
func TestKeyratePlotSinglePoint(t *testing.T) {
	path := filepath.Join(t.TempDir(), "one.png")
	code, _, errOut := run(t, []string{"keyrate", "--km-from", "50", "--km-to", "50", "--dark-count", "0", "--misalignment", "0",
		"--detector-efficiency", "1", "--loss-db-km", "0", "--plot", path})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := png.DecodeConfig(f); err != nil {
		t.Fatalf("plot %s: %v", path, err)
	}
}

func TestKeyrateHelpListsFlags(t *testing.T) {
	code, out, _ := run(t, []string{"help", "keyrate"})
	for _, f := range []string{"-km-from", "-km-to", "-km-step", "-loss-db-km", "-detector-efficiency", "-dark-count",
		"-misalignment", "-ec-f", "-pulses", "-std-devs", "-nu", "-json", "-plot"} {
		if code != 0 || !strings.Contains(out, f) {
			t.Fatalf("help keyrate: exit %d, lacks %s:\n%s", code, f, out)
		}
	}
}
