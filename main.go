// Command qkdchat is QKD Chat: with no arguments it opens the desktop app;
// with a subcommand it runs headless (see `qkdchat help`).
package main

import (
	"context"
	_ "embed"
	"fmt"
	"os"
	"os/signal"
	"regexp"
	"syscall"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"

	"qkdchat/app"
	"qkdchat/app/cli"
	"qkdchat/assets"
	"qkdchat/ui"
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

	if len(os.Args) < 2 {
		runGUI(ctx)
		return
	}
	env := &cli.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Version: version()}
	os.Exit(cli.Main(ctx, env, os.Args[1:]))
}

// runGUI opens the main window and blocks until it is closed or the process
// is asked to stop (SIGINT or SIGTERM), in which case it quits cleanly.
func runGUI(ctx context.Context) {
	dir, err := app.DefaultDataDir()
	if err == nil {
		err = app.EnsureDataDir(dir)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "qkdchat: %v\n", err)
		os.Exit(1)
	}
	a := fyneapp.NewWithID(appID)
	a.SetIcon(assets.Icon())
	w := ui.NewMainWindow(a, version())
	go func() {
		<-ctx.Done()
		fyne.Do(a.Quit)
	}()
	w.ShowAndRun()
	if ctx.Err() != nil {
		fmt.Fprintln(os.Stderr, "qkdchat: stopped by signal")
	}
}
