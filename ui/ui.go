package ui

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"qkdchat/node"
	"qkdchat/ui/prefs"
)

// DefaultWindowSize is the size of the main window on first start.
var DefaultWindowSize = fyne.NewSize(1100, 720)

// Config configures the main window.
type Config struct {
	Dir     string       // data directory (required)
	Version string       // shown on the first-run form
	Logger  *slog.Logger // the engine's log; nil discards
	// OnLAN is the app proper (see ShellOptions.OnLAN): a hospital listens
	// from start-up, a patient or doctor looks for hospitals nearby.
	OnLAN bool
}

// MainWindow is the desktop app's window: the first-run form until a
// profile exists, then the Shell of the local node.
type MainWindow struct {
	app   fyne.App
	win   fyne.Window
	cfg   Config
	th    *Thread
	node  *node.Node
	shell *Shell

	// onReady, if set, is called on the UI goroutine once the shell shows.
	onReady func(*Shell)
}

// NewMainWindow builds the main window of the app and starts opening the
// node in the background. It does not show the window. Call Close after
// the window is gone to close the node.
func NewMainWindow(a fyne.App, cfg Config) *MainWindow {
	m := &MainWindow{app: a, cfg: cfg, th: &Thread{}}
	m.win = a.NewWindow("QKD Chat")
	m.win.Resize(DefaultWindowSize)
	m.win.SetMaster()
	prefs.ApplyTheme(a, prefs.Load(a.Preferences()).Theme)

	_, err := node.LoadProfile(cfg.Dir)
	switch {
	case errors.Is(err, node.ErrNoProfile):
		m.win.SetContent(m.firstRun())
	case err != nil:
		m.win.SetContent(errorContent("Cannot read your profile", err))
	default:
		m.win.SetContent(centered(widget.NewLabel("Opening your data…")))
		m.open()
	}
	return m
}

// OnReady calls f on the UI goroutine once the node is open and the shell
// shows (at once if it already does).
func (m *MainWindow) OnReady(f func(*Shell)) {
	if m.shell != nil {
		f(m.shell)
		return
	}
	m.onReady = f
}

// Window is the app's window.
func (m *MainWindow) Window() fyne.Window { return m.win }

// Shell returns the shell once the node is open, or nil.
func (m *MainWindow) Shell() *Shell { return m.shell }

// Close stops the shell and closes the node (exchanging final checkpoints
// with connected peers).
func (m *MainWindow) Close() error {
	if m.shell != nil {
		m.shell.Close()
	}
	if m.node != nil {
		return m.node.Close()
	}
	return nil
}

// open opens the node in the background and then shows the shell.
func (m *MainWindow) open() {
	st := prefs.Load(m.app.Preferences())
	go func() {
		n, err := node.Open(node.Options{
			Dir:           m.cfg.Dir,
			Logger:        m.cfg.Logger,
			BB84:          st.Link(node.BB84Settings{Noise: 0.01, Threshold: st.Threshold}),
			RekeyInterval: st.NodeRekeyInterval(),
		})
		m.th.Do(func() {
			if err != nil {
				if losses, ok := node.JournalLoss(err); ok {
					m.win.SetContent(m.journalLossContent(err, losses))
					return
				}
				m.win.SetContent(errorContent("Cannot open your data", err))
				return
			}
			m.node = n
			m.shell = NewShell(m.app, m.win, n, ShellOptions{Dir: m.cfg.Dir, StartRekey: st.RekeyInterval, Thread: m.th, OnLAN: m.cfg.OnLAN})
			m.win.SetContent(m.shell.Content())
			if m.onReady != nil {
				m.onReady(m.shell)
			}
		})
	}()
}

// firstRun asks for the user's name and role.
func (m *MainWindow) firstRun() fyne.CanvasObject {
	title := widget.NewLabelWithStyle("Welcome to QKD Chat", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	title.SizeName = "headingText"
	about := widget.NewLabel("Medical messaging over a channel keyed by a simulated BB84 exchange,\n" +
		"with every message kept in a tamper-evident ledger.")
	about.Alignment = fyne.TextAlignCenter
	name := widget.NewEntry()
	name.SetPlaceHolder("e.g. Dr. Ada Lovelace, or St. Mary's Hospital")
	role := widget.NewRadioGroup([]string{
		"Patient: send your health records",
		"Hospital: receive records and refer cases to doctors",
		"Doctor: write reports on referred cases",
	}, nil)
	errLbl := widget.NewLabel("")
	errLbl.Importance = widget.DangerImportance
	errLbl.Wrapping = fyne.TextWrapWord
	start := widget.NewButton("Start", nil)
	start.Importance = widget.HighImportance
	start.OnTapped = func() {
		r, _ := node.ParseRole(strings.SplitN(role.Selected, ":", 2)[0])
		p := node.Profile{Name: strings.TrimSpace(name.Text), Role: r}
		if r == "" {
			errLbl.SetText("Choose your role.")
			return
		}
		if err := p.Validate(); err != nil {
			errLbl.SetText(node.UserError(err))
			return
		}
		if err := node.SaveProfile(m.cfg.Dir, p); err != nil {
			errLbl.SetText("Cannot save your profile: " + node.UserError(err))
			return
		}
		start.Disable()
		m.win.SetContent(centered(widget.NewLabel("Opening your data…")))
		m.open()
	}
	name.OnSubmitted = func(string) { start.OnTapped() }
	form := widget.NewForm(widget.NewFormItem("Your name", name), widget.NewFormItem("You are", role))
	ver := widget.NewLabelWithStyle("Version "+m.cfg.Version, fyne.TextAlignCenter, fyne.TextStyle{Italic: true})
	box := container.NewVBox(title, about, widget.NewSeparator(), form, errLbl, container.NewCenter(start), ver)
	return container.NewCenter(container.NewGridWrap(fyne.NewSize(560, box.MinSize().Height), box))
}

func centered(o fyne.CanvasObject) fyne.CanvasObject { return container.NewCenter(o) }

func errorContent(what string, err error) fyne.CanvasObject {
	l := widget.NewLabel(fmt.Sprintf("%s: %s", what, node.UserError(err)))
	l.Importance = widget.DangerImportance
	l.Wrapping = fyne.TextWrapWord
	return container.NewPadded(l)
}

// journalLossContent is shown instead of the app when the ledger's journal
// lost acknowledged messages (a crash and then damage to the journal
// file): what was lost, in words, and a button to accept the loss and
// open the app. Accepting keeps the loss on record in the ledger.
func (m *MainWindow) journalLossContent(err error, losses []string) fyne.CanvasObject {
	head := widget.NewLabel("Some messages are missing from your ledger")
	head.SizeName = "headingText"
	head.Importance = widget.DangerImportance
	explain := widget.NewLabel("QKD Chat stopped abruptly earlier, and the file that held its most recent " +
		"messages (the ledger journal) was damaged afterwards. Messages that were already confirmed " +
		"could not be recovered. Your contacts still hold their own copies of any message you exchanged " +
		"with them. Accepting the loss opens QKD Chat; the loss stays on record in the ledger, and " +
		"'qkdchat ledger verify' keeps listing it.")
	explain.Wrapping = fyne.TextWrapWord
	list := widget.NewLabel(strings.Join(losses, "\n"))
	list.Wrapping = fyne.TextWrapWord
	detail := widget.NewLabel("Technical details: " + node.UserError(err))
	detail.Wrapping = fyne.TextWrapWord
	detail.Importance = widget.LowImportance
	status := widget.NewLabel("")
	status.Wrapping = fyne.TextWrapWord
	var accept *widget.Button
	accept = widget.NewButtonWithIcon("Accept the loss and open QKD Chat", theme.ConfirmIcon(), func() {
		accept.Disable()
		go func() {
			_, aerr := node.AcknowledgeJournalLoss(m.cfg.Dir)
			m.th.Do(func() {
				if aerr != nil {
					status.SetText("Could not accept the loss: " + node.UserError(aerr))
					accept.Enable()
					return
				}
				m.win.SetContent(centered(widget.NewLabel("Opening your data…")))
				m.open()
			})
		}()
	})
	accept.Importance = widget.DangerImportance
	return container.NewPadded(container.NewVScroll(container.NewVBox(head, explain, list, accept, status, detail)))
}
