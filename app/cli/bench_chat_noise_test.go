package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
)

// TestBenchChatNoisyLinkRekeys: `bench chat --noise 0.05` makes every
// key. The noise is the link's calibration, which the first exchange is
// planned for, and the rekeys follow the QBER measured; planning from a
// fixed 2% aborted them all for lack of key.
func TestBenchChatNoisyLinkRekeys(t *testing.T) {
	if testing.Short() {
		t.Skip("runs four bench rounds of BB84 sessions")
	}
	var out, errOut bytes.Buffer
	code := Main(context.Background(), &Env{Stdout: &out, Stderr: &errOut},
		[]string{"bench", "chat", "--noise", "0.05", "--n", "20", "--rekeys", "4", "--concurrency", "4", "--rate", "400", "--json"})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var r chatBenchResult
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if r.Noise != 0.05 || r.KeyAborts != 0 || r.FirstAbort != "" || r.KeyEstablishMSP50 <= 0 || r.FirstKeyMS <= 0 {
		t.Errorf("at 5%% noise: %d of %d rekeys aborted (%q), first key %v ms, p50 %v ms", r.KeyAborts, r.Rekeys, r.FirstAbort, r.FirstKeyMS, r.KeyEstablishMSP50)
	}
	t.Logf("5%% noise: first key %.1f ms, rekeys p50 %.1f ms max %.1f ms, %d aborted of %d", r.FirstKeyMS, r.KeyEstablishMSP50, r.KeyEstablishMSMax, r.KeyAborts, r.Rekeys)
}
