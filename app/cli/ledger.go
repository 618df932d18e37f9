package cli

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"qkdchat/app"
	"qkdchat/identity"
	"qkdchat/internal/atomicfile"
	"qkdchat/ledger"
)

// ledgerUsage lists the subcommands of `qkdchat ledger`.
var ledgerUsage = `Usage: qkdchat ledger SUBCOMMAND [flags]

Subcommands:
  verify      check the whole ledger (exit 1 with the first bad height);
              --export FILE checks an audit export, --proof FILE an inclusion proof
  show        list blocks and their transactions, newest first (--page, --limit)
  export      write a self-contained JSON Lines audit export (--out FILE)
  prove TXID  print an inclusion proof of one transaction (--out FILE)
  checkpoint  print a signed checkpoint of the ledger
  audit A B   compare ledger A's export with peer B's export: what B holds
              that A lacks, A's checkpoints B cosigned that A does not
              extend (exit 1 on any finding; also verify --export A --against B)
  conflicts   list the standing conflicts with peers (checkpoints refused)
  dismiss-conflict FINGERPRINT
              end the standing conflict with that peer (the evidence stays)
  ack-loss    acknowledge acknowledged transactions the journal lost (after
              a crash damaged it), so that verify and the app accept the
              ledger again; the losses stay listed by verify

All take --data DIR (default: the per-user data directory) and --json.
`

func runLedger(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		return Usagef("name a subcommand\n%s", ledgerUsage)
	}
	switch args[0] {
	case "-h", "--help", "-help", "help":
		fmt.Fprint(env.Stderr, ledgerUsage)
		return flag.ErrHelp
	case "verify":
		return runLedgerVerify(ctx, env, args[1:])
	case "show":
		return runLedgerShow(ctx, env, args[1:])
	case "export":
		return runLedgerExport(ctx, env, args[1:])
	case "prove":
		return runLedgerProve(ctx, env, args[1:])
	case "checkpoint":
		return runLedgerCheckpoint(ctx, env, args[1:])
	case "audit":
		return runLedgerAudit(ctx, env, args[1:])
	case "conflicts":
		return runLedgerConflicts(ctx, env, args[1:])
	case "dismiss-conflict":
		return runLedgerDismissConflict(ctx, env, args[1:])
	case "ack-loss":
		return runLedgerAckLoss(ctx, env, args[1:])
	}
	return Usagef("unknown subcommand %q\n%s", args[0], ledgerUsage)
}

// ledgerFlags are the flags every ledger subcommand takes.
type ledgerFlags struct {
	data string
	json bool
}

func newLedgerFlagSet(env *Env, sub, argsUsage string) (*flag.FlagSet, *ledgerFlags) {
	fs := NewFlagSet(env, "ledger "+sub, argsUsage)
	lf := &ledgerFlags{}
	fs.StringVar(&lf.data, "data", "", "data directory holding ledger.db and the identity (default: the per-user data directory)")
	fs.BoolVar(&lf.json, "json", false, "print JSON")
	return fs, lf
}

func (lf *ledgerFlags) dir() (string, error) {
	if lf.data != "" {
		return lf.data, nil
	}
	return app.DefaultDataDir()
}

// open opens the ledger of the data directory; it never creates one.
// parseAndOpen parses the flags of a subcommand that takes no arguments
// and opens the ledger.
func (lf *ledgerFlags) parseAndOpen(fs *flag.FlagSet, args []string, readOnly bool) (*ledger.Ledger, error) {
	if err := Parse(fs, args); err != nil {
		return nil, err
	}
	if fs.NArg() != 0 {
		return nil, Usagef("%s takes no arguments", fs.Name())
	}
	return lf.open(readOnly)
}

func (lf *ledgerFlags) open(readOnly bool) (*ledger.Ledger, error) {
	dir, err := lf.dir()
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, app.LedgerFile)
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("no ledger at %s (use --data DIR)", path)
	}
	// Damage is reported in the same words as when the app opens the
	// directory (app.ExplainDamage): one verdict per file.
	id, err := identity.Load(dir)
	if err != nil {
		return nil, app.ExplainDamage(dir, err)
	}
	l, err := ledger.Open(path, id, &ledger.Options{ReadOnly: readOnly})
	if err != nil {
		return nil, app.ExplainDamage(dir, err)
	}
	return l, nil
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func runLedgerVerify(ctx context.Context, env *Env, args []string) error {
	fs, lf := newLedgerFlagSet(env, "verify", "")
	export := fs.String("export", "", "check this audit export instead of the database")
	proof := fs.String("proof", "", "check this inclusion proof (from 'ledger prove') instead of the database")
	key := fs.String("key", "", "expected fingerprint of the ledger's key, for --export and --proof")
	against := fs.String("against", "", "with --export: audit it against this export of a peer's ledger (as 'ledger audit')")
	if err := Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return Usagef("verify takes no arguments")
	}
	if *export != "" && *proof != "" {
		return Usagef("give --export or --proof, not both")
	}
	if *against != "" {
		if *export == "" {
			return Usagef("--against needs --export")
		}
		return auditExports(ctx, env, *export, *against, lf.json)
	}
	var want string
	if *key != "" {
		fp, err := identity.ParseFingerprint(*key)
		if err != nil {
			return Usagef("--key: %v", err)
		}
		if identity.IsShort(fp) {
			fmt.Fprintf(env.Stderr, "note: --key %q is the 16-digit fingerprint of an older qkdchat: it checks only 64 bits of the key; compare the full fingerprint shown below\n", fp)
		}
		want = fp
	}
	if *proof != "" {
		return verifyProofFile(env, lf, *proof, want)
	}
	var (
		rep  *ledger.VerifyReport
		what string
		err  error
	)
	if *export != "" {
		what = *export
		f, ferr := os.Open(*export)
		if ferr != nil {
			return ferr
		}
		defer f.Close()
		rep, err = ledger.VerifyExport(ctx, f)
	} else {
		l, oerr := lf.open(true)
		var le *ledger.JournalLossError
		switch {
		case errors.As(oerr, &le):
			// The journal, not yet recovered, lost acknowledged
			// transactions: a verdict, not a failure to check.
			what = le.Path
			rep = &ledger.VerifyReport{FirstBadHeight: -1, BadIndex: -1, Reason: le.Summary(), JournalLoss: le.Losses}
		case oerr != nil:
			return oerr
		default:
			defer l.Close()
			what = l.Path()
			rep, err = l.Verify(ctx, nil)
		}
	}
	if err != nil {
		return err
	}
	if lf.json {
		if err := printJSON(env.Stdout, rep); err != nil {
			return err
		}
	} else {
		printReport(env.Stdout, what, rep)
	}
	switch {
	case !rep.OK && rep.FirstBadHeight >= 0:
		return &ExitError{Code: 1, Err: fmt.Errorf("%s is bad from block %d: %s", what, rep.FirstBadHeight, rep.Reason)}
	case len(rep.JournalLoss) > 0:
		return &ExitError{Code: 1, Err: fmt.Errorf("%s: %s; if you accept the loss, run 'qkdchat ledger ack-loss' with the same --data", what, lossSummary(rep.JournalLoss))}
	case !rep.OK:
		return &ExitError{Code: 1, Err: fmt.Errorf("%s is bad: %s", what, rep.Reason)}
	case want != "" && !identity.Matches(want, rep.Key):
		return &ExitError{Code: 1, Err: fmt.Errorf("%s is signed by %s, not by %s", what, rep.Fingerprint, want)}
	case len(rep.Conflicts) > 0:
		return &ExitError{Code: 1, Err: fmt.Errorf("%s is intact, but holds proof that %d peer checkpoint(s) conflict", what, len(rep.Conflicts))}
	}
	return nil
}

func printReport(w io.Writer, what string, rep *ledger.VerifyReport) {
	if rep.OK {
		fmt.Fprintf(w, "%s: OK\n", what)
	} else {
		fmt.Fprintf(w, "%s: BAD\n", what)
		if rep.FirstBadHeight >= 0 {
			fmt.Fprintf(w, "  first bad block:  %d\n", rep.FirstBadHeight)
		}
		if rep.BadIndex >= 0 {
			fmt.Fprintf(w, "  first bad tx:     %d\n", rep.BadIndex)
		}
		fmt.Fprintf(w, "  reason:           %s\n", rep.Reason)
	}
	if rep.Fingerprint != "" {
		fmt.Fprintf(w, "  origin:           %s\n  key fingerprint:  %s\n", rep.Origin, rep.Fingerprint)
	}
	if rep.OK {
		fmt.Fprintf(w, "  transactions:     %d\n  blocks:           %d\n  root:             %s\n", rep.Size, rep.Blocks, rep.Root)
		fmt.Fprintf(w, "  checkpoints:      %d signed, %d cosigned by peers\n", rep.Checkpoints, rep.Cosignatures)
	}
	for _, x := range rep.JournalLoss {
		if x.Found.IsZero() {
			fmt.Fprintf(w, "  JOURNAL LOSS:     %s (not recovered yet: starting qkdchat, or ledger ack-loss, recovers the rest)\n", x)
		} else {
			fmt.Fprintf(w, "  JOURNAL LOSS:     %s (found %s)\n", x, x.Found.Local().Format(time.RFC3339))
		}
	}
	for _, c := range rep.Conflicts {
		fmt.Fprintf(w, "  CONFLICT (%s): peer %s signed size %d root %s and size %d root %s\n",
			c.Kind, identity.Fingerprint(c.Peer), c.Old.Size, c.Old.Root, c.New.Size, c.New.Root)
	}
}

// lossSummary says in a few words how many acknowledged transactions the
// journal lost.
func lossSummary(losses []ledger.JournalLoss) string {
	return (&ledger.JournalLossError{Losses: losses}).Summary()
}

// runLedgerAckLoss opens the ledger for writing (which recovers its
// journal, recording any loss), prints the unacknowledged losses and
// acknowledges them.
func runLedgerAckLoss(ctx context.Context, env *Env, args []string) error {
	fs, lf := newLedgerFlagSet(env, "ack-loss", "")
	l, err := lf.parseAndOpen(fs, args, false)
	if err != nil {
		return err
	}
	defer l.Close()
	var pending []ledger.JournalLoss
	var le *ledger.JournalLossError
	if err := l.CheckJournalLoss(); errors.As(err, &le) {
		pending = le.Losses
	} else if err != nil {
		return err
	}
	n, err := l.AcknowledgeJournalLoss()
	if err != nil {
		return err
	}
	if lf.json {
		if pending == nil {
			pending = []ledger.JournalLoss{}
		}
		return printJSON(env.Stdout, map[string]any{"acknowledged": n, "losses": pending})
	}
	if n == 0 {
		fmt.Fprintf(env.Stdout, "%s: no journal loss to acknowledge\n", l.Path())
		return nil
	}
	fmt.Fprintf(env.Stdout, "%s: acknowledged: %s\n", l.Path(), lossSummary(pending))
	for _, x := range pending {
		fmt.Fprintf(env.Stdout, "  %s\n", x)
	}
	return nil
}

func verifyProofFile(env *Env, lf *ledgerFlags, path, want string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var p ledger.InclusionProof
	if err := json.Unmarshal(b, &p); err != nil {
		return &ExitError{Code: 1, Err: fmt.Errorf("%s is not an inclusion proof: %v", path, err)}
	}
	if len(p.Key) != ed25519.PublicKeySize {
		return &ExitError{Code: 1, Err: fmt.Errorf("%s names no ledger key", path)}
	}
	fp := identity.Fingerprint(p.Key)
	if want != "" && !identity.Matches(want, p.Key) {
		return &ExitError{Code: 1, Err: fmt.Errorf("%s is signed by %s, not by %s", path, fp, want)}
	}
	verr := ledger.VerifyInclusion(&p, p.Key)
	var tx ledger.Transaction
	_ = tx.UnmarshalBinary(p.Tx)
	if lf.json {
		out := map[string]any{"ok": verr == nil, "index": p.Index, "id": tx.ID().String(), "fingerprint": fp}
		if verr != nil {
			out["reason"] = verr.Error()
		}
		if err := printJSON(env.Stdout, out); err != nil {
			return err
		}
	} else if verr == nil {
		fmt.Fprintf(env.Stdout, "%s: OK: transaction %s is number %d of the ledger signed by %s\n", path, tx.ID(), p.Index, fp)
		if want == "" {
			fmt.Fprintf(env.Stdout, "  compare that fingerprint with the ledger owner's (or pass --key)\n")
		}
	}
	if verr != nil {
		return &ExitError{Code: 1, Err: fmt.Errorf("%s: %v", path, verr)}
	}
	return nil
}

// txSummary is how show prints a transaction.
type txSummary struct {
	Index       int64     `json:"index"`
	ID          string    `json:"id"`
	Kind        string    `json:"kind"`
	Sender      string    `json:"sender"`
	Recipient   string    `json:"recipient"`
	CaseID      string    `json:"case"`
	Time        time.Time `json:"time"`
	TokenBytes  int       `json:"token_bytes"`
	Attachments int       `json:"attachments"`
}

type blockSummary struct {
	ledger.Block
	Pending      bool        `json:"pending"`
	Transactions []txSummary `json:"transactions"`
}

func runLedgerShow(ctx context.Context, env *Env, args []string) error {
	fs, lf := newLedgerFlagSet(env, "show", "")
	page := fs.Int("page", 0, "page to show, 0 = newest")
	limit := fs.Int("limit", 10, "blocks per page")
	if err := Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return Usagef("show takes no arguments")
	}
	if *page < 0 || *limit < 1 || *limit > 1000 {
		return Usagef("--page must be >= 0 and --limit within 1..1000")
	}
	l, err := lf.open(true)
	if err != nil {
		return err
	}
	defer l.Close()
	size, height := l.Size(), l.Height()
	var out []blockSummary
	summarize := func(start, end int64) ([]txSummary, error) {
		txs, err := l.Txs(start, end)
		if err != nil {
			return nil, err
		}
		s := make([]txSummary, len(txs))
		for i, tx := range txs {
			s[len(txs)-1-i] = txSummary{Index: start + int64(i), ID: tx.ID().String(), Kind: tx.Kind.String(),
				Sender: identity.Fingerprint(tx.Sender), Recipient: identity.Fingerprint(tx.Recipient), CaseID: tx.CaseID,
				Time: tx.Time, TokenBytes: len(tx.Token), Attachments: len(tx.Attachments)}
		}
		return s, nil
	}
	blocks, err := l.Blocks(0, 1)
	if err != nil {
		return err
	}
	if *page == 0 {
		var blocked int64
		if len(blocks) > 0 {
			blocked = blocks[0].TreeSize
		}
		if size > blocked {
			s, err := summarize(blocked, size)
			if err != nil {
				return err
			}
			out = append(out, blockSummary{Block: ledger.Block{Height: height, TreeSize: size, TxCount: size - blocked}, Pending: true, Transactions: s})
		}
	}
	before := height - int64(*page)*int64(*limit)
	if before > 0 {
		if blocks, err = l.Blocks(before, *limit); err != nil {
			return err
		}
		for _, b := range blocks {
			if err := ctx.Err(); err != nil {
				return err
			}
			s, err := summarize(b.FirstIndex(), b.TreeSize)
			if err != nil {
				return err
			}
			out = append(out, blockSummary{Block: b, Transactions: s})
		}
	}
	if lf.json {
		return printJSON(env.Stdout, map[string]any{"size": size, "height": height, "page": *page, "limit": *limit, "blocks": out})
	}
	fmt.Fprintf(env.Stdout, "%s: %d transactions, %d blocks (page %d, %d blocks per page, newest first)\n", l.Path(), size, height, *page, *limit)
	for _, b := range out {
		if b.Pending {
			fmt.Fprintf(env.Stdout, "\nblock %d (pending): %d transactions\n", b.Height, b.TxCount)
		} else {
			fmt.Fprintf(env.Stdout, "\nblock %d  %s  %d transactions\n  hash %s\n  prev %s\n  tree %d %s\n",
				b.Height, b.Time.Format(time.RFC3339), b.TxCount, b.Hash, b.PrevHash, b.TreeSize, b.TreeRoot)
		}
		for _, t := range b.Transactions {
			fmt.Fprintf(env.Stdout, "  #%-6d %-10s %s  %s -> %s  case %q  %dB  id %s\n",
				t.Index, t.Kind, t.Time.Format(time.DateTime), t.Sender, t.Recipient, t.CaseID, t.TokenBytes, t.ID[:16])
		}
	}
	if before <= 0 && *page > 0 {
		fmt.Fprintf(env.Stdout, "(no blocks on this page)\n")
	}
	return nil
}

func runLedgerExport(ctx context.Context, env *Env, args []string) error {
	fs, lf := newLedgerFlagSet(env, "export", "")
	out := fs.String("out", "", "write the export to this file (default: standard output)")
	l, err := lf.parseAndOpen(fs, args, true)
	if err != nil {
		return err
	}
	defer l.Close()
	if *out == "" {
		return l.Export(ctx, env.Stdout)
	}
	f, err := atomicfile.Create(*out, 0o600, atomicfile.Replace)
	if err != nil {
		return err
	}
	defer f.Abort()
	if err := l.Export(ctx, f); err != nil {
		return err
	}
	if err := f.Commit(); err != nil {
		return err
	}
	if lf.json {
		return printJSON(env.Stdout, map[string]any{"file": *out, "size": l.Size(), "height": l.Height()})
	}
	fmt.Fprintf(env.Stdout, "wrote %s: %d transactions, %d blocks; check it with 'qkdchat ledger verify --export %s'\n", *out, l.Size(), l.Height(), *out)
	return nil
}

func runLedgerProve(_ context.Context, env *Env, args []string) error {
	fs, lf := newLedgerFlagSet(env, "prove", "TXID")
	out := fs.String("out", "", "write the proof to this file (default: standard output)")
	if err := Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return Usagef("prove needs one transaction ID")
	}
	id, err := ledger.ParseTxID(fs.Arg(0))
	if err != nil {
		return Usagef("%v", err)
	}
	l, err := lf.open(true)
	if err != nil {
		return err
	}
	defer l.Close()
	p, err := l.ProveInclusion(id)
	if errors.Is(err, ledger.ErrNotFound) {
		return &ExitError{Code: 1, Err: fmt.Errorf("transaction %s is not in %s", id, l.Path())}
	}
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if *out == "" {
		_, err = env.Stdout.Write(b)
		return err
	}
	if err := atomicfile.WriteFile(*out, b, 0o644, atomicfile.Replace); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "wrote %s; check it offline with 'qkdchat ledger verify --proof %s --key %q'\n", *out, *out, l.Identity().Fingerprint())
	return nil
}

func runLedgerCheckpoint(_ context.Context, env *Env, args []string) error {
	fs, lf := newLedgerFlagSet(env, "checkpoint", "")
	l, err := lf.parseAndOpen(fs, args, false)
	if err != nil {
		return err
	}
	defer l.Close()
	note, size, err := l.Checkpoint()
	if err != nil {
		return err
	}
	if lf.json {
		return printJSON(env.Stdout, map[string]any{"origin": l.Origin(), "size": size, "fingerprint": l.Identity().Fingerprint(), "note": string(note)})
	}
	_, err = io.WriteString(env.Stdout, strings.TrimSuffix(string(note), "\n")+"\n")
	return err
}

func runLedgerAudit(ctx context.Context, env *Env, args []string) error {
	fs := NewFlagSet(env, "ledger audit", "A.jsonl B.jsonl")
	jsonOut := fs.Bool("json", false, "print JSON")
	if err := Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return Usagef("give two exports: A (the ledger audited) and B (a peer's)")
	}
	return auditExports(ctx, env, fs.Arg(0), fs.Arg(1), *jsonOut)
}

// readAuditExport verifies an export and reads what an audit compares.
// bad is why the export does not verify ("" if it does).
func readAuditExport(ctx context.Context, path string) (v *ledger.ExportView, bad string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, "", fmt.Errorf("cannot read export %s: %w", path, err)
	}
	defer f.Close()
	rep, err := ledger.VerifyExport(ctx, f)
	if err != nil {
		return nil, "", fmt.Errorf("cannot read export %s: %w", path, err)
	}
	if !rep.OK {
		bad = rep.Reason
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, "", fmt.Errorf("cannot read export %s: %w", path, err)
	}
	if v, err = ledger.ReadExport(ctx, f); err != nil {
		return nil, "", fmt.Errorf("%s is not a ledger export (from 'qkdchat ledger export'): %w", path, err)
	}
	return v, bad, nil
}

// auditExports compares A's export with B's and exits 1 on any finding.
func auditExports(ctx context.Context, env *Env, aPath, bPath string, jsonOut bool) error {
	a, abad, err := readAuditExport(ctx, aPath)
	if err != nil {
		return err
	}
	b, bbad, err := readAuditExport(ctx, bPath)
	if err != nil {
		return err
	}
	if a.Key.Equal(b.Key) {
		return fmt.Errorf("%s and %s are exports of the same ledger owner (%s): give A's and a peer's", aPath, bPath, identity.Fingerprint(a.Key))
	}
	rep := ledger.Audit(a, b, abad, bbad)
	if jsonOut {
		if err := printJSON(env.Stdout, rep); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(env.Stdout, "audit of %s (A, key %s, %d transactions)\n   against %s (B, key %s, %d transactions)\n",
			aPath, rep.A, rep.ASize, bPath, rep.B, rep.BSize)
		fmt.Fprintf(env.Stdout, "  compared: %d of B's transactions with A, %d of A's checkpoints held by B\n", rep.Compared, rep.Checked)
		for _, f := range rep.Findings {
			fmt.Fprintf(env.Stdout, "  FINDING (%s): %s\n", f.Kind, f.Detail)
		}
		if rep.Consistent {
			fmt.Fprintln(env.Stdout, "  consistent: A's export holds everything B holds of it and extends every checkpoint of A that B holds")
		}
	}
	if !rep.Consistent {
		return &ExitError{Code: 1, Err: fmt.Errorf("%s: %d finding(s) against it from %s", aPath, len(rep.Findings), bPath)}
	}
	return nil
}

func runLedgerConflicts(_ context.Context, env *Env, args []string) error {
	fs, lf := newLedgerFlagSet(env, "conflicts", "")
	l, err := lf.parseAndOpen(fs, args, true)
	if err != nil {
		return err
	}
	defer l.Close()
	pcs, err := l.PeerConflicts()
	if err != nil {
		return err
	}
	if lf.json {
		if pcs == nil {
			pcs = []ledger.PeerConflict{}
		}
		return printJSON(env.Stdout, pcs)
	}
	if len(pcs) == 0 {
		fmt.Fprintln(env.Stdout, "no standing conflicts")
		return nil
	}
	for _, pc := range pcs {
		if pc.Reported {
			fmt.Fprintf(env.Stdout, "CONFLICT reported by peer %s since %s: %s\n", identity.Fingerprint(pc.Peer), pc.Since.Format(time.RFC3339), pc.ReportNote)
			continue
		}
		fmt.Fprintf(env.Stdout, "CONFLICT with peer %s (%s) since %s: %d conflicting checkpoint(s), %d stored as evidence, %d over the quota, %d other checkpoint(s) refused\n",
			identity.Fingerprint(pc.Peer), pc.Kind, pc.Since.Format(time.RFC3339), pc.Detections, pc.Stored, pc.Dropped, pc.Refused)
	}
	fmt.Fprintln(env.Stdout, "dismiss one with: qkdchat ledger dismiss-conflict FINGERPRINT")
	return nil
}

func runLedgerDismissConflict(_ context.Context, env *Env, args []string) error {
	fs, lf := newLedgerFlagSet(env, "dismiss-conflict", "FINGERPRINT")
	if err := Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return Usagef("give the fingerprint of the peer (see 'qkdchat ledger conflicts')")
	}
	typed, err := identity.ParseFingerprint(fs.Arg(0))
	if err != nil {
		return Usagef("%v", err)
	}
	l, err := lf.open(false)
	if err != nil {
		return err
	}
	defer l.Close()
	pcs, err := l.PeerConflicts()
	if err != nil {
		return err
	}
	known := make([]string, len(pcs))
	for i, pc := range pcs {
		known[i] = identity.Fingerprint(pc.Peer)
	}
	// An older qkdchat printed 16 digits: they still name the peer when
	// they are the start of exactly one conflict's fingerprint.
	fp, err := identity.Resolve(typed, known)
	if errors.Is(err, identity.ErrAmbiguousFingerprint) {
		return err
	}
	for _, pc := range pcs {
		if err != nil || identity.Fingerprint(pc.Peer) != fp {
			continue
		}
		if _, err := l.DismissConflict(pc.Peer); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "dismissed the conflict with %s; the evidence stays in the ledger, and the peer's next checkpoint is cosigned as a new starting point\n", fp)
		return nil
	}
	return fmt.Errorf("no standing conflict with %s (see 'qkdchat ledger conflicts')", typed)
}
