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
// capture write a PNG of every pane in each theme into dir: Eve's window
// before and after an attack, the Connect, Chat, BB84, Ledger, role and
// Settings panes of Alice (a patient) and the Cases pane of Bob (a
// hospital) at 1100x720, the chat and BB84 panes at 800x600, and Eve's
// attack gallery at both sizes. It runs on
// a goroutine of its own while the app runs, and returns the files written.
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
	// A short conversation and a health record, so the panes have content.
	if err := d.seedStory(ctx); err != nil {
		return nil, err
	}
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
	full := fyne.NewSize(1100, 720)
	small := fyne.NewSize(800, 600)
	a := fyne.CurrentApp()
	for _, th := range themes {
		d.th.DoAndWait(func() { prefs.ApplyTheme(a, th) })
		// Re-show the last outcome so that the canvas texts pick up the
		// theme's colours.
		d.th.DoAndWait(func() { d.recolour() })
		live := func() { d.eveTabs.SelectIndex(0) }
		if err := shoot(d.EveWin, full, "demo-eve-"+th, live); err != nil {
			return files, err
		}
		for _, size := range []fyne.Size{full, small} {
			name := fmt.Sprintf("demo-gallery-%.0fx%.0f-%s", size.Width, size.Height, th)
			if err := shoot(d.EveWin, size, name, func() { d.ShowGallery(); d.Gallery.redraw() }); err != nil {
				return files, err
			}
		}
		d.th.DoAndWait(live)
		for _, tab := range []string{ui.TabConnect, ui.TabChat, ui.TabBB84, ui.TabRole, ui.TabSettings} {
			tab := tab
			if err := shoot(d.AliceWin, full, "alice-"+tab+"-"+th, func() { d.AliceShell.ShowTab(tab) }); err != nil {
				return files, err
			}
		}
		// The ledger: load it, then pick a transaction, prove it and verify
		// the whole ledger.
		d.th.DoAndWait(func() { d.AliceShell.ShowTab(ui.TabLedger) })
		time.Sleep(settle)
		if err := shoot(d.AliceWin, full, "alice-ledger-"+th, d.AliceShell.Staging().ProveAndVerifyLedger); err != nil {
			return files, err
		}
		if err := shoot(d.AliceWin, full, "alice-bloch-"+th, func() { d.AliceShell.Staging().ShowBloch(3) }); err != nil {
			return files, err
		}
		d.th.DoAndWait(d.AliceShell.Staging().ShowHistory)
		for _, tab := range []string{ui.TabChat, ui.TabBB84} {
			tab := tab
			if err := shoot(d.AliceWin, small, "alice-"+tab+"-800x600-"+th, func() { d.AliceShell.ShowTab(tab) }); err != nil {
				return files, err
			}
		}
		if err := shoot(d.BobWin, full, "bob-role-"+th, func() {
			d.BobShell.ShowTab(ui.TabRole)
			d.BobShell.Staging().SelectFirstCase()
		}); err != nil {
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
	for _, th := range themes {
		d.th.DoAndWait(func() { prefs.ApplyTheme(a, th); d.recolour() })
		if err := shoot(d.EveWin, full, "demo-eve-attack-"+th, func() { d.eveTabs.SelectIndex(0) }); err != nil {
			return files, err
		}
		if err := shoot(d.AliceWin, full, "alice-bb84-attack-"+th, func() { d.AliceShell.ShowTab(ui.TabBB84) }); err != nil {
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

// seedStory has Alice and Bob exchange two messages and Alice send a
// health record, and waits until they are delivered.
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
