package ledger

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"fyne.io/fyne/v2/test"

	ledgerdb "qkdchat/ledger"
	"qkdchat/node"
	"qkdchat/node/audit"
	"qkdchat/nodetest"
)

// uiThread stands in for the app's UI goroutine: Run and the pane's Do
// hold one lock, and Spawn's goroutines are waited for at cleanup.
type uiThread struct {
	mu sync.Mutex
	wg sync.WaitGroup
}

func (th *uiThread) Run(f func()) { th.mu.Lock(); defer th.mu.Unlock(); f() }

func newTestNode(t *testing.T, name string, role node.Role) *node.Node {
	t.Helper()
	n, _ := nodetest.New(t, name, role, node.BB84Settings{})
	return n
}

// newTestPane shows n's ledger pane in a test window, with every contact
// of n named.
func newTestPane(t *testing.T, n *node.Node) (*uiThread, *Pane) {
	t.Helper()
	th := &uiThread{}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); th.wg.Wait() })
	names := map[string]string{}
	cs, err := n.Contacts()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		names[c.Fingerprint] = c.Name
	}
	w := test.NewTempWindow(t, nil)
	env := Env{
		Ctx: ctx, Win: w,
		Spawn: func(f func()) { th.wg.Add(1); go func() { defer th.wg.Done(); f() }() },
		Do: func(f func()) {
			if ctx.Err() == nil {
				th.Run(f)
			}
		},
		NameOf: func(fp string) string { return names[fp] },
		Names: func() map[string]string {
			m := make(map[string]string, len(names))
			for fp, name := range names {
				m[fp] = name
			}
			return m
		},
		SelfName: n.Profile().Name,
		Shown:    func() bool { return true },
		Status:   func(string) {},
		Relayout: func() {},
	}
	var p *Pane
	th.Run(func() {
		p = New(n.Auditor(), env)
		w.SetContent(p.Content())
	})
	return th, p
}

// eventually polls cond on the UI thread until it holds, or fails.
func eventually(t *testing.T, th *uiThread, what string, cond func() bool) {
	t.Helper()
	nodetest.Eventually(t, what, nodetest.Under(th.Run, cond))
}

func TestLedgerBrowserVerifyProveExportSearch(t *testing.T) {
	test.NewTempApp(t)
	alice := newTestNode(t, "Alice", node.RolePatient)
	bob := newTestNode(t, "Bob", node.RoleHospital)
	nodetest.Pair(t, alice, bob)
	ss, _ := alice.Session("Bob")
	for i, c := range []string{"", "C-1", ""} {
		if _, err := ss.Send(context.Background(), node.KindChat, c, "secret "+string(rune('a'+i)), nil); err != nil {
			t.Fatal(err)
		}
	}
	th, p := newTestPane(t, alice)
	// The key event and the three messages, newest first.
	eventually(t, th, "four transactions", func() bool {
		if len(p.rows) < 4 {
			p.MarkStale()
			return false
		}
		return true
	})
	th.Run(func() {
		r := p.rows
		if r[0].Index <= r[1].Index {
			t.Errorf("not newest first: %d then %d", r[0].Index, r[1].Index)
		}
		p.txList.Select(0)
		d := p.detail.Text
		for _, want := range []string{"TxID (Merkle leaf hash): " + r[0].ID.String(), "Signature: valid", "secret c", "To Bob"} {
			if !strings.Contains(d, want) {
				t.Errorf("detail lacks %q:\n%s", want, d)
			}
		}
		test.Tap(p.prove)
	})
	eventually(t, th, "the proof", func() bool { return strings.HasPrefix(p.proofOut.Text, "Proof verified") })

	// Search by case and by kind.
	th.Run(func() {
		p.search.SetText("C-1")
		test.Tap(nodetest.FindButton(p.content, "Search"))
	})
	eventually(t, th, "the search result", func() bool { return len(p.rows) == 1 && p.rows[0].CaseID == "C-1" })
	th.Run(func() {
		p.search.SetText("")
		p.kind.SetSelected("key-event")
	})
	eventually(t, th, "the kind filter", func() bool {
		return len(p.rows) == 1 && p.rows[0].Kind == audit.TxKindKeyEvent
	})

	// Verify.
	th.Run(func() { test.Tap(p.verify) })
	eventually(t, th, "the verdict", func() bool { return strings.HasPrefix(p.verdict.Text, "Ledger verified") })
	th.Run(func() {
		if f, st := p.progress.Progress(); f != 1 || st != "done" {
			t.Errorf("progress %v %q", f, st)
		}
	})

	// Export, and check the file as an auditor would.
	buf := &closeBuffer{}
	th.Run(func() { p.exportTo(buf, "audit.jsonl") })
	eventually(t, th, "the export", func() bool { return strings.HasPrefix(p.verdict.Text, "Exported") })
	rep, err := ledgerdb.VerifyExport(context.Background(), bytes.NewReader(buf.Bytes()))
	if err != nil || !rep.OK || rep.Size < 4 {
		t.Fatalf("export does not verify: %+v %v", rep, err)
	}
}

type closeBuffer struct{ bytes.Buffer }

func (*closeBuffer) Close() error { return nil }

func TestVerifyVerdictNamesFirstBadBlock(t *testing.T) {
	msg, ok := verifyVerdict(&audit.VerifyReport{OK: false, FirstBadHeight: 3, BadIndex: 17, Reason: "block hash mismatch"}, nil)
	if ok || msg != "Ledger is NOT intact: first bad block is 3 (transaction #17): block hash mismatch" {
		t.Errorf("%q %v", msg, ok)
	}
	msg, ok = verifyVerdict(nil, errors.New("boom"))
	if ok || !strings.HasPrefix(msg, "Verification failed") {
		t.Errorf("%q %v", msg, ok)
	}
	msg, ok = verifyVerdict(&audit.VerifyReport{OK: true, Size: 5, Blocks: 2, FirstBadHeight: -1, BadIndex: -1}, nil)
	if !ok || !strings.HasPrefix(msg, "Ledger verified: 5 transactions in 2 blocks") {
		t.Errorf("%q %v", msg, ok)
	}
}
