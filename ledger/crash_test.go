package ledger

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestHelperProcess is the child of TestSIGKILLDuringAppends: it appends
// from several goroutines forever and prints every acknowledged append.
func TestHelperProcess(t *testing.T) {
	path := os.Getenv("LEDGER_CRASH_DB")
	if path == "" {
		t.Skip("helper process for TestSIGKILLDuringAppends")
	}
	a, b := testIdentity(1), testIdentity(2)
	l, err := Open(path, a, &Options{BlockMaxTx: 8, BlockMaxAge: 5 * time.Millisecond})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	var mu sync.Mutex
	out := bufio.NewWriter(os.Stdout)
	for w := range 4 {
		go func() {
			r := seeded(uint64(1000 + w))
			for i := 0; ; i++ {
				tx := newTx(t, r, a, b, w<<20+i)
				rc, err := l.Append(context.Background(), tx)
				mu.Lock()
				if err != nil {
					fmt.Fprintln(out, "error", err)
				} else {
					fmt.Fprintf(out, "ack %d %s\n", rc.Index, rc.ID)
				}
				out.Flush()
				mu.Unlock()
			}
		}()
	}
	select {} // until killed
}

func TestSIGKILLDuringAppends(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	path := filepath.Join(t.TempDir(), "ledger.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "LEDGER_CRASH_DB="+path)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := map[int64]TxID{}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() && len(acked) < 300 {
		var idx int64
		var hexID string
		if _, err := fmt.Sscanf(sc.Text(), "ack %d %s", &idx, &hexID); err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("child: %s", sc.Text())
		}
		id, err := ParseTxID(hexID)
		if err != nil {
			t.Fatal(err)
		}
		acked[idx] = id
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// Acknowledgements printed before the kill landed are valid too.
	for sc.Scan() {
		var idx int64
		var hexID string
		if _, err := fmt.Sscanf(sc.Text(), "ack %d %s", &idx, &hexID); err == nil {
			if id, err := ParseTxID(hexID); err == nil {
				acked[idx] = id
			}
		}
	}
	cmd.Wait()
	if len(acked) < 300 {
		t.Fatalf("child acknowledged only %d appends", len(acked))
	}
	l, err := Open(path, testIdentity(1), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for idx, id := range acked {
		got, _, err := l.Lookup(id)
		if err != nil || got != idx {
			t.Fatalf("acknowledged transaction %d (%s) after the kill: at %d, %v", idx, id, got, err)
		}
	}
	rep := mustVerify(t, l)
	if rep.Size < int64(len(acked)) {
		t.Fatalf("ledger holds %d transactions, %d were acknowledged", rep.Size, len(acked))
	}
	// It keeps working after the crash.
	fill(t, l, seeded(35), testIdentity(1), testIdentity(2), 3)
	mustVerify(t, l)
}
