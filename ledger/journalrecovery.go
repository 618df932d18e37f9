package ledger

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Metadata of the journal kept in bbolt.
var (
	// metaJournalSession is the number of the last writable Open; the
	// journal frames it writes carry it.
	metaJournalSession = []byte("journal-session")
	// metaJournalLoss holds the journal losses found by recoveries, as a
	// JSON list of JournalLoss, until and after they are acknowledged.
	metaJournalLoss = []byte("journal-loss")
)

// ErrJournalLoss: acknowledged transactions were lost because the journal
// was damaged before they reached bbolt. Branch on it with errors.Is, or
// get the details with errors.As and *JournalLossError.
var ErrJournalLoss = errors.New("ledger: acknowledged transactions lost from the journal")

// JournalLoss is one stretch of acknowledged transactions that a
// recovery could not read back from the journal.
type JournalLoss struct {
	// File is the journal file where the lost records were, as far as can
	// be told, and Record the number of readable records before the damage
	// in it (-1 when the whole file was unreadable); Offset is the byte
	// offset of the damage.
	File    string `json:"file"`
	Missing bool   `json:"missing,omitempty"` // File was missing or empty
	Record  int    `json:"record"`
	Offset  int64  `json:"offset"`
	// First and Last are the ledger indexes the lost transactions were
	// acknowledged with, Count how many they were. When a wiped file may
	// have held an unknown number of transactions after First, Last and
	// Count are -1.
	First int64 `json:"first"`
	Last  int64 `json:"last"`
	Count int64 `json:"count"`
	// Moved is how many transactions acknowledged after the loss were
	// recovered; each of them now sits lower in the ledger than the
	// index it was acknowledged with, by the number lost before it.
	Moved        int64     `json:"moved"`
	Found        time.Time `json:"found"` // when the recovery found it
	Acknowledged bool      `json:"acknowledged,omitempty"`
}

// Unknown reports whether the number of lost transactions is unknown.
func (x JournalLoss) Unknown() bool { return x.Count < 0 }

// String says in words what was lost and where.
func (x JournalLoss) String() string {
	var b strings.Builder
	switch {
	case x.Unknown() && x.Missing:
		fmt.Fprintf(&b, "journal file %s was missing or empty after the program stopped abruptly: any transactions acknowledged from #%d on that it held are lost, how many cannot be told", x.File, x.First)
	case x.Unknown():
		fmt.Fprintf(&b, "journal file %s was wiped (no readable record left): any transactions acknowledged from #%d on that it held are lost, how many cannot be told", x.File, x.First)
	case x.Count == 1:
		fmt.Fprintf(&b, "transaction #%d, acknowledged, is lost: its record in journal file %s (after record %d, byte %d) is damaged", x.First, x.File, x.Record, x.Offset)
	default:
		fmt.Fprintf(&b, "%d acknowledged transactions, #%d to #%d, are lost: their records in journal file %s (after record %d, byte %d) are damaged", x.Count, x.First, x.Last, x.File, x.Record, x.Offset)
	}
	if x.Moved > 0 {
		fmt.Fprintf(&b, "; %d later transactions were recovered and now sit at lower indexes than acknowledged", x.Moved)
	}
	return b.String()
}

// JournalLossError reports acknowledged transactions that the journal
// lost. Open of a writable ledger recovers everything else and records
// the losses in the ledger (see JournalLosses); CheckJournalLoss returns
// this error until they are acknowledged. A read-only Open returns it
// when the journal, not yet recovered, has lost some.
type JournalLossError struct {
	Path   string        // the ledger
	Losses []JournalLoss // unacknowledged
	// Pending is, for a read-only open, how many readable transactions
	// still wait in the journal for a writable Open to recover them.
	Pending int
}

// Lost is the number of transactions known lost; unknown is true when a
// wiped file may have held more.
func (e *JournalLossError) Lost() (n int64, unknown bool) {
	for _, x := range e.Losses {
		if x.Unknown() {
			unknown = true
		} else {
			n += x.Count
		}
	}
	return n, unknown
}

func (e *JournalLossError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ledger %s: %s", e.Path, e.Summary())
	for _, x := range e.Losses {
		b.WriteString("; ")
		b.WriteString(x.String())
	}
	if e.Pending > 0 {
		fmt.Fprintf(&b, "; %d further transactions wait in the journal to be recovered by a writable open", e.Pending)
	}
	return b.String()
}

// Summary says in a few words how many acknowledged transactions were
// lost.
func (e *JournalLossError) Summary() string {
	var b strings.Builder
	n, unknown := e.Lost()
	switch {
	case n > 0 && unknown:
		fmt.Fprintf(&b, "%d acknowledged transactions, and possibly more, were lost from its journal", n)
	case unknown:
		b.WriteString("acknowledged transactions may have been lost from its journal")
	case n == 1:
		b.WriteString("1 acknowledged transaction was lost from its journal")
	default:
		fmt.Fprintf(&b, "%d acknowledged transactions were lost from its journal", n)
	}
	return b.String()
}

// Unwrap returns ErrJournalLoss, and ErrJournalPending if transactions
// still wait in the journal.
func (e *JournalLossError) Unwrap() []error {
	if e.Pending > 0 {
		return []error{ErrJournalLoss, ErrJournalPending}
	}
	return []error{ErrJournalLoss}
}

// recoveryPlan is what a recovery does with the journal.
type recoveryPlan struct {
	recs   []journalRecord // to apply, in index order (acknowledged indexes)
	losses []JournalLoss
}

// planRecovery decides, from the journal files' content, which
// transactions of session to move into a bbolt holding size transactions
// and which acknowledged ones are lost. It is a pure function of its
// input.
//
// A transaction was acknowledged if a later group has a readable record
// (the writer waits for each group's fdatasync before the next), if its
// group's commit frame is readable, or if a clean frame says the ledger
// was closed with it. Every readable record beyond size is recovered,
// even after a gap; every acknowledged index with no readable record is
// a loss. An unreadable record of the last group whose commit frame is
// unreadable too is a write cut short by the crash: never acknowledged,
// so not a loss.
func planRecovery(scans [2]journalScan, size int64, session uint64) recoveryPlan {
	known := map[int64][]byte{}
	acked := size - 1
	var clean [2]bool
	for fi, s := range scans {
		for _, f := range s.frames {
			if f.session != session {
				continue
			}
			switch f.kind {
			case frameRecord:
				if _, ok := known[f.index]; !ok && f.index >= size {
					known[f.index] = f.payload
				}
				acked = max(acked, f.first-1)
			case frameCommit:
				acked = max(acked, f.index)
			case frameClean:
				acked = max(acked, f.index-1)
				clean[fi] = true
			}
		}
	}
	if session == 0 {
		// A ledger last opened before journal sessions: its journal, if
		// any, is in the old format, where every record was acknowledged.
		for _, s := range scans {
			for _, r := range s.legacy {
				if _, ok := known[r.index]; !ok && r.index >= size {
					known[r.index] = r.enc
				}
			}
		}
	}
	var plan recoveryPlan
	idx := make([]int64, 0, len(known))
	for i := range known {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	next := size // the lowest index not yet accounted for
	addLoss := func(first, last int64) {
		plan.losses = append(plan.losses, locateLoss(scans, session, first, last))
	}
	for _, i := range idx {
		if i > next {
			if top := min(i-1, acked); top >= next {
				addLoss(next, top)
			}
		}
		plan.recs = append(plan.recs, journalRecord{index: i, enc: known[i]})
		next = i + 1
	}
	if acked >= next {
		addLoss(next, acked)
		next = acked + 1
	}
	for k := range plan.losses {
		x := &plan.losses[k]
		for _, r := range plan.recs {
			if r.index > x.Last {
				x.Moved++
			}
		}
	}
	// A file with no valid frame at all was wiped: Close and creation
	// leave two clean frames in each file, and writes only replace frames
	// with frames. Unless a clean frame of this session elsewhere shows
	// the journal was emptied, what it held is unknown.
	if session > 0 {
		for fi, s := range scans {
			if len(s.frames) == 0 && !clean[1-fi] {
				plan.losses = append(plan.losses, JournalLoss{File: s.path, Missing: s.missing, Record: -1, First: next, Last: -1, Count: -1})
			}
		}
	}
	return plan
}

// locateLoss says where the records of indexes first..last were: in the
// damaged stretch of a file between records of lower and higher indexes,
// or else in a file with nothing readable left.
func locateLoss(scans [2]journalScan, session uint64, first, last int64) JournalLoss {
	x := JournalLoss{File: scans[0].path, Record: -1, First: first, Last: last, Count: last - first + 1}
	best := 0 // how well x's place fits: 0 a guess, higher is better
	for _, s := range scans {
		if len(s.frames) == 0 && best < 2 {
			best = 2
			x.File, x.Record, x.Offset = s.path, -1, 0
			continue
		}
		fi := 0
		prev := int64(-1) // the last index before the gap
		for _, g := range s.gaps {
			for ; fi < len(s.frames) && s.frames[fi].off < g.off; fi++ {
				if f := s.frames[fi]; f.session == session && f.kind != frameClean {
					prev = f.index
				}
			}
			after := int64(-1) // the first index after the gap
			for k := fi; k < len(s.frames); k++ {
				if f := s.frames[k]; f.session == session && f.kind != frameClean {
					after = f.first
					if f.kind == frameRecord {
						after = f.index
					}
					break
				}
			}
			score := 1
			if prev < first && (after < 0 || after > last) {
				score = 3
				if !g.zero {
					score = 4
				}
			}
			if score > best {
				best = score
				x.File, x.Record, x.Offset = s.path, g.ordinal, g.off
			}
		}
	}
	return x
}

// recoverJournal opens the journal of a writable ledger and moves into
// bbolt the transactions it holds beyond bbolt's size: appends that were
// acknowledged before the program stopped. Acknowledged transactions it
// cannot read back are recorded in the ledger as losses (JournalLosses),
// in the same bbolt transaction that moves the others in, which also
// starts a new journal session.
func (l *Ledger) recoverJournal() error {
	session, err := l.journalSession()
	if err != nil {
		return err
	}
	jr, scans, err := openJournal(l.path, l.opts.NoSync, session, l.state.size)
	if err != nil {
		return err
	}
	plan := planRecovery(scans, l.state.size, session)
	err = l.commitRecovery(plan, session+1)
	if err != nil {
		jr.closeFiles()
		return err
	}
	// A wiped file gets clean frames of the recovered session, so that a
	// crash before the next Close does not report its loss again.
	for i, jf := range jr.files {
		if len(scans[i].frames) == 0 {
			if err := jf.markClean(session, l.state.size, l.opts.NoSync); err != nil {
				jr.closeFiles()
				return fmt.Errorf("ledger: recover journal %s: %w", jf.path, err)
			}
		}
	}
	l.jr = jr
	jr.session = session + 1
	jr.reset()
	l.pendingIDs = make(map[TxID]Receipt)
	return nil
}

// journalSession reads the number of the last writable Open.
func (l *Ledger) journalSession() (uint64, error) {
	var s uint64
	err := l.db.View(func(btx *bolt.Tx) error {
		v := btx.Bucket(bucketMeta).Get(metaJournalSession)
		switch len(v) {
		case 0:
		case 8:
			s = binary.BigEndian.Uint64(v)
		default:
			return &CorruptError{Path: l.path, Err: errors.New("journal session is malformed")}
		}
		return nil
	})
	return s, err
}

// commitRecovery moves the plan's transactions into bbolt, renumbered to
// follow its size, records its losses and sets the new session, in one
// bbolt transaction.
func (l *Ledger) commitRecovery(plan recoveryPlan, session uint64) error {
	size := l.state.size
	q := make([]*appendReq, 0, len(plan.recs))
	for k, r := range plan.recs {
		sender, recipient, err := verifyEncoded(r.enc)
		if err != nil {
			return &CorruptError{Path: l.path + "-journal", Err: fmt.Errorf("journalled transaction %d: %w", r.index, err)}
		}
		q = append(q, &appendReq{enc: r.enc, id: txIDOf(r.enc), sender: sender[:], recipient: recipient[:], index: size + int64(k)})
	}
	now := time.Now().UTC()
	var final chainState
	err := l.rawUpdate(func(btx *bolt.Tx) error {
		st, err := readState(btx)
		if err != nil {
			return err
		}
		if len(q) > 0 {
			if st, err = l.putTxs(btx, st, q); err != nil {
				return err
			}
		}
		final = st
		meta := btx.Bucket(bucketMeta)
		if len(plan.losses) > 0 {
			losses, err := readLosses(meta)
			if err != nil {
				return err
			}
			for _, x := range plan.losses {
				if slices.ContainsFunc(losses, func(y JournalLoss) bool { return sameLoss(x, y) }) {
					continue // found by a recovery killed before it marked the journal
				}
				x.Found = now
				losses = append(losses, x)
			}
			b, err := json.Marshal(losses)
			if err != nil {
				return err
			}
			if err := meta.Put(metaJournalLoss, b); err != nil {
				return err
			}
		}
		return meta.Put(metaJournalSession, binary.BigEndian.AppendUint64(nil, session))
	})
	if err != nil {
		return fmt.Errorf("ledger: recover journal of %s: %w", l.path, err)
	}
	l.state = final
	l.model = modelOf(final)
	l.logical = l.model
	return nil
}

// sameLoss reports whether two losses are one: the same indexes from the
// same place. A loss starts at or above the ledger's size when it is
// found, so a loss found again with the same first index was found by a
// recovery after which nothing was appended: one killed before it wrote
// clean frames over a wiped journal file.
func sameLoss(x, y JournalLoss) bool {
	return x.File == y.File && x.Missing == y.Missing && x.Record == y.Record && x.Offset == y.Offset &&
		x.First == y.First && x.Last == y.Last && x.Count == y.Count
}

func readLosses(meta *bolt.Bucket) ([]JournalLoss, error) {
	v := meta.Get(metaJournalLoss)
	if v == nil {
		return nil, nil
	}
	var losses []JournalLoss
	if err := json.Unmarshal(v, &losses); err != nil {
		return nil, fmt.Errorf("ledger: recorded journal losses are malformed: %w", err)
	}
	return losses, nil
}

func unacknowledged(losses []JournalLoss) []JournalLoss {
	var out []JournalLoss
	for _, x := range losses {
		if !x.Acknowledged {
			out = append(out, x)
		}
	}
	return out
}

// JournalLosses returns every journal loss recoveries of this ledger
// found, acknowledged or not, oldest first.
func (l *Ledger) JournalLosses() ([]JournalLoss, error) {
	var losses []JournalLoss
	err := l.view(func(btx *bolt.Tx) (err error) {
		losses, err = readLosses(btx.Bucket(bucketMeta))
		return err
	})
	return losses, err
}

// CheckJournalLoss returns a *JournalLossError while the ledger has
// journal losses nobody acknowledged, nil otherwise.
func (l *Ledger) CheckJournalLoss() error {
	losses, err := l.JournalLosses()
	if err != nil {
		return err
	}
	if u := unacknowledged(losses); len(u) > 0 {
		return &JournalLossError{Path: l.path, Losses: u}
	}
	return nil
}

// AcknowledgeJournalLoss marks every recorded journal loss acknowledged,
// so that Verify and CheckJournalLoss pass again; they stay listed in
// JournalLosses. It returns how many were newly acknowledged.
func (l *Ledger) AcknowledgeJournalLoss() (int, error) {
	n := 0
	err := l.update(func(btx *bolt.Tx) error {
		meta := btx.Bucket(bucketMeta)
		losses, err := readLosses(meta)
		if err != nil {
			return err
		}
		for k := range losses {
			if !losses[k].Acknowledged {
				losses[k].Acknowledged = true
				n++
			}
		}
		if n == 0 {
			return nil
		}
		b, err := json.Marshal(losses)
		if err != nil {
			return err
		}
		return meta.Put(metaJournalLoss, b)
	})
	if err != nil {
		return 0, fmt.Errorf("ledger: acknowledge journal loss in %s: %w", l.path, err)
	}
	return n, nil
}

// checkJournalApplied fails a read-only open of a ledger whose journal
// still holds acknowledged transactions bbolt lacks, or lost some: reading
// it would show a ledger without them.
func (l *Ledger) checkJournalApplied() error {
	session, err := l.journalSession()
	if err != nil {
		return err
	}
	scans, err := readJournalFiles(l.path)
	if err != nil {
		return err
	}
	plan := planRecovery(scans, l.state.size, session)
	if len(plan.losses) > 0 {
		return &JournalLossError{Path: l.path, Losses: plan.losses, Pending: len(plan.recs)}
	}
	if len(plan.recs) > 0 {
		return fmt.Errorf("ledger: open %s read-only: %w: %d transactions are still in its journal because the program writing it stopped abruptly; open it once for writing (start qkdchat) to move them into the ledger", l.path, ErrJournalPending, len(plan.recs))
	}
	return nil
}
