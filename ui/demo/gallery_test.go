package demo

import (
	"context"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"qkdchat/ui"
	"qkdchat/ui/prefs"
)

// TestGalleryOutcomes: the gallery's lessons, each one seeded run of the
// real simulator at 50 km. PNS against a laser without decoys, under the
// UNSAFE single-photon assumption, yields a key Eve knows almost all of,
// at a QBER no higher than without her; the honest bound (GLLP) refuses a
// key; decoys catch her; intercept-resend on single photons is caught by
// the error rate.
func TestGalleryOutcomes(t *testing.T) {
	run := func(s GallerySettings) GalleryOutcome {
		t.Helper()
		o, err := RunGallery(context.Background(), s, 7)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	unsafe := GallerySettings{Attack: AttackPNS, Laser: true, Unsafe: true, FiberKm: 50}
	clean := unsafe
	clean.Attack = AttackNone
	pns, base := run(unsafe), run(clean)
	if !pns.Key || pns.EveKnows < pns.KeyBits*9/10 || !strings.HasPrefix(pns.Headline, "UNSAFE") || !strings.Contains(pns.Headline, "Eve wins") {
		t.Fatalf("PNS, no decoys, UNSAFE: key %v, Eve knows %d of %d: %q", pns.Key, pns.EveKnows, pns.KeyBits, pns.Headline)
	}
	if !base.Key || base.EveKnows != 0 || pns.QBER > base.QBER+0.01 {
		t.Fatalf("without Eve: key %v, Eve knows %d, QBER %.4f; with PNS %.4f", base.Key, base.EveKnows, base.QBER, pns.QBER)
	}
	for _, tc := range []struct {
		s    GallerySettings
		want string
	}{
		{GallerySettings{Attack: AttackPNS, Laser: true, Decoys: true, FiberKm: 50}, "Caught by the decoys"},
		{GallerySettings{Attack: AttackPNS, Laser: true, FiberKm: 50}, "No key: without decoys"},
		{GallerySettings{Attack: AttackInterceptResend, FiberKm: 10}, "Caught: the error rate"},
	} {
		o := run(tc.s)
		if o.Key || !o.Caught || !strings.HasPrefix(o.Headline, tc.want) || strings.Contains(o.Headline, "UNSAFE") {
			t.Errorf("%+v: key %v, caught %v: %q, want %q", tc.s, o.Key, o.Caught, o.Headline, tc.want)
		}
	}
}

// TestGalleryPresets drives the pane headless: the two "Try" buttons'
// settings give Eve's win, labelled UNSAFE, and then her capture; the
// UNSAFE box is only offered for a laser without decoys. With
// QKDCHAT_GALLERY_SHOTS=dir it also writes the pane at 1400x900 and
// 800x600, light and dark, to dir.
func TestGalleryPresets(t *testing.T) {
	a := test.NewTempApp(t)
	th := &ui.Thread{}
	jobs := ui.NewJobs(context.Background(), th)
	defer func() { jobs.Stop(); jobs.Wait() }()
	var g *Gallery
	outcomes := make(chan GalleryOutcome, 8)
	th.Run(func() {
		g = NewGallery(jobs, 7)
		g.OnOutcome = func(o GalleryOutcome) { outcomes <- o }
	})
	w := a.NewWindow("gallery")
	w.SetContent(g.Content())
	wait := func() GalleryOutcome {
		t.Helper()
		select {
		case o := <-outcomes:
			return o
		case <-time.After(60 * time.Second):
			t.Fatal("no gallery outcome after 60 s")
		}
		return GalleryOutcome{}
	}
	th.Run(func() { g.Preset(AttackPNS, true, false, true, 50) })
	o := wait()
	var head string
	var unsafeOn bool
	th.Run(func() { head, unsafeOn = g.headline.Text, !g.unsafe.Disabled() })
	if !o.Key || !strings.HasPrefix(head, "UNSAFE") || !strings.Contains(head, "Eve wins") || !unsafeOn {
		t.Fatalf("PNS without decoys: %q (unsafe box enabled %v)", head, unsafeOn)
	}
	shoot(t, a, w, th, g, "pns-unsafe")
	th.Run(func() { g.Preset(AttackPNS, true, true, false, 50) })
	o = wait()
	th.Run(func() { head, unsafeOn = g.headline.Text, !g.unsafe.Disabled() })
	if o.Key || !strings.HasPrefix(head, "Caught by the decoys") || unsafeOn {
		t.Fatalf("PNS with decoys: %q (unsafe box enabled %v)", head, unsafeOn)
	}
	shoot(t, a, w, th, g, "pns-decoys")
}

// shoot writes the window at the two sizes and both themes when
// QKDCHAT_GALLERY_SHOTS names a directory.
func shoot(t *testing.T, a fyne.App, w fyne.Window, th *ui.Thread, g *Gallery, name string) {
	t.Helper()
	dir := os.Getenv("QKDCHAT_GALLERY_SHOTS")
	if dir == "" {
		return
	}
	for _, theme := range []string{"light", "dark"} {
		for _, size := range []fyne.Size{fyne.NewSize(1400, 900), fyne.NewSize(800, 600)} {
			var err error
			path := filepath.Join(dir, name+"-"+theme+"-"+sizeName(size)+".png")
			th.Run(func() {
				prefs.ApplyTheme(a, theme)
				w.Resize(size)
				g.redraw()
				var f *os.File
				if f, err = os.Create(path); err == nil {
					err = png.Encode(f, w.Canvas().Capture())
					if cerr := f.Close(); err == nil {
						err = cerr
					}
				}
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
}

func sizeName(s fyne.Size) string {
	if s.Width >= 1400 {
		return "1400x900"
	}
	return "800x600"
}

// TestDemoGalleryTab: Eve's window of the real demo has the attack
// gallery as a tab; opening it runs the default setting (a laser with
// decoys, no attack, 25 km), which makes a key Eve knows nothing of.
func TestDemoGalleryTab(t *testing.T) {
	a := test.NewTempApp(t)
	seed := uint64(3)
	d, err := Start(context.Background(), a, Options{Dir: t.TempDir(), Seed: &seed})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	outcomes := make(chan GalleryOutcome, 4)
	d.th.Run(func() {
		d.Gallery.OnOutcome = func(o GalleryOutcome) { outcomes <- o }
		d.ShowGallery()
	})
	select {
	case o := <-outcomes:
		if !o.Key || o.EveKnows != 0 || o.Settings.Attack != AttackNone || !o.Settings.Laser || !o.Settings.Decoys {
			t.Fatalf("default gallery run: %+v", o)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("opening the gallery ran nothing in 60 s")
	}
}
