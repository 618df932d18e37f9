package cli

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"qkdchat/app"
)

// workflowBenchResult is the output of `qkdchat bench workflow --json`.
type workflowBenchResult struct {
	N     int `json:"n"`     // messages per mode
	MB    int `json:"mb"`    // attachment size
	Runs  int `json:"runs"`  // attachment runs
	Cores int `json:"cores"` // GOMAXPROCS

	// Reliable (outbox) messages: queued, sent, acknowledged, recorded by
	// both sides. Latency is from Node.Send to the delivered event.
	QueuedMsgsPerS     float64 `json:"queued_msgs_per_s"`
	QueuedLatencyMSP50 float64 `json:"queued_latency_ms_p50"`
	// Baseline: the same messages through the direct Session.Send path.
	DirectMsgsPerS     float64 `json:"direct_msgs_per_s"`
	DirectLatencyMSP50 float64 `json:"direct_latency_ms_p50"`

	// Attachments: a PHR with one MB-sized file, from SubmitPHR to the
	// delivered event (chunked, acknowledged, hash-checked, stored
	// encrypted on both sides). Median over the runs.
	AttachMBPerS float64 `json:"attach_mb_per_s"`
	// Baseline: the same bytes as base64 text in 256 KiB chat messages
	// over the direct path (same TLS, Fernet and ledger; no outbox, no
	// chunk acks, no hash check, no attachment store).
	DirectMBPerS float64 `json:"direct_mb_per_s"`
}

func runBenchWorkflow(ctx context.Context, env *Env, args []string) error {
	fs := NewFlagSet(env, "bench workflow", "")
	n := fs.Int("n", 200, "messages per mode")
	mb := fs.Int("mb", 8, "attachment size in MB (at most 25)")
	runs := fs.Int("runs", 3, "attachment runs; the median is reported")
	jsonOut := fs.Bool("json", false, "print the result as JSON")
	if err := Parse(fs, args); err != nil {
		return err
	}
	if *n < 1 || *mb < 1 || *mb > 25 || *runs < 1 {
		return Usagef("--n and --runs must be at least 1 and --mb between 1 and 25")
	}
	tmp, err := os.MkdirTemp("", "qkdchat-bench-workflow-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	open := func(name string, role app.Role) (*app.Node, error) {
		dir := filepath.Join(tmp, name)
		if err := app.SaveProfile(dir, app.Profile{Name: name, Role: role}); err != nil {
			return nil, err
		}
		return app.Open(app.Options{Dir: dir, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), RekeyInterval: -1,
			RekeyMessages: 1 << 30, TokenTTL: time.Hour})
	}
	pat, err := open("patient", app.RolePatient)
	if err != nil {
		return err
	}
	defer pat.Close()
	hosp, err := open("hospital", app.RoleHospital)
	if err != nil {
		return err
	}
	defer hosp.Close()
	events, stop := pat.Events()
	defer stop()
	addr, code, err := hosp.Listen(ctx, "127.0.0.1:0", "")
	if err != nil {
		return err
	}
	s, err := pat.Connect(ctx, addr.String(), code)
	if err != nil {
		return err
	}
	if s == nil {
		return errors.New("bench: pairing refused")
	}
	if _, err := s.Send(ctx, app.KindChat, "chat", "warm-up", nil); err != nil { // waits for the first key
		return err
	}
	if _, err := awaitDeliveries(ctx, events, 1); err != nil {
		return err
	}

	res := workflowBenchResult{N: *n, MB: *mb, Runs: *runs, Cores: runtime.GOMAXPROCS(0)}
	// Reliable messages.
	sent := map[string]time.Time{}
	t0 := time.Now()
	for i := range *n {
		m, err := pat.Send(ctx, "hospital", app.KindChat, "chat", fmt.Sprintf("queued %d", i), nil)
		if err != nil {
			return err
		}
		sent[m.ID] = time.Now()
	}
	done, err := awaitDeliveries(ctx, events, *n)
	if err != nil {
		return err
	}
	res.QueuedMsgsPerS = float64(*n) / time.Since(t0).Seconds()
	res.QueuedLatencyMSP50 = medianLatency(sent, done)
	// Direct messages (baseline).
	sent = map[string]time.Time{}
	t0 = time.Now()
	for i := range *n {
		at := time.Now()
		m, err := s.Send(ctx, app.KindChat, "chat", fmt.Sprintf("direct %d", i), nil)
		if err != nil {
			return err
		}
		sent[m.ID] = at
	}
	if done, err = awaitDeliveries(ctx, events, *n); err != nil {
		return err
	}
	res.DirectMsgsPerS = float64(*n) / time.Since(t0).Seconds()
	res.DirectLatencyMSP50 = medianLatency(sent, done)

	// Attachments, each run with fresh content (the store deduplicates).
	size := *mb << 20
	rng := rand.New(rand.NewPCG(1, 2))
	var attach, direct []float64
	for r := range *runs {
		buf := make([]byte, size)
		for i := range buf {
			buf[i] = byte(rng.Uint32())
		}
		path := filepath.Join(tmp, fmt.Sprintf("scan-%d.pdf", r))
		if err := os.WriteFile(path, buf, 0o600); err != nil {
			return err
		}
		t0 := time.Now()
		if _, err := pat.SubmitPHR(ctx, "hospital", app.PHR{PatientName: "Bench"}, []string{path}); err != nil {
			return err
		}
		if _, err := awaitDeliveries(ctx, events, 1); err != nil {
			return err
		}
		attach = append(attach, float64(*mb)/time.Since(t0).Seconds())

		t0 = time.Now()
		chunks := 0
		for off := 0; off < size; off += app.AttachmentChunkSize {
			text := base64.StdEncoding.EncodeToString(buf[off:min(off+app.AttachmentChunkSize, size)])
			if _, err := s.Send(ctx, app.KindChat, "chat", text, nil); err != nil {
				return err
			}
			chunks++
		}
		if _, err := awaitDeliveries(ctx, events, chunks); err != nil {
			return err
		}
		direct = append(direct, float64(*mb)/time.Since(t0).Seconds())
	}
	res.AttachMBPerS, res.DirectMBPerS = medianFloat(attach), medianFloat(direct)

	if *jsonOut {
		b, _ := json.MarshalIndent(res, "", "  ")
		fmt.Fprintln(env.Stdout, string(b))
		return nil
	}
	w := env.Stdout
	fmt.Fprintf(w, "workflow delivery on loopback, %d cores\n", res.Cores)
	fmt.Fprintf(w, "  queued messages (outbox, exactly once): %8.0f msg/s, latency %6.1f ms median (%d messages)\n", res.QueuedMsgsPerS, res.QueuedLatencyMSP50, res.N)
	fmt.Fprintf(w, "  baseline, direct Session.Send:          %8.0f msg/s, latency %6.1f ms median\n", res.DirectMsgsPerS, res.DirectLatencyMSP50)
	fmt.Fprintf(w, "  %d MB attachment (chunked, acked, hash-checked): %6.1f MB/s median of %d\n", res.MB, res.AttachMBPerS, res.Runs)
	fmt.Fprintf(w, "  baseline, same bytes as direct chat messages:    %6.1f MB/s\n", res.DirectMBPerS)
	return nil
}

// awaitDeliveries waits for count delivered events and returns when each
// message ID was delivered.
func awaitDeliveries(ctx context.Context, events <-chan app.Event, count int) (map[string]time.Time, error) {
	got := map[string]time.Time{}
	timeout := time.NewTimer(5 * time.Minute)
	defer timeout.Stop()
	for len(got) < count {
		select {
		case e, ok := <-events:
			if !ok {
				return nil, errors.New("bench: event stream closed")
			}
			switch e.Type {
			case app.EventDelivery:
				if e.State == app.Delivered {
					got[e.MessageID] = e.Time
				}
			case app.EventRejected:
				return nil, fmt.Errorf("bench: refused: %s", e.Reason)
			case app.EventDisconnected:
				return nil, fmt.Errorf("bench: disconnected: %s", e.Reason)
			}
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-timeout.C:
			return nil, fmt.Errorf("bench: %d of %d deliveries after 5 minutes", len(got), count)
		}
	}
	return got, nil
}

func medianLatency(sent, done map[string]time.Time) float64 {
	var ms []float64
	for id, at := range sent {
		if d, ok := done[id]; ok {
			ms = append(ms, float64(d.Sub(at).Microseconds())/1000)
		}
	}
	return medianFloat(ms)
}

func medianFloat(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	v = slices.Clone(v)
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}
