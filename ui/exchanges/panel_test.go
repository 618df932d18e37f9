package exchanges

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"qkdchat/node"
	"qkdchat/nodetest"
	"qkdchat/qkd"
)

type noSessions struct{}

func (noSessions) Session(string) (*node.Session, bool) { return nil, false }

// TestPanelShowsKeyThenAbort feeds the panel a key and an abort with
// known numbers and checks what it shows of each.
func TestPanelShowsKeyThenAbort(t *testing.T) {
	test.NewTempApp(t)
	trace := []qkd.TracedQubit{
		{Index: 0, AliceBit: 0, AliceBasis: qkd.Z, BobBasis: qkd.Z, Detected: true, BasesMatch: true, Kept: true},
		{Index: 1, AliceBit: 1, AliceBasis: qkd.X, BobBasis: qkd.Z, BobBit: 0, Detected: true},
		{Index: 2, AliceBit: 1, AliceBasis: qkd.Z, BobBasis: qkd.Z, BobBit: 1, Detected: true, BasesMatch: true, Kept: true},
	}
	ok := &qkd.Report{QubitsSent: 8000, QubitsDetected: 7900, Matches: 3950, Sifted: 3950, SampleSize: 1200,
		QBEREstimate: 0.0125, SampleErrors: 15, LeakedEC: 340, KeyBits: 256, Trace: trace}
	bad := &qkd.Report{QubitsSent: 8000, QubitsDetected: 7900, Matches: 3960, Sifted: 3960, SampleSize: 1200,
		QBEREstimate: 0.248, SampleErrors: 298, Aborted: true, Trace: trace}
	xs := []*node.KeyExchange{{Epoch: 1, OK: true, Report: ok, KeyBits: 256}, {OK: false, Reason: "QBER above threshold", Report: bad}}
	var status string
	p := New(noSessions{}, nodetest.Inline{}, func(string) string { return "Bob" }, func(s string) { status = s })
	test.NewTempWindow(t, p.Content())
	p.SetThreshold(0.11)

	p.Show("b0b0", xs, true)
	s := p.Shown()
	if !strings.HasPrefix(s.Verdict, "aborted: eavesdropper suspected") || s.Counts["Key"] != "none (aborted)" {
		t.Errorf("newest exchange: verdict %q, key %q", s.Verdict, s.Counts["Key"])
	}
	if len(s.Exchanges) != 2 || s.Exchanges[0] != "#1: key" || s.Exchanges[1] != "#2: aborted" {
		t.Errorf("picker %v", s.Exchanges)
	}
	if len(s.Runs) != 2 || s.Runs[0].Aborted || !s.Runs[1].EveDetected {
		t.Errorf("history %+v", s.Runs)
	}
	if !strings.HasPrefix(s.Summary, "The check found 24.8% of the photons changed, above the 11% limit") || s.DetailsOpen {
		t.Errorf("newest exchange: summary %q, details open %v", s.Summary, s.DetailsOpen)
	}
	p.SelectExchange(0)
	s = p.Shown()
	// A plain sentence leads; the numbers wait under Details.
	if s.Summary != "A fresh 256-bit key was made; 1.2% of the photons arrived changed, well under the 11% that would mean someone listened." {
		t.Errorf("first exchange: summary %q", s.Summary)
	}
	for _, jargon := range []string{"QBER", "sifted", "leaked", "epoch"} {
		if strings.Contains(s.Summary, jargon) {
			t.Errorf("summary %q speaks of %q", s.Summary, jargon)
		}
	}
	if s.Verdict != "secure" || s.Counts["Key"] != "256 bits" || s.Counts["Sent"] != "8000" || s.Qubits != 3 || s.FirstQubit != "1" {
		t.Errorf("first exchange: %+v", s)
	}
	p.ShowBloch(2)
	if c := p.Shown().BlochCaption; !strings.HasPrefix(c, "Qubit 2: Alice sent") || !strings.Contains(c, "wrong basis") {
		t.Errorf("bloch caption %q", c)
	}
	// Re-key without a session says so in the status line.
	test.Tap(p.rekey)
	if status != "Not connected to Bob: nothing to re-key." {
		t.Errorf("status %q", status)
	}
}
