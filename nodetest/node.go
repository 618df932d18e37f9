package nodetest

import (
	"path/filepath"
	"testing"
	"time"

	"qkdchat/ledger/ledgertest"
	"qkdchat/node"
)

// Options are the node options of a test node: o.BB84 as given, a 20 s
// send timeout (generous for a loaded machine) and no timed rekey, so the
// only key exchanges are those the test starts.
func Options(bb84 node.BB84Settings) node.Options {
	return node.Options{BB84: bb84, SendTimeout: 20 * time.Second, RekeyInterval: -1}
}

// New opens a node named name in role with the BB84 settings bb84 (see
// Options) in a fresh data directory, closed when the test ends. It
// returns the node and its directory.
func New(t testing.TB, name string, role node.Role, bb84 node.BB84Settings) (*node.Node, string) {
	t.Helper()
	return Open(t, node.Profile{Name: name, Role: role}, Options(bb84))
}

// Open saves profile p in o.Dir (a fresh temporary directory if empty),
// opens a node there with o and closes it when the test ends; closing it
// earlier is fine. It returns the node and its directory.
func Open(t testing.TB, p node.Profile, o node.Options) (*node.Node, string) {
	t.Helper()
	if o.Dir == "" {
		o.Dir = t.TempDir()
	}
	if err := node.SaveProfile(o.Dir, p); err != nil {
		t.Fatal(err)
	}
	n, err := node.Open(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n, o.Dir
}

// JournalLost makes the data directory of a node with profile p that ran
// once and whose ledger journal a crash then wiped: the node refuses to
// open until the loss is acknowledged. It returns the directory.
func JournalLost(t testing.TB, p node.Profile) string {
	t.Helper()
	n, dir := Open(t, p, node.Options{})
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	ledgertest.WipeJournal(t, filepath.Join(dir, node.LedgerFile))
	return dir
}
