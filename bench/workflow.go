package bench

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"qkdchat/app"
	"qkdchat/ledger"
)

// WorkflowReport is the result of [Workflow], the output of `qkdchat
// bench workflow --json`.
type WorkflowReport struct {
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

// WorkflowOptions configures [Workflow]. The ranges are those of
// `qkdchat bench workflow`, whose flags have the defaults.
type WorkflowOptions struct {
	N    int // messages per mode (>= 1)
	MB   int // attachment size in MB (1..25)
	Runs int // attachment runs; the median is reported (>= 1)
}

// Validate returns an *OptionError for the first option out of range.
func (o WorkflowOptions) Validate() error {
	switch {
	case o.N < 1:
		return &OptionError{Option: "n", Problem: "must be at least 1"}
	case o.Runs < 1:
		return &OptionError{Option: "runs", Problem: "must be at least 1"}
	}
	return within("mb", o.MB, 1, 25)
}

// Workflow measures reliable delivery between two nodes on loopback
// against the direct chat path (see [WorkflowReport]).
func Workflow(ctx context.Context, o WorkflowOptions) (WorkflowReport, error) {
	res := WorkflowReport{N: o.N, MB: o.MB, Runs: o.Runs, Cores: runtime.GOMAXPROCS(0)}
	if err := o.Validate(); err != nil {
		return res, err
	}
	tmp, err := os.MkdirTemp("", "qkdchat-bench-workflow-")
	if err != nil {
		return res, err
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
		return res, err
	}
	defer pat.Close()
	hosp, err := open("hospital", app.RoleHospital)
	if err != nil {
		return res, err
	}
	defer hosp.Close()
	events, stop := pat.Events()
	defer stop()
	addr, code, err := hosp.Listen(ctx, "127.0.0.1:0", "")
	if err != nil {
		return res, err
	}
	s, err := pat.Connect(ctx, addr.String(), code)
	if err != nil {
		return res, err
	}
	if s == nil {
		return res, errors.New("bench: pairing refused")
	}
	if _, err := s.Send(ctx, ledger.KindChat, "chat", "warm-up", nil); err != nil { // waits for the first key
		return res, err
	}
	if _, err := awaitDeliveries(ctx, events, 1); err != nil {
		return res, err
	}

	// Reliable messages.
	sent := map[string]time.Time{}
	t0 := time.Now()
	for i := range o.N {
		m, err := pat.Send(ctx, "hospital", ledger.KindChat, "chat", fmt.Sprintf("queued %d", i), nil)
		if err != nil {
			return res, err
		}
		sent[m.ID] = time.Now()
	}
	done, err := awaitDeliveries(ctx, events, o.N)
	if err != nil {
		return res, err
	}
	res.QueuedMsgsPerS = float64(o.N) / time.Since(t0).Seconds()
	res.QueuedLatencyMSP50 = medianLatency(sent, done)
	// Direct messages (baseline).
	sent = map[string]time.Time{}
	t0 = time.Now()
	for i := range o.N {
		at := time.Now()
		m, err := s.Send(ctx, ledger.KindChat, "chat", fmt.Sprintf("direct %d", i), nil)
		if err != nil {
			return res, err
		}
		sent[m.ID] = at
	}
	if done, err = awaitDeliveries(ctx, events, o.N); err != nil {
		return res, err
	}
	res.DirectMsgsPerS = float64(o.N) / time.Since(t0).Seconds()
	res.DirectLatencyMSP50 = medianLatency(sent, done)

	// Attachments, each run with fresh content (the store deduplicates).
	size := o.MB << 20
	rng := rand.New(rand.NewPCG(1, 2))
	var attach, direct []float64
	for r := range o.Runs {
		buf := make([]byte, size)
		for i := range buf {
			buf[i] = byte(rng.Uint32())
		}
		path := filepath.Join(tmp, fmt.Sprintf("scan-%d.pdf", r))
		if err := os.WriteFile(path, buf, 0o600); err != nil {
			return res, err
		}
		t0 := time.Now()
		if _, err := pat.Clinic().SubmitPHR(ctx, "hospital", app.PHR{PatientName: "Bench"}, []string{path}); err != nil {
			return res, err
		}
		if _, err := awaitDeliveries(ctx, events, 1); err != nil {
			return res, err
		}
		attach = append(attach, float64(o.MB)/time.Since(t0).Seconds())

		t0 = time.Now()
		chunks := 0
		for off := 0; off < size; off += app.AttachmentChunkSize {
			text := base64.StdEncoding.EncodeToString(buf[off:min(off+app.AttachmentChunkSize, size)])
			if _, err := s.Send(ctx, ledger.KindChat, "chat", text, nil); err != nil {
				return res, err
			}
			chunks++
		}
		if _, err := awaitDeliveries(ctx, events, chunks); err != nil {
			return res, err
		}
		direct = append(direct, float64(o.MB)/time.Since(t0).Seconds())
	}
	res.AttachMBPerS, res.DirectMBPerS = median(attach), median(direct)

	return res, nil
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
	return median(ms)
}
