package cases

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"qkdchat/app"
)

// testJobs runs the pane's work as the shell does, serialised with the
// test's own reads by one lock (the headless driver runs fyne.Do on the
// calling goroutine).
type testJobs struct {
	mu  *sync.Mutex
	ctx context.Context
	wg  sync.WaitGroup
}

func (j *testJobs) Context() context.Context { return j.ctx }

func (j *testJobs) Go(f func()) {
	j.wg.Add(1)
	go func() { defer j.wg.Done(); f() }()
}

func (j *testJobs) Do(f func()) {
	if j.ctx.Err() != nil {
		return
	}
	fyne.Do(func() {
		j.mu.Lock()
		defer j.mu.Unlock()
		if j.ctx.Err() == nil {
			f()
		}
	})
}

// nodePeers names a node's contacts and tells who is online.
type nodePeers struct{ n *app.Node }

func (p nodePeers) Name(fp string) string {
	cs, _ := p.n.Contacts()
	for _, c := range cs {
		if c.Fingerprint == fp {
			return c.Name
		}
	}
	return fp
}

func (p nodePeers) Online(fp string) bool { _, ok := p.n.Session(fp); return ok }

// rig is one node with its pane, fed the node's events as the shell does.
type rig struct {
	n    *app.Node
	pane *Pane
}

func newRig(t *testing.T, mu *sync.Mutex, name string, role app.Role) *rig {
	t.Helper()
	dir := t.TempDir()
	if err := app.SaveProfile(dir, app.Profile{Name: name, Role: role}); err != nil {
		t.Fatal(err)
	}
	n, err := app.Open(app.Options{Dir: dir, SendTimeout: 20 * time.Second, RekeyInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	jobs := &testJobs{mu: mu, ctx: ctx}
	r := &rig{n: n}
	w := test.NewTempWindow(t, nil)
	mu.Lock()
	r.pane = New(w, role, n, jobs, nodePeers{n})
	w.SetContent(r.pane.Content())
	mu.Unlock()
	ev, stop := n.Events()
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer stop()
		for {
			select {
			case <-ctx.Done():
				return
			case e := <-ev:
				jobs.Do(func() {
					switch e.Type {
					case app.EventCase:
						r.pane.ReloadCases()
					case app.EventTransfer:
						r.pane.ShowTransfer(e)
					case app.EventPaired, app.EventDisconnected:
						r.pane.RefreshContacts()
					}
				})
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		jobs.wg.Wait()
		n.Close()
	})
	return r
}

// pair connects a to b and waits for a key on both.
func pair(t *testing.T, a, b *rig) {
	t.Helper()
	aev, astop := a.n.Events()
	defer astop()
	bev, bstop := b.n.Events()
	defer bstop()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	addr, code, err := b.n.Listen(ctx, "127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.n.Connect(context.Background(), addr.String(), code); err != nil {
		t.Fatal(err)
	}
	for _, ev := range []<-chan app.Event{aev, bev} {
		deadline := time.After(40 * time.Second)
	wait:
		for {
			select {
			case e := <-ev:
				if e.Type == app.EventKeyEstablished {
					break wait
				}
			case <-deadline:
				t.Fatal("timed out waiting for a key")
			}
		}
	}
}

// eventually polls cond under the lock until it holds, or fails.
func eventually(t *testing.T, mu *sync.Mutex, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(40 * time.Second)
	for {
		mu.Lock()
		ok := cond()
		mu.Unlock()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestRolePanesHealthRecordReferralReport(t *testing.T) {
	test.NewTempApp(t)
	var mu sync.Mutex
	run := func(f func()) { mu.Lock(); defer mu.Unlock(); f() }
	pat := newRig(t, &mu, "Pat", app.RolePatient)
	hos := newRig(t, &mu, "Mercy", app.RoleHospital)
	doc := newRig(t, &mu, "Dr Who", app.RoleDoctor)
	pair(t, pat, hos) // patient - hospital
	pair(t, hos, doc) // hospital - doctor; the hospital relays the report
	sp, sh, sd := pat.pane, hos.pane, doc.pane
	scan := filepath.Join(t.TempDir(), "scan.txt")
	if err := os.WriteFile(scan, bytes.Repeat([]byte("x-ray "), 40000), 0o600); err != nil {
		t.Fatal(err)
	}

	// Patient: an incomplete form is refused, a complete one is sent with
	// an attachment whose progress shows.
	run(func() {
		if sp.Title() != "Health record" {
			t.Errorf("patient's role tab %q", sp.Title())
		}
		sp.RefreshContacts()
		if sp.hospital.Selected != "Mercy" {
			t.Errorf("hospital choice %q of %v", sp.hospital.Selected, sp.hospital.Options)
		}
		if sp.phr["Patient name"].Text != "Pat" {
			t.Errorf("patient name %q, want the profile's", sp.phr["Patient name"].Text)
		}
		sp.phr["Patient name"].SetText("")
		test.Tap(sp.submitPHR)
		if sp.status.Importance != widget.DangerImportance || sp.status.Text == "" {
			t.Errorf("empty form: %q", sp.status.Text)
		}
		test.Type(sp.phr["Patient name"], "Pat Smith")
		test.Type(sp.phr["Symptoms"], "cough")
		test.Type(sp.phr["Allergies"], "none")
		sp.phrFiles.Add(scan)
		test.Tap(sp.submitPHR)
	})
	eventually(t, &mu, "the PHR sent", func() bool { return strings.HasPrefix(sp.status.Text, "Sent as case ") })
	eventually(t, &mu, "the attachment's progress", func() bool {
		for _, r := range sp.rows {
			if f, st := r.Progress(); r.Name() == "scan.txt" && f == 1 && st == "done" {
				return true
			}
		}
		return false
	})

	// Hospital: the case arrives; refer it to the doctor.
	eventually(t, &mu, "the case at the hospital", func() bool { return len(sh.cases) == 1 })
	run(func() {
		if sh.Title() != "Cases" {
			t.Errorf("hospital's role tab %q", sh.Title())
		}
		sh.caseList.Select(0)
		if d := sh.caseDetail.Text; !strings.Contains(d, "Pat Smith") || !strings.Contains(d, "cough") || !strings.Contains(d, "scan.txt") {
			t.Errorf("case detail %q", d)
		}
		sh.RefreshContacts()
		if sh.doctor.Selected != "Dr Who" {
			t.Errorf("doctor choice %q of %v", sh.doctor.Selected, sh.doctor.Options)
		}
		test.Tap(sh.refer)
	})
	eventually(t, &mu, "the referral", func() bool { return strings.Contains(sh.status.Text, "referred to Dr Who") })
	// Once referred, the case says so and no longer offers Refer.
	eventually(t, &mu, "the referral shown as done", func() bool {
		return !sh.referForm.Visible() && strings.HasPrefix(sh.done.Text, "Referred to Dr Who on ")
	})

	// Doctor: the referred case arrives; write the report.
	eventually(t, &mu, "the case at the doctor", func() bool { return len(sd.cases) == 1 })
	run(func() {
		if sd.Title() != "Reports" {
			t.Errorf("doctor's role tab %q", sd.Title())
		}
		sd.caseList.Select(0)
		test.Tap(sd.submitReport)
		if sd.status.Importance != widget.DangerImportance {
			t.Errorf("a report without findings: %q", sd.status.Text)
		}
		test.Type(sd.report["Findings"], "bronchitis")
		test.Type(sd.report["Prescriptions"], "rest")
		test.Tap(sd.submitReport)
	})
	eventually(t, &mu, "the report sent", func() bool { return strings.HasPrefix(sd.status.Text, "Report on case ") })
	eventually(t, &mu, "the report shown as sent", func() bool {
		return !sd.reportForm.Visible() && strings.HasPrefix(sd.done.Text, "Report sent on ")
	})
	// The hospital and the patient both get it, with the doctor's
	// signature checked.
	for _, r := range []*rig{pat, hos} {
		p := r.pane
		eventually(t, &mu, "the report at "+r.n.Profile().Name, func() bool {
			if len(p.cases) != 1 {
				return false
			}
			p.caseSel = p.cases[0].ID
			p.showCase()
			d := p.caseDetail.Text
			return strings.Contains(d, "Findings: bronchitis") && strings.Contains(d, "signature verified")
		})
	}
}
