package cases

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"qkdchat/node"
	"qkdchat/nodetest"
	"qkdchat/ui/files"
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
type nodePeers struct{ n *node.Node }

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
	n        *node.Node
	pane     *Pane
	lmu      sync.Mutex
	launched []string // files the pane asked the OS to open (off the UI lock)
	saveTo   string   // where Save… saves
	unseen   []int    // the badge counts the pane reported
}

func (r *rig) Launch(path string) error {
	r.lmu.Lock()
	defer r.lmu.Unlock()
	r.launched = append(r.launched, path)
	return nil
}

func (r *rig) opened() []string {
	r.lmu.Lock()
	defer r.lmu.Unlock()
	return append([]string(nil), r.launched...)
}

func (r *rig) AskSave(_ string, done func(string)) { done(r.saveTo) }

func newRig(t *testing.T, mu *sync.Mutex, name string, role node.Role) *rig {
	t.Helper()
	n, _ := nodetest.New(t, name, role, node.BB84Settings{})
	ctx, cancel := context.WithCancel(context.Background())
	jobs := &testJobs{mu: mu, ctx: ctx}
	r := &rig{n: n}
	w := test.NewTempWindow(t, nil)
	mu.Lock()
	r.pane = New(w, role, n.Clinic(), jobs, nodePeers{n})
	r.saveTo = filepath.Join(t.TempDir(), "saved")
	acts := &files.Actions{Reader: n.Clinic(), Launch: r, Saver: r, Jobs: jobs, Status: r.pane.setStatus, Win: w}
	t.Cleanup(func() { acts.Cleanup() })
	r.pane.SetFiles(acts)
	r.pane.OnUnseen(func(n int) { r.unseen = append(r.unseen, n) })
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
					case node.EventCase:
						r.pane.ReloadCases()
					case node.EventTransfer:
						r.pane.ShowTransfer(e)
					case node.EventPaired, node.EventDisconnected:
						r.pane.RefreshContacts()
					case node.EventMessage:
						if m := e.Message; m != nil && !m.Outgoing && m.Kind != "chat" {
							r.pane.MarkUnseen(m.CaseID, false)
						}
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

// eventually polls cond under the lock until it holds, or fails.
func eventually(t *testing.T, mu *sync.Mutex, what string, cond func() bool) {
	t.Helper()
	nodetest.Eventually(t, what, nodetest.Under(nodetest.Locked(mu), cond))
}

func TestRolePanesHealthRecordReferralReport(t *testing.T) {
	test.NewTempApp(t)
	var mu sync.Mutex
	run := func(f func()) { mu.Lock(); defer mu.Unlock(); f() }
	pat := newRig(t, &mu, "Pat", node.RolePatient)
	hos := newRig(t, &mu, "Mercy", node.RoleHospital)
	doc := newRig(t, &mu, "Dr Who", node.RoleDoctor)
	nodetest.Pair(t, pat.n, hos.n) // patient - hospital
	nodetest.Pair(t, hos.n, doc.n) // hospital - doctor; the hospital relays the report
	// Roles are granted, not claimed: the hospital refers only to a doctor
	// it approved (this one paired with the plain code, not an invite).
	if _, err := hos.n.Clinic().Approve(doc.n.Fingerprint()); err != nil {
		t.Fatal(err)
	}
	sp, sh, sd := pat.pane, hos.pane, doc.pane
	letter := filepath.Join(t.TempDir(), "letter.pdf")
	letterBytes := bytes.Repeat([]byte("%PDF discharge "), 30000)
	if err := os.WriteFile(letter, letterBytes, 0o600); err != nil {
		t.Fatal(err)
	}
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
	eventually(t, &mu, "the PHR sent", func() bool { return strings.HasPrefix(sp.status.Text, "Sent: Pat Smith · ") })
	eventually(t, &mu, "the attachment's progress", func() bool {
		for _, r := range sp.rows {
			if f, st := r.Progress(); r.Name() == "scan.txt" && f == 1 && st == "done · 234.4 KB" {
				return true
			}
		}
		return false
	})

	// Hospital: the case arrives; refer it to the doctor.
	eventually(t, &mu, "the case at the hospital, marked new", func() bool { return len(sh.cases) == 1 && sh.Unseen() == 1 })
	run(func() {
		if sh.Title() != "Cases" {
			t.Errorf("hospital's role tab %q", sh.Title())
		}
		if sh.caseSel != "" {
			t.Errorf("the new case was opened for the user: %q", sh.caseSel)
		}
		if l := sh.list.caseLabel(sh.cases[0]); !strings.HasPrefix(l, "● Pat Smith · ") || !strings.Contains(l, "cough") {
			t.Errorf("case row %q", l)
		}
		sh.caseList.Select(0)
		if sh.Unseen() != 0 || hos.unseen[len(hos.unseen)-1] != 0 {
			t.Errorf("opening the case left %d unseen (badge reports %v)", sh.Unseen(), hos.unseen)
		}
		if d := sh.caseDetail.Text; !strings.Contains(d, "Pat Smith") || !strings.Contains(d, "cough") || strings.Contains(d, "case-") {
			t.Errorf("case detail %q", d)
		}
		if len(sh.fileRows) != 1 || sh.fileRows[0].Label.Text != "scan.txt · 234.4 KB" {
			t.Errorf("case files %+v", sh.fileRows)
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
		sd.reportFiles.Add(letter)
		test.Tap(sd.submitReport)
	})
	eventually(t, &mu, "the report sent", func() bool { return strings.HasPrefix(sd.status.Text, "Report on Pat Smith · ") })
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

	// The patient opens and saves the doctor's attachment from the case
	// view: the bytes are the doctor's.
	var save, open *files.Row
	run(func() {
		for _, r := range sp.fileRows {
			if r.File.Name == "letter.pdf" {
				save, open = r, r
			}
		}
		if save == nil {
			t.Fatalf("the patient's case view lists %d files, none the report's letter.pdf", len(sp.fileRows))
		}
		if !strings.HasPrefix(save.Label.Text, "letter.pdf · 439.5 KB") {
			t.Errorf("file row %q", save.Label.Text)
		}
		test.Tap(save.Save)
	})
	eventually(t, &mu, "the saved file", func() bool { return strings.HasPrefix(sp.status.Text, "Saved letter.pdf to ") })
	run(func() { test.Tap(open.Open) })
	eventually(t, &mu, "the opened file", func() bool { return len(pat.opened()) == 1 && strings.HasPrefix(sp.status.Text, "Opened") })
	for _, p := range []string{pat.saveTo, pat.opened()[0]} {
		if b, err := os.ReadFile(p); err != nil || !bytes.Equal(b, letterBytes) {
			t.Errorf("%s holds %d bytes (%v), want the doctor's %d", p, len(b), err, len(letterBytes))
		}
	}
	if filepath.Base(pat.opened()[0]) != "letter.pdf" {
		t.Errorf("opened as %s", pat.opened()[0])
	}
}
