package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"qkdchat/node"
	"qkdchat/node/audit"
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
	return node.DefaultDataDir()
}

// parseAndOpen parses the flags of a subcommand that takes no arguments
// and opens the ledger.
func (lf *ledgerFlags) parseAndOpen(fs *flag.FlagSet, args []string, mode audit.Mode) (*audit.Auditor, error) {
	if err := Parse(fs, args); err != nil {
		return nil, err
	}
	if fs.NArg() != 0 {
		return nil, Usagef("%s takes no arguments", fs.Name())
	}
	return lf.open(mode)
}

// open opens the ledger of the data directory; it never creates one.
// Damage is reported in the same words as when the app opens the
// directory (node.ExplainDamage): one verdict per file.
func (lf *ledgerFlags) open(mode audit.Mode) (*audit.Auditor, error) {
	dir, err := lf.dir()
	if err != nil {
		return nil, err
	}
	a, err := audit.Open(dir, mode)
	return a, noLedger(dir, err)
}

// noLedger says where the ledger was looked for when dir holds none.
func noLedger(dir string, err error) error {
	if errors.Is(err, audit.ErrNoLedger) {
		return fmt.Errorf("no ledger at %s (use --data DIR)", filepath.Join(dir, node.LedgerFile))
	}
	return err
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
		fp, err := audit.ParseFingerprint(*key)
		if err != nil {
			return Usagef("--key: %v", err)
		}
		if audit.IsShortFingerprint(fp) {
			fmt.Fprintf(env.Stderr, "note: --key %q is the 16-digit fingerprint of an older qkdchat: it checks only 64 bits of the key; compare the full fingerprint shown below\n", fp)
		}
		want = fp
	}
	if *proof != "" {
		return verifyProofFile(env, lf, *proof, want)
	}
	var (
		rep  *audit.VerifyReport
		what string
		err  error
	)
	if *export != "" {
		what = *export
		rep, err = audit.VerifyExportFile(ctx, *export)
	} else {
		dir, derr := lf.dir()
		if derr != nil {
			return derr
		}
		rep, what, err = audit.VerifyDataDir(ctx, dir)
		err = noLedger(dir, err)
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
		return &ExitError{Code: 1, Err: fmt.Errorf("%s: %s; if you accept the loss, run 'qkdchat ledger ack-loss' with the same --data", what, audit.JournalLossSummary(rep.JournalLoss))}
	case !rep.OK:
		return &ExitError{Code: 1, Err: fmt.Errorf("%s is bad: %s", what, rep.Reason)}
	case want != "" && !rep.SignedBy(want):
		return &ExitError{Code: 1, Err: fmt.Errorf("%s is signed by %s, not by %s", what, rep.Fingerprint, want)}
	case len(rep.Conflicts) > 0:
		return &ExitError{Code: 1, Err: fmt.Errorf("%s is intact, but holds proof that %d peer checkpoint(s) conflict", what, len(rep.Conflicts))}
	}
	return nil
}

func printReport(w io.Writer, what string, rep *audit.VerifyReport) {
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
			c.Kind, c.PeerFingerprint, c.Old.Size, c.Old.Root, c.New.Size, c.New.Root)
	}
}

// runLedgerAckLoss opens the ledger for writing (which recovers its
// journal, recording any loss), prints the unacknowledged losses and
// acknowledges them.
func runLedgerAckLoss(ctx context.Context, env *Env, args []string) error {
	fs, lf := newLedgerFlagSet(env, "ack-loss", "")
	a, err := lf.parseAndOpen(fs, args, audit.ReadWrite)
	if err != nil {
		return err
	}
	defer a.Close()
	ack, err := a.AcknowledgeJournalLoss()
	if err != nil {
		return err
	}
	if lf.json {
		pending := ack.Losses
		if pending == nil {
			pending = []audit.LostTransactions{}
		}
		return printJSON(env.Stdout, map[string]any{"acknowledged": ack.Acknowledged, "losses": pending})
	}
	if ack.Acknowledged == 0 {
		fmt.Fprintf(env.Stdout, "%s: no journal loss to acknowledge\n", a.Path())
		return nil
	}
	fmt.Fprintf(env.Stdout, "%s: acknowledged: %s\n", a.Path(), audit.JournalLossSummary(ack.Losses))
	for _, x := range ack.Losses {
		fmt.Fprintf(env.Stdout, "  %s\n", x)
	}
	return nil
}

func verifyProofFile(env *Env, lf *ledgerFlags, path, want string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	pc, err := audit.CheckProof(b)
	var pf *audit.ProofFormatError
	if errors.As(err, &pf) {
		return &ExitError{Code: 1, Err: fmt.Errorf("%s %v", path, pf)}
	}
	if err != nil {
		return err
	}
	if want != "" && !pc.SignedBy(want) {
		return &ExitError{Code: 1, Err: fmt.Errorf("%s is signed by %s, not by %s", path, pc.Fingerprint, want)}
	}
	if lf.json {
		out := map[string]any{"ok": pc.Err == nil, "index": pc.Index, "id": pc.TxID.String(), "fingerprint": pc.Fingerprint}
		if pc.Err != nil {
			out["reason"] = pc.Err.Error()
		}
		if err := printJSON(env.Stdout, out); err != nil {
			return err
		}
	} else if pc.Err == nil {
		fmt.Fprintf(env.Stdout, "%s: OK: transaction %s is number %d of the ledger signed by %s\n", path, pc.TxID, pc.Index, pc.Fingerprint)
		if want == "" {
			fmt.Fprintf(env.Stdout, "  compare that fingerprint with the ledger owner's (or pass --key)\n")
		}
	}
	if pc.Err != nil {
		return &ExitError{Code: 1, Err: fmt.Errorf("%s: %v", path, pc.Err)}
	}
	return nil
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
	a, err := lf.open(audit.ReadOnly)
	if err != nil {
		return err
	}
	defer a.Close()
	bp, err := a.BlockPage(ctx, *page, *limit)
	if err != nil {
		return err
	}
	if lf.json {
		return printJSON(env.Stdout, map[string]any{"size": bp.Size, "height": bp.Height, "page": *page, "limit": *limit, "blocks": bp.Blocks})
	}
	fmt.Fprintf(env.Stdout, "%s: %d transactions, %d blocks (page %d, %d blocks per page, newest first)\n", a.Path(), bp.Size, bp.Height, *page, *limit)
	for _, b := range bp.Blocks {
		if b.Pending {
			fmt.Fprintf(env.Stdout, "\nblock %d (pending): %d transactions\n", b.Height, b.TxCount)
		} else {
			fmt.Fprintf(env.Stdout, "\nblock %d  %s  %d transactions\n  hash %s\n  prev %s\n  tree %d %s\n",
				b.Height, b.Time.Format(time.RFC3339), b.TxCount, b.Hash, b.PrevHash, b.TreeSize, b.TreeRoot)
		}
		for _, t := range b.Transactions {
			fmt.Fprintf(env.Stdout, "  #%-6d %-10s %s  %s -> %s  case %q  %dB  id %s\n",
				t.Index, t.Kind, t.Time.Format(time.DateTime), t.Sender, t.Recipient, t.CaseID, t.TokenBytes, t.ID.String()[:16])
		}
	}
	if bp.PastEnd {
		fmt.Fprintf(env.Stdout, "(no blocks on this page)\n")
	}
	return nil
}

func runLedgerExport(ctx context.Context, env *Env, args []string) error {
	fs, lf := newLedgerFlagSet(env, "export", "")
	out := fs.String("out", "", "write the export to this file (default: standard output)")
	a, err := lf.parseAndOpen(fs, args, audit.ReadOnly)
	if err != nil {
		return err
	}
	defer a.Close()
	if *out == "" {
		return a.Export(ctx, env.Stdout)
	}
	if err := a.ExportFile(ctx, *out); err != nil {
		return err
	}
	if lf.json {
		return printJSON(env.Stdout, map[string]any{"file": *out, "size": a.Size(), "height": a.Height()})
	}
	fmt.Fprintf(env.Stdout, "wrote %s: %d transactions, %d blocks; check it with 'qkdchat ledger verify --export %s'\n", *out, a.Size(), a.Height(), *out)
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
	id, err := audit.ParseTxID(fs.Arg(0))
	if err != nil {
		return Usagef("%v", err)
	}
	a, err := lf.open(audit.ReadOnly)
	if err != nil {
		return err
	}
	defer a.Close()
	p, err := a.Prove(id)
	if errors.Is(err, audit.ErrTxNotFound) {
		return &ExitError{Code: 1, Err: fmt.Errorf("transaction %s is not in %s", id, a.Path())}
	}
	if err != nil {
		return err
	}
	if *out == "" {
		_, err = env.Stdout.Write(p.JSON)
		return err
	}
	if err := p.WriteFile(*out); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "wrote %s; check it offline with 'qkdchat ledger verify --proof %s --key %q'\n", *out, *out, p.Fingerprint)
	return nil
}

func runLedgerCheckpoint(_ context.Context, env *Env, args []string) error {
	fs, lf := newLedgerFlagSet(env, "checkpoint", "")
	a, err := lf.parseAndOpen(fs, args, audit.ReadWrite)
	if err != nil {
		return err
	}
	defer a.Close()
	c, err := a.Checkpoint()
	if err != nil {
		return err
	}
	if lf.json {
		return printJSON(env.Stdout, map[string]any{"origin": c.Origin, "size": c.Size, "fingerprint": c.Fingerprint, "note": c.Note})
	}
	_, err = io.WriteString(env.Stdout, strings.TrimSuffix(c.Note, "\n")+"\n")
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

// auditExports compares A's export with B's and exits 1 on any finding.
func auditExports(ctx context.Context, env *Env, aPath, bPath string, jsonOut bool) error {
	rep, err := audit.AuditExports(ctx, aPath, bPath)
	if err != nil {
		return err
	}
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
	a, err := lf.parseAndOpen(fs, args, audit.ReadOnly)
	if err != nil {
		return err
	}
	defer a.Close()
	pcs, err := a.Conflicts()
	if err != nil {
		return err
	}
	if lf.json {
		if pcs == nil {
			pcs = []audit.StandingConflict{}
		}
		return printJSON(env.Stdout, pcs)
	}
	if len(pcs) == 0 {
		fmt.Fprintln(env.Stdout, "no standing conflicts")
		return nil
	}
	for _, pc := range pcs {
		if pc.Reported {
			fmt.Fprintf(env.Stdout, "CONFLICT reported by peer %s since %s: %s\n", pc.PeerFingerprint, pc.Since.Format(time.RFC3339), pc.ReportNote)
			continue
		}
		fmt.Fprintf(env.Stdout, "CONFLICT with peer %s (%s) since %s: %d conflicting checkpoint(s), %d stored as evidence, %d over the quota, %d other checkpoint(s) refused\n",
			pc.PeerFingerprint, pc.Kind, pc.Since.Format(time.RFC3339), pc.Detections, pc.Stored, pc.Dropped, pc.Refused)
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
	fp, err := audit.ParseFingerprint(fs.Arg(0))
	if err != nil {
		return Usagef("%v", err)
	}
	a, err := lf.open(audit.ReadWrite)
	if err != nil {
		return err
	}
	defer a.Close()
	peer, err := a.DismissConflict(fp)
	if err != nil {
		return err
	}
	if peer == "" {
		return fmt.Errorf("no standing conflict with %s (see 'qkdchat ledger conflicts')", fp)
	}
	fmt.Fprintf(env.Stdout, "dismissed the conflict with %s; the evidence stays in the ledger, and the peer's next checkpoint is cosigned as a new starting point\n", peer)
	return nil
}
