package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Env is what a command may touch: its streams and the build's version.
type Env struct {
	Stdin   io.Reader
	Stdout  io.Writer
	Stderr  io.Writer
	Version string
}

// Command is one subcommand of qkdchat.
type Command struct {
	Name    string // the word typed after qkdchat
	Summary string // one line for the usage listing
	// Run executes the command with the arguments that follow its name.
	// Returning a UsageError exits 2, an ExitError exits with its code,
	// any other error prints it and exits 1.
	Run func(ctx context.Context, env *Env, args []string) error
}

// UsageError reports a command line that could not be understood.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Usagef returns a UsageError with a formatted message.
func Usagef(format string, a ...any) error { return &UsageError{Msg: fmt.Sprintf(format, a...)} }

// ExitError ends the program with Code after printing Err (when non-nil).
// It is for results that are not failures of the program itself, such as
// `ledger verify` finding a bad block.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// Main runs the command named by args[0] and returns the process exit code.
// extra adds commands defined outside this package (the GUI ones).
func Main(ctx context.Context, env *Env, args []string, extra ...Command) int {
	cmds := commands(extra)
	if len(args) == 0 {
		printUsage(env.Stderr, cmds)
		return 2
	}
	name := args[0]
	if name == "-h" || name == "--help" || name == "-help" {
		name = "help"
	}
	cmd, ok := cmds[name]
	if !ok {
		fmt.Fprintf(env.Stderr, "qkdchat: unknown command %q\n\n", name)
		printUsage(env.Stderr, cmds)
		return 2
	}
	if name == "help" {
		return runHelp(env, args[1:], cmds)
	}
	err := cmd.Run(ctx, env, args[1:])
	return exitCode(env, name, err)
}

func exitCode(env *Env, name string, err error) int {
	var usage *UsageError
	var exit *ExitError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &usage):
		fmt.Fprintf(env.Stderr, "qkdchat %s: %s\nRun 'qkdchat help %s' for usage.\n", name, usage.Msg, name)
		return 2
	case errors.As(err, &exit):
		if exit.Err != nil {
			fmt.Fprintf(env.Stderr, "qkdchat %s: %v\n", name, exit.Err)
		}
		return exit.Code
	default:
		fmt.Fprintf(env.Stderr, "qkdchat %s: %v\n", name, err)
		return 1
	}
}

func commands(extra []Command) map[string]Command {
	m := map[string]Command{}
	for _, c := range builtin() {
		m[c.Name] = c
	}
	for _, c := range extra {
		m[c.Name] = c
	}
	return m
}

func builtin() []Command {
	return []Command{
		{Name: "version", Summary: "print the version", Run: runVersion},
		{Name: "help", Summary: "show usage, or the usage of one command"},
		{Name: "listen", Summary: "wait for peers and chat with them (headless)", Run: runListen},
		{Name: "connect", Summary: "connect to a peer and chat (headless)", Run: runConnect},
		{Name: "eve", Summary: "run an eavesdropper on the quantum link between two peers", Run: runEve},
		{Name: "invite", Summary: "issue an invite for a patient or a doctor (hospital)", Run: runInvite},
		{Name: "contacts", Summary: "list pinned contacts", Run: runContacts},
		{Name: "nearby", Summary: "list the hospitals announcing themselves on the local network", Run: runNearby},
		{Name: "bench", Summary: "measure performance against an in-run baseline", Run: runBench},
		{Name: "ledger", Summary: "verify, show, export and prove the message ledger", Run: runLedger},
		{Name: "simulate", Summary: "run simulated BB84 key exchanges and report them", Run: runSimulate},
		{Name: "keyrate", Summary: "compute the BB84 secret key rate against fibre length", Run: runKeyrate},
	}
}

func printUsage(w io.Writer, cmds map[string]Command) {
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("Usage: qkdchat [COMMAND [flags]]\n\n")
	b.WriteString("With no command, qkdchat opens the desktop app.\n\nCommands:\n")
	for _, n := range names {
		fmt.Fprintf(&b, "  %-10s %s\n", n, cmds[n].Summary)
	}
	b.WriteString("\nRun 'qkdchat help COMMAND' for the flags of one command.\n")
	io.WriteString(w, b.String())
}

func runHelp(env *Env, args []string, cmds map[string]Command) int {
	if len(args) == 0 {
		printUsage(env.Stdout, cmds)
		return 0
	}
	cmd, ok := cmds[args[0]]
	if !ok || cmd.Run == nil {
		fmt.Fprintf(env.Stderr, "qkdchat help: unknown command %q\n", args[0])
		return 2
	}
	// Every command answers -h with its own flag listing.
	errEnv := *env
	errEnv.Stderr = env.Stdout
	return exitCode(&errEnv, cmd.Name, cmd.Run(context.Background(), &errEnv, []string{"-h"}))
}

func runVersion(_ context.Context, env *Env, args []string) error {
	fs := NewFlagSet(env, "version", "")
	if err := Parse(fs, args); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "qkdchat %s\n", env.Version)
	return nil
}

// NewFlagSet returns a flag set for a subcommand that reports errors
// instead of exiting and prints its usage to env.Stderr.
func NewFlagSet(env *Env, name, argsUsage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: qkdchat %s [flags] %s\n", name, argsUsage)
		fs.PrintDefaults()
	}
	return fs
}

// Parse parses args into fs and turns flag errors into UsageErrors, so they
// exit 2. Positional arguments are allowed before and after flags.
func Parse(fs *flag.FlagSet, args []string) error {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			return &UsageError{Msg: err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
	// Re-parse an empty slice so fs.Args() reports the positionals.
	return fs.Parse(append([]string{"--"}, positional...))
}
