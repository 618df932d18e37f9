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
	id, err := ledger.LoadIdentity(dir)
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
	if err := Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return Usagef("verify takes no arguments")
	}
	if *export != "" && *proof != "" {
		return Usagef("give --export or --proof, not both")
	}
	var want string
	if *key != "" {
		fp, err := ledger.ParseFingerprint(*key)
		if err != nil {
			return Usagef("--key: %v", err)
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
		if oerr != nil {
			return oerr
		}
		defer l.Close()
		what = l.Path()
		rep, err = l.Verify(ctx, nil)
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
	case !rep.OK:
		return &ExitError{Code: 1, Err: fmt.Errorf("%s is bad: %s", what, rep.Reason)}
	case want != "" && rep.Fingerprint != want:
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
	for _, c := range rep.Conflicts {
		fmt.Fprintf(w, "  CONFLICT (%s): peer %s signed size %d root %s and size %d root %s\n",
			c.Kind, ledger.Fingerprint(c.Peer), c.Old.Size, c.Old.Root, c.New.Size, c.New.Root)
	}
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
	fp := ledger.Fingerprint(p.Key)
	if want != "" && fp != want {
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
				Sender: ledger.Fingerprint(tx.Sender), Recipient: ledger.Fingerprint(tx.Recipient), CaseID: tx.CaseID,
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
	if err := Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return Usagef("export takes no arguments")
	}
	l, err := lf.open(true)
	if err != nil {
		return err
	}
	defer l.Close()
	if *out == "" {
		return l.Export(ctx, env.Stdout)
	}
	f, err := os.CreateTemp(filepath.Dir(*out), "."+filepath.Base(*out)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := l.Export(ctx, f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), *out); err != nil {
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
	if err := os.WriteFile(*out, b, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "wrote %s; check it offline with 'qkdchat ledger verify --proof %s --key %q'\n", *out, *out, l.Identity().Fingerprint())
	return nil
}

func runLedgerCheckpoint(_ context.Context, env *Env, args []string) error {
	fs, lf := newLedgerFlagSet(env, "checkpoint", "")
	if err := Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return Usagef("checkpoint takes no arguments")
	}
	l, err := lf.open(false)
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
