package demo

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"fyne.io/fyne/v2"

	"qkdchat/node"
	"qkdchat/ui"
	"qkdchat/ui/prefs"
)

// settle is how long Screenshots waits after a change for the window to
// repaint before capturing it.
const settle = 700 * time.Millisecond

// CaptureFunc writes a PNG of the window titled title, which is the only
// window shown, to path. The demo command's implementation asks the X
// server (xdotool and ImageMagick's import), so that the screenshots are of
// the real windows.
type CaptureFunc func(ctx context.Context, title, path string) error

// Screenshots drives the running demo through a short story and has
// capture write a PNG of every pane, in each theme, at the app's default
// window size and at 800x600, into dir: Alice's (a patient's) Join,
// Connect, Chat, BB84, Bloch, Ledger, Health record and Settings panes,
// Bob's (a hospital's) Invite, Cases, Chat and Ledger panes, Eve's live
// link and attack gallery, and, after Eve intercepts every photon, Eve's
// live link and Alice's BB84 pane again. The files are named
// who-pane[-800x600]-theme.png. It runs on a goroutine of its own while
// the app runs, and returns the files written.
func (d *Demo) Screenshots(ctx context.Context, dir string, themes []string, capture CaptureFunc) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("screenshots: %w", err)
	}
	wait := func() (node.Event, error) {
		select {
		case e := <-d.outcomes:
			return e, nil
		case <-ctx.Done():
			return node.Event{}, ctx.Err()
		case <-time.After(90 * time.Second):
			return node.Event{}, fmt.Errorf("screenshots: no key exchange outcome after 90 s")
		}
	}
	if _, err := wait(); err != nil {
		return nil, err
	}
	// A short conversation with a file and a health record, so the panes
	// have content.
	if err := d.seedStory(ctx); err != nil {
		return nil, err
	}
	d.th.DoAndWait(func() { d.BobShell.Staging().Listened(d.bobAddr, d.bobCode) })
	var files []string
	shoot := func(w fyne.Window, size fyne.Size, name string, prep func()) error {
		d.th.DoAndWait(func() {
			for _, o := range d.Windows() {
				if o != w {
					o.Hide()
				}
			}
			w.Show()
			w.Resize(size)
			if prep != nil {
				prep()
			}
		})
		time.Sleep(settle)
		path := filepath.Join(dir, name+".png")
		if err := capture(ctx, w.Title(), path); err != nil {
			return fmt.Errorf("screenshots: %s: %w", name, err)
		}
		files = append(files, path)
		return nil
	}
	sizes := []fyne.Size{ui.DefaultWindowSize, fyne.NewSize(800, 600)}
	a := fyne.CurrentApp()
	// A shot is a window, the pane's name and what puts the pane on
	// show; shootAll captures a list of them at both sizes.
	type shot struct {
		w    fyne.Window
		name string
		prep func()
	}
	tab := func(sh *ui.Shell, name string) func() { return func() { sh.ShowTab(name) } }
	live := func() { d.eveTabs.SelectIndex(0) }
	panes := func() []shot {
		al, bo := d.AliceShell, d.BobShell
		return []shot{
			{d.EveWin, "eve-live", live},
			{d.EveWin, "eve-gallery", func() { d.ShowGallery(); d.Gallery.redraw() }},
			{d.AliceWin, "alice-join", tab(al, ui.TabJoin)},
			{d.AliceWin, "alice-connect", tab(al, ui.TabConnect)},
			{d.AliceWin, "alice-chat", tab(al, ui.TabChat)},
			{d.AliceWin, "alice-bb84", func() { al.Staging().ShowHistory(); al.ShowTab(ui.TabBB84) }},
			{d.AliceWin, "alice-bloch", func() { al.Staging().ShowBloch(3) }},
			{d.AliceWin, "alice-ledger", func() { al.ShowTab(ui.TabLedger); al.Staging().ProveAndVerifyLedger() }},
			{d.AliceWin, "alice-role", tab(al, ui.TabRole)},
			{d.AliceWin, "alice-settings", tab(al, ui.TabSettings)},
			{d.BobWin, "bob-invite", tab(bo, ui.TabInvite)},
			{d.BobWin, "bob-settings-advanced", func() { bo.Staging().OpenAdvancedSettings() }},
			{d.BobWin, "bob-role", func() { bo.ShowTab(ui.TabRole); bo.Staging().SelectFirstCase() }},
			{d.BobWin, "bob-chat", tab(bo, ui.TabChat)},
			{d.BobWin, "bob-ledger", func() { bo.ShowTab(ui.TabLedger); bo.Staging().ProveAndVerifyLedger() }},
		}
	}
	name := func(pane string, size fyne.Size, th string) string {
		if size == sizes[0] {
			return pane + "-" + th
		}
		return fmt.Sprintf("%s-%.0fx%.0f-%s", pane, size.Width, size.Height, th)
	}
	shootAll := func(th string, list []shot) error {
		d.th.DoAndWait(func() { prefs.ApplyTheme(a, th) })
		// Re-show the last outcome so that the canvas texts pick up the
		// theme's colours.
		d.th.DoAndWait(func() { d.recolour() })
		for _, size := range sizes {
			for _, p := range list {
				if err := shoot(p.w, size, name(p.name, size, th), p.prep); err != nil {
					return err
				}
			}
			d.th.DoAndWait(live)
		}
		return nil
	}
	// The ledger panes load their page when first shown; show them once
	// before the captures so that the page is there.
	d.th.DoAndWait(func() { d.AliceShell.ShowTab(ui.TabLedger); d.BobShell.ShowTab(ui.TabLedger) })
	time.Sleep(settle)
	// The gallery is shown with an outcome, not a run in progress: PNS
	// against a laser with decoys at 50 km, the case a class looks at.
	if err := d.settleGallery(AttackPNS, 50, time.Minute); err != nil {
		return files, err
	}
	for _, th := range themes {
		if err := shootAll(th, panes()); err != nil {
			return files, err
		}
	}
	// The attack: Eve intercepts everything, and the exchange aborts.
	d.th.DoAndWait(func() {
		d.intercept.SetValue(100)
		d.Rekey()
	})
	if _, err := wait(); err != nil {
		return files, err
	}
	attacked := []shot{
		{d.EveWin, "eve-attack", live},
		{d.AliceWin, "alice-bb84-attack", func() { d.AliceShell.Staging().ShowHistory(); d.AliceShell.ShowTab(ui.TabBB84) }},
	}
	for _, th := range themes {
		if err := shootAll(th, attacked); err != nil {
			return files, err
		}
	}
	return files, nil
}

// recolour re-applies the theme's colours to the canvas texts.
func (d *Demo) recolour() {
	if len(d.runs) == 0 {
		return
	}
	d.showOutcomeColours()
}

// seedStory has Alice and Bob exchange two messages, Bob send a file
// and Alice send a health record, and waits until they are delivered.
func (d *Demo) seedStory(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	ev, stop := d.Bob.Events()
	defer stop()
	if _, err := d.Alice.Send(ctx, d.Bob.Fingerprint(), node.KindChat, "", "Hello Bob, our BB84 key is ready. May I send you my health record?", nil); err != nil {
		return fmt.Errorf("screenshots: %w", err)
	}
	if _, err := d.Bob.Send(ctx, d.Alice.Fingerprint(), node.KindChat, "", "Yes please, Alice: use the Health record tab.", nil); err != nil {
		return fmt.Errorf("screenshots: %w", err)
	}
	leaflet := filepath.Join(d.dir, "fever-leaflet.txt")
	if err := os.WriteFile(leaflet, []byte("Rest, drink water, and call us if the fever lasts.\n"), 0o600); err != nil {
		return fmt.Errorf("screenshots: %w", err)
	}
	if _, err := d.Bob.Clinic().SendFiles(ctx, d.Alice.Fingerprint(), "", "Here is our leaflet on fever.", []string{leaflet}); err != nil {
		return fmt.Errorf("screenshots: %w", err)
	}
	phr := node.PHR{PatientName: "Alice Example", DateOfBirth: "1980-04-01", Symptoms: "Headache and fever for three days",
		Medications: "Paracetamol", Allergies: "Penicillin", Notes: "Demo data"}
	if _, err := d.Alice.Clinic().SubmitPHR(ctx, d.Bob.Fingerprint(), phr, nil); err != nil {
		return fmt.Errorf("screenshots: %w", err)
	}
	for {
		select {
		case e := <-ev:
			if e.Type == node.EventCase {
				time.Sleep(time.Second) // let acks and ledger blocks arrive
				return nil
			}
		case <-ctx.Done():
			return fmt.Errorf("screenshots: the health record did not arrive: %w", ctx.Err())
		}
	}
}

// settleGallery runs attack a against a laser with decoys at km in the
// gallery and waits until that run's outcome is on show (no run going
// and none queued), for at most limit.
func (d *Demo) settleGallery(a GalleryAttack, km float64, limit time.Duration) error {
	g := d.Gallery
	d.th.DoAndWait(func() { g.Preset(a, true, true, false, km) })
	deadline := time.Now().Add(limit)
	for {
		var settled bool
		d.th.DoAndWait(func() { settled = !g.running && !g.pending && g.last != nil })
		if settled {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("screenshots: the attack gallery did not finish its run within %s", limit)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
