// Command qkdchat is QKD Chat: with no arguments it opens the desktop app;
// with a subcommand it runs headless (see `qkdchat help`).
package main

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"runtime"
	"strings"
	"syscall"

	// clocale must be initialised before Fyne reads the locale; see its doc.
	_ "clocale"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"

	"qkdchat/assets"
	"qkdchat/cli"
	"qkdchat/node"
	"qkdchat/ui"
	"qkdchat/ui/demo"
	"qkdchat/ui/prefs"
)

// appID is the reverse-DNS identifier of the app; it must match FyneApp.toml.
const appID = "org.qkdchat.desktop"

// fyneAppTOML is the packaging metadata, embedded so that the version has
// one source of truth: the Version line of FyneApp.toml.
//
//go:embed FyneApp.toml
var fyneAppTOML []byte

func version() string {
	m := regexp.MustCompile(`(?m)^Version\s*=\s*"([^"]+)"`).FindSubmatch(fyneAppTOML)
	if m == nil {
		return "unknown"
	}
	return string(m[1])
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The first Ctrl-C asks the command to finish cleanly (a session's
	// final checkpoint exchange can take seconds); once it is asked, the
	// signals go back to their default, so a second Ctrl-C ends it at once.
	context.AfterFunc(ctx, stop)

	if len(os.Args) < 2 {
		runGUI(ctx)
		return
	}
	env := &cli.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Version: version()}
	os.Exit(cli.Main(ctx, env, os.Args[1:], cli.Command{
		Name:    "demo",
		Summary: "open Alice, Bob and Eve in three windows to show an eavesdropper being caught",
		Run:     runDemo,
	}))
}

// displayAvailable reports a missing display in words, instead of letting
// GLFW panic deep inside Fyne. It only knows the X11 and Wayland variables,
// so it checks nothing on Windows and macOS.
func displayAvailable() error {
	if runtime.GOOS != "linux" && runtime.GOOS != "freebsd" {
		return nil
	}
	if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		return errors.New("no display: the desktop app needs a graphical session (DISPLAY or WAYLAND_DISPLAY); the headless commands are listed by 'qkdchat help'")
	}
	return nil
}

// runGUI opens the main window and blocks until it is closed or the process
// is asked to stop (SIGINT or SIGTERM), in which case it quits cleanly.
//
// Two environment variables help scripts take screenshots:
// QKDCHAT_THEME (light, dark or system) overrides the theme setting, and
// QKDCHAT_SCREENSHOT_TAB (connect, chat, bb84, ledger, role, settings)
// selects a tab once the window is ready.
func runGUI(ctx context.Context) {
	dir, err := node.DefaultDataDir()
	if err == nil {
		err = node.EnsureDataDir(dir)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "qkdchat: %v\n", err)
		os.Exit(1)
	}
	if err := displayAvailable(); err != nil {
		fmt.Fprintf(os.Stderr, "qkdchat: %v\n", err)
		os.Exit(1)
	}
	a := fyneapp.NewWithID(appID)
	a.SetIcon(assets.Icon())
	mw := ui.NewMainWindow(a, ui.Config{Dir: dir, Version: version(), OnLAN: true})
	if th := os.Getenv("QKDCHAT_THEME"); th != "" {
		prefs.ApplyTheme(a, th)
	}
	if tab := os.Getenv("QKDCHAT_SCREENSHOT_TAB"); tab != "" {
		mw.OnReady(func(s *ui.Shell) { s.ShowTab(tab) })
	}
	go func() {
		<-ctx.Done()
		fyne.Do(a.Quit)
	}()
	mw.Window().ShowAndRun()
	if err := mw.Close(); err != nil {
		fmt.Fprintf(os.Stderr, "qkdchat: %v\n", err)
	}
	if ctx.Err() != nil {
		fmt.Fprintln(os.Stderr, "qkdchat: stopped by signal")
	}
}

// runDemo is `qkdchat demo`: Alice and Bob, two real nodes in temporary
// data directories, paired on loopback through an in-process Eve, each in
// a window, and Eve's window with the sliders, the Re-key button and the
// verdict. With --screenshot-dir it walks through the panes, writes a PNG
// of each and exits.
func runDemo(ctx context.Context, env *cli.Env, args []string) error {
	fs := cli.NewFlagSet(env, "demo", "")
	shots := fs.String("screenshot-dir", "", "write a PNG of every pane into this directory and exit")
	themes := fs.String("themes", "light,dark", "themes to capture with --screenshot-dir (light, dark, system)")
	th := fs.String("theme", "", "theme of the windows: light, dark or system (default: the app's setting)")
	noise := fs.Float64("noise", 0.01, "initial channel error rate (0-0.2)")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return cli.Usagef("unexpected argument %q", fs.Arg(0))
	}
	if *noise < 0 || *noise > 0.2 {
		return cli.Usagef("--noise must be between 0 and 0.2, not %g", *noise)
	}
	var themeList []string
	for _, t := range strings.Split(*themes, ",") {
		t = strings.TrimSpace(t)
		if t != prefs.ThemeLight && t != prefs.ThemeDark && t != prefs.ThemeSystem {
			return cli.Usagef("--themes: unknown theme %q (want light, dark or system)", t)
		}
		themeList = append(themeList, t)
	}
	if *th != "" && *th != prefs.ThemeLight && *th != prefs.ThemeDark && *th != prefs.ThemeSystem {
		return cli.Usagef("--theme: unknown theme %q (want light, dark or system)", *th)
	}
	if err := displayAvailable(); err != nil {
		return err
	}
	a := fyneapp.NewWithID(appID + ".demo")
	a.SetIcon(assets.Icon())
	if *th != "" {
		prefs.ApplyTheme(a, *th)
	}
	d, err := demo.Start(ctx, a, demo.Options{Noise: *noise})
	if err != nil {
		return err
	}
	defer d.Close()
	shotErr := make(chan error, 1)
	if *shots != "" {
		go func() {
			files, err := d.Screenshots(ctx, *shots, themeList, captureX11)
			for _, f := range files {
				fmt.Fprintln(env.Stdout, f)
			}
			shotErr <- err
			fyne.Do(a.Quit)
		}()
	}
	go func() {
		<-ctx.Done()
		fyne.Do(a.Quit)
	}()
	d.ShowAll()
	a.Run()
	if *shots != "" {
		select {
		case err := <-shotErr:
			return err
		default:
			return fmt.Errorf("stopped before the screenshots were done")
		}
	}
	return nil
}

// captureX11 writes a PNG of the X window titled title with xdotool and
// ImageMagick's import: the pixels the X server shows, as a user sees them.
// It is for `qkdchat demo --screenshot-dir` under Xvfb (make screenshots).
func captureX11(ctx context.Context, title, path string) error {
	out, err := exec.CommandContext(ctx, "xdotool", "search", "--name", "^"+regexp.QuoteMeta(title)+"$").Output()
	if err != nil {
		return fmt.Errorf("find window %q with xdotool: %w", title, err)
	}
	ids := strings.Fields(string(out))
	if len(ids) == 0 {
		return fmt.Errorf("no window titled %q", title)
	}
	id := ids[len(ids)-1]
	if err := exec.CommandContext(ctx, "xdotool", "windowraise", id).Run(); err != nil {
		return fmt.Errorf("raise window %q: %w", title, err)
	}
	if out, err := exec.CommandContext(ctx, "import", "-window", id, path).CombinedOutput(); err != nil {
		return fmt.Errorf("import -window %s: %v: %s", id, err, out)
	}
	return nil
}
