package e2e

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// localeEnv returns the environment with every locale variable removed and
// the given ones set, and a fresh home so nothing of the user's is read.
func localeEnv(t *testing.T, set ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		switch k, _, _ := strings.Cut(kv, "="); k {
		case "LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "HOME", "XDG_CONFIG_HOME":
		default:
			env = append(env, kv)
		}
	}
	return append(append(env, "HOME="+t.TempDir(), "XDG_CONFIG_HOME="+t.TempDir()), set...)
}

// TestQuietUnderEveryLocale runs headless commands under the locales that
// made Fyne log "Error parsing user locale C" three times per command, and
// under ordinary ones: no command prints Fyne's noise, and `version` prints
// exactly one line.
func TestQuietUnderEveryLocale(t *testing.T) {
	bin := qkdchatBinary(t)
	locales := [][]string{
		{"LANG=C.UTF-8"}, {"LANG=C.utf8"}, {"LC_ALL=C.UTF-8"}, {"LANG=POSIX.UTF-8"},
		{"LANG=C"}, {"LANG=en_US.UTF-8"}, {"LANG=de_DE.UTF-8", "LANGUAGE=de"},
		{"LC_MESSAGES=C.UTF-8", "LANG=en_GB.UTF-8"}, nil,
	}
	data := t.TempDir()
	commands := [][]string{
		{"version"},
		{"help"},
		{"simulate", "--qubits", "20000", "--seed", "1"},
		{"contacts", "--data", data},
		{"ledger", "verify", "--data", data},
		{"nearby", "--help"},
		{"connect", "--nearby", "St. Mary's", "127.0.0.1:1"}, // refused: both
	}
	for _, loc := range locales {
		for _, args := range commands {
			cmd := exec.Command(bin, args...)
			cmd.Env = localeEnv(t, loc...)
			out, _ := cmd.CombinedOutput()
			text := string(out)
			if strings.Contains(text, "Fyne error") || strings.Contains(text, "user locale") {
				t.Errorf("%v qkdchat %s printed locale noise:\n%s", loc, strings.Join(args, " "), text)
			}
			if args[0] == "version" {
				if lines := strings.Split(strings.TrimRight(text, "\n"), "\n"); len(lines) != 1 || lines[0] == "" {
					t.Errorf("%v qkdchat version printed %d lines, want exactly 1:\n%s", loc, len(lines), text)
				}
			}
		}
	}
}
