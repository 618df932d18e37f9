package ledger

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// setAsideOrphanJournal renames the journal files beside path out of the
// way when path itself does not exist, so that the ledger about to be
// created there does not take another ledger's journalled transactions as
// its own. It happens when ledger.db was deleted or moved and its journal
// was not: those records belong to a ledger that is gone, and replaying
// them into a new one would put the old ledger's messages into it (or
// report them as lost). The files are kept, as
// ledger.db-journal.N.orphaned-TIME, for whoever wants to look at them.
func setAsideOrphanJournal(path string) error {
	if _, err := os.Stat(path); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return nil // an existing ledger (or one Open will report on)
	}
	stamp := time.Now().UTC().Format("20060102T150405Z")
	for _, jp := range journalPaths(path) {
		if _, err := os.Lstat(jp); err != nil {
			continue
		}
		if err := os.Rename(jp, jp+".orphaned-"+stamp); err != nil {
			return fmt.Errorf("ledger: create %s: set aside the journal of a ledger that is gone: %w", path, err)
		}
	}
	return nil
}
