package bench

import (
	"context"
	"errors"
	"testing"
)

func TestWorkflowReport(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two nodes and a 1 MB attachment")
	}
	r, err := Workflow(context.Background(), WorkflowOptions{N: 5, MB: 1, Runs: 1})
	if err != nil {
		t.Fatal(err)
	}
	if r.N != 5 || r.MB != 1 || r.Runs != 1 || r.Cores < 1 {
		t.Errorf("parameters echoed wrong: %+v", r)
	}
	for name, v := range map[string]float64{"queued_msgs_per_s": r.QueuedMsgsPerS, "queued_latency_ms_p50": r.QueuedLatencyMSP50,
		"direct_msgs_per_s": r.DirectMsgsPerS, "direct_latency_ms_p50": r.DirectLatencyMSP50, "attach_mb_per_s": r.AttachMBPerS, "direct_mb_per_s": r.DirectMBPerS} {
		if !(v > 0) {
			t.Errorf("%s = %v", name, v)
		}
	}
}

func TestWorkflowOptionsValidate(t *testing.T) {
	for _, c := range []struct {
		option string
		o      WorkflowOptions
	}{{"n", WorkflowOptions{N: 0, MB: 1, Runs: 1}}, {"mb", WorkflowOptions{N: 1, MB: 26, Runs: 1}}, {"mb", WorkflowOptions{N: 1, MB: 0, Runs: 1}},
		{"runs", WorkflowOptions{N: 1, MB: 1, Runs: 0}}} {
		var oe *OptionError
		if _, err := Workflow(context.Background(), c.o); !errors.As(err, &oe) || oe.Option != c.option {
			t.Errorf("%+v: %v, want an OptionError for %s", c.o, err, c.option)
		}
	}
}
