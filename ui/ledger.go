package ui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"qkdchat/app"
	"qkdchat/identity"
	"qkdchat/ledger"
	"qkdchat/ui/widgets"
)

// ledgerPageSize is how many transactions one page of the browser holds.
const ledgerPageSize = 50

// allKinds is the kind filter's "no filter" choice.
const allKinds = "all kinds"

// txRow is one transaction of the browser, with what this user can learn
// about it.
type txRow struct {
	Index   int64
	Tx      *ledger.Transaction
	ID      ledger.TxID
	SigErr  error        // nil when the sender's signature checks out
	Msg     *app.Message // decrypted content, when this user holds the key
	OpenErr error
	Block   int64 // height of the block holding it; -1 while pending
}

// ledgerPane browses, searches, verifies, proves and exports the ledger.
type ledgerPane struct {
	s *Shell

	search   *widget.Entry
	kind     *widget.Select
	verify   *widget.Button
	export   *widget.Button
	progress *widgets.ProgressRow
	verdict  *widget.Label

	rows      []txRow
	page      int
	more      bool
	txList    *widget.List
	pageLbl   *widget.Label
	prev      *widget.Button
	next      *widget.Button
	detail    *widget.Label
	prove     *widget.Button
	proofOut  *widget.Label
	saveProf  *widget.Button
	proofNote *widget.Label // the signed checkpoint the proof leads to
	selected  int
	proof     *ledger.InclusionProof

	blocks      []ledger.Block
	blockList   *widget.List
	blockDetail *widget.Label

	stale   bool
	loading atomic.Int64 // generation of the newest load, so late results are dropped
	content fyne.CanvasObject
}

func newLedgerPane(s *Shell) *ledgerPane {
	p := &ledgerPane{s: s, selected: -1, stale: true}
	p.search = widget.NewEntry()
	p.search.SetPlaceHolder("Search by contact, case or transaction ID")
	p.search.OnSubmitted = func(string) { p.page = 0; p.reload() }
	kinds := []string{allKinds}
	for k := ledger.KindChat; k.Valid(); k++ {
		kinds = append(kinds, k.String())
	}
	p.kind = widget.NewSelect(kinds, nil)
	p.kind.SetSelected(allKinds)
	p.kind.OnChanged = func(string) { p.page = 0; p.reload() }
	searchBtn := widget.NewButtonWithIcon("Search", theme.SearchIcon(), func() { p.page = 0; p.reload() })
	p.verify = widget.NewButtonWithIcon("Verify ledger", theme.ConfirmIcon(), p.startVerify)
	p.verify.Importance = widget.HighImportance
	p.export = widget.NewButtonWithIcon("Export for audit…", theme.DocumentSaveIcon(), p.chooseExport)
	p.progress = widgets.NewProgressRow("Verify")
	p.progress.Hide()
	p.verdict = widget.NewLabel("")
	p.verdict.Wrapping = fyne.TextWrapWord

	p.txList = labelList(func() int { return len(p.rows) }, func(i int) string { return p.rowSummary(p.rows[i]) })
	p.txList.OnSelected = func(i widget.ListItemID) { p.showTx(i) }
	p.pageLbl = widget.NewLabel("")
	p.pageLbl.Truncation = fyne.TextTruncateEllipsis
	p.pageLbl.Alignment = fyne.TextAlignCenter
	p.prev = widget.NewButtonWithIcon("Newer", theme.NavigateBackIcon(), func() { p.page--; p.reload() })
	p.next = widget.NewButtonWithIcon("Older", theme.NavigateNextIcon(), func() { p.page++; p.reload() })
	p.detail = widget.NewLabel("Choose a transaction to see its hashes, signature and content.")
	// Hashes are long words: break anywhere rather than widen the window.
	p.detail.Wrapping = fyne.TextWrapBreak
	p.detail.Selectable = true
	p.prove = widget.NewButtonWithIcon("Prove", theme.ConfirmIcon(), p.startProve)
	p.prove.Disable()
	p.proofOut = widget.NewLabel("")
	p.proofOut.Wrapping = fyne.TextWrapWord
	p.proofNote = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	p.proofNote.Wrapping = fyne.TextWrapBreak
	p.saveProf = widget.NewButtonWithIcon("Save proof…", theme.DocumentSaveIcon(), p.chooseSaveProof)
	p.saveProf.Hide()

	txDetail := container.NewVScroll(container.NewVBox(p.detail, container.NewHBox(p.prove, p.saveProf), p.proofOut, p.proofNote))
	pager := container.NewBorder(nil, nil, p.prev, p.next, p.pageLbl)
	txSplit := container.NewHSplit(container.NewBorder(nil, pager, nil, nil, p.txList), txDetail)
	txSplit.Offset = 0.5

	p.blockList = labelList(func() int { return len(p.blocks) }, func(i int) string {
		b := p.blocks[i]
		return fmt.Sprintf("Block %d · %d tx · %s · %s…", b.Height, b.TxCount, b.Time.Local().Format("2 Jan 15:04:05"), b.Hash.String()[:12])
	})
	p.blockDetail = widget.NewLabel("Choose a block to see its hashes.")
	p.blockDetail.Wrapping = fyne.TextWrapBreak
	p.blockDetail.Selectable = true
	p.blockList.OnSelected = func(i widget.ListItemID) { p.showBlock(i) }
	blockSplit := container.NewHSplit(p.blockList, container.NewVScroll(p.blockDetail))
	blockSplit.Offset = 0.5

	inner := container.NewAppTabs(
		container.NewTabItem("Transactions", txSplit),
		container.NewTabItem("Blocks", blockSplit),
	)
	toolbar := container.NewVBox(
		container.NewBorder(nil, nil, nil, container.NewHBox(p.kind, searchBtn), p.search),
		container.NewHBox(p.verify, p.export))
	p.content = container.NewPadded(container.NewBorder(container.NewVBox(toolbar, p.progress, p.verdict), nil, nil, nil, inner))
	return p
}

// markStale notes that the ledger grew; the list reloads when shown.
func (p *ledgerPane) markStale() {
	p.stale = true
	if p.s.tabs != nil && p.s.tabs.Selected() == p.s.tabItems[TabLedger] && p.page == 0 {
		p.reload()
	}
}

func (p *ledgerPane) refreshIfStale() {
	if p.stale {
		p.reload()
	}
}

// ledgerQuery is what the search box and kind filter ask for.
type ledgerQuery struct {
	text  string
	kind  ledger.Kind // 0 for any
	names map[string]string
}

func (q ledgerQuery) match(r *txRow) bool {
	if q.kind != 0 && r.Tx.Kind != q.kind {
		return false
	}
	if q.text == "" {
		return true
	}
	t := strings.ToLower(q.text)
	from, to := identity.Fingerprint(r.Tx.Sender), identity.Fingerprint(r.Tx.Recipient)
	for _, s := range []string{r.Tx.CaseID, from, to, q.names[from], q.names[to], r.ID.String()} {
		if s != "" && strings.Contains(strings.ToLower(s), t) {
			return true
		}
	}
	return false
}

// reload reads the current page in the background.
func (p *ledgerPane) reload() {
	p.stale = false
	if p.page < 0 {
		p.page = 0
	}
	q := ledgerQuery{text: strings.TrimSpace(p.search.Text), names: map[string]string{}}
	if k, err := ledger.ParseKind(p.kind.Selected); err == nil {
		q.kind = k
	}
	for fp, n := range p.s.names {
		q.names[fp] = n
	}
	q.names[p.s.node.Fingerprint()] = p.s.node.Profile().Name
	page := p.page
	gen := p.loading.Add(1)
	p.s.spawn(func() {
		rows, more, err := loadLedgerPage(p.s.ctx, p.s.node, q, page)
		blocks, berr := p.s.node.Ledger().Blocks(0, 200)
		p.s.do(func() {
			if p.loading.Load() != gen {
				return
			}
			if err != nil {
				p.verdict.SetText("Cannot read the ledger: " + app.UserError(err))
			}
			if berr == nil {
				p.blocks = blocks
				p.blockList.Refresh()
			}
			p.rows, p.more = rows, more
			p.selected = -1
			p.txList.UnselectAll()
			p.txList.Refresh()
			p.pageLbl.SetText(fmt.Sprintf("Page %d · %d in ledger", page+1, p.s.node.Ledger().Size()))
			if page > 0 {
				p.prev.Enable()
			} else {
				p.prev.Disable()
			}
			if more {
				p.next.Enable()
			} else {
				p.next.Disable()
			}
		})
	})
}

// loadLedgerPage finds page `page` of the transactions matching q, newest
// first, and reports whether there are more.
func loadLedgerPage(ctx context.Context, n *app.Node, q ledgerQuery, page int) ([]txRow, bool, error) {
	l := n.Ledger()
	skip := page * ledgerPageSize
	var out []txRow
	const chunk = 256
	for end := l.Size(); end > 0; end -= chunk {
		if err := ctx.Err(); err != nil {
			return out, false, err
		}
		start := max(end-chunk, 0)
		txs, err := l.Txs(start, end)
		if err != nil {
			return out, false, fmt.Errorf("ledger: read transactions %d-%d: %w", start, end, err)
		}
		for i := len(txs) - 1; i >= 0; i-- {
			r := txRow{Index: start + int64(i), Tx: txs[i], ID: txs[i].ID()}
			if !q.match(&r) {
				continue
			}
			if skip > 0 {
				skip--
				continue
			}
			if len(out) == ledgerPageSize {
				return out, true, nil
			}
			r.SigErr = r.Tx.Verify()
			r.Msg, r.OpenErr = n.OpenTransaction(r.Tx)
			if b, err := l.BlockOf(r.Index); err == nil {
				r.Block = b
			} else {
				r.Block = -1
			}
			out = append(out, r)
		}
	}
	return out, false, nil
}

func (p *ledgerPane) nameOf(pub []byte) string {
	fp := identity.Fingerprint(pub)
	if fp == p.s.node.Fingerprint() {
		return "you"
	}
	return p.s.nameOf(fp)
}

// rowSummary is the one-line form of a transaction in the list.
func (p *ledgerPane) rowSummary(r txRow) string {
	sig := "signed"
	if r.SigErr != nil {
		sig = "BAD SIGNATURE"
	}
	s := fmt.Sprintf("#%d  %s  %s → %s  %s  %s", r.Index, r.Tx.Kind, p.nameOf(r.Tx.Sender), p.nameOf(r.Tx.Recipient),
		r.Tx.Time.Local().Format("2 Jan 15:04"), sig)
	if r.Tx.CaseID != "" {
		s += "  case " + r.Tx.CaseID
	}
	return s
}

// showTx shows the details of row i.
func (p *ledgerPane) showTx(i int) {
	if i < 0 || i >= len(p.rows) {
		return
	}
	p.selected = i
	p.proof = nil
	p.proofOut.SetText("")
	p.proofNote.SetText("")
	p.saveProf.Hide()
	r := p.rows[i]
	var b strings.Builder
	fmt.Fprintf(&b, "Transaction #%d · %s\n", r.Index, r.Tx.Kind)
	fmt.Fprintf(&b, "TxID (Merkle leaf hash): %s\n", r.ID)
	if r.Block >= 0 {
		fmt.Fprintf(&b, "In block %d", r.Block)
		for _, bl := range p.blocks {
			if bl.Height == r.Block {
				fmt.Fprintf(&b, " (hash %s)", bl.Hash)
			}
		}
		b.WriteString("\n")
	} else {
		b.WriteString("Not in a block yet (pending)\n")
	}
	fmt.Fprintf(&b, "From %s (%s)\nTo %s (%s)\n", p.nameOf(r.Tx.Sender), identity.Fingerprint(r.Tx.Sender), p.nameOf(r.Tx.Recipient), identity.Fingerprint(r.Tx.Recipient))
	if r.Tx.CaseID != "" {
		fmt.Fprintf(&b, "Case: %s\n", r.Tx.CaseID)
	}
	fmt.Fprintf(&b, "Time: %s\n", r.Tx.Time.Local().Format(time.DateTime))
	if r.SigErr == nil {
		b.WriteString("Signature: valid Ed25519 signature by the sender\n")
	} else {
		fmt.Fprintf(&b, "Signature: INVALID (%v)\n", r.SigErr)
	}
	for _, a := range r.Tx.Attachments {
		fmt.Fprintf(&b, "Attachment: %s, %d bytes, SHA-256 %x\n", a.Name, a.Size, a.SHA256)
	}
	switch {
	case r.Msg != nil && r.Tx.Kind == ledger.KindKeyEvent:
		fmt.Fprintf(&b, "Content (decrypted): key exchange record, epoch %d\n%s", r.Msg.Epoch, r.Msg.Body)
	case r.Msg != nil:
		fmt.Fprintf(&b, "Content (decrypted, key epoch %d):\n%s", r.Msg.Epoch, r.Msg.Text)
	case errors.Is(r.OpenErr, app.ErrNoKey):
		fmt.Fprintf(&b, "Content: encrypted (%d bytes); you do not hold its key", len(r.Tx.Token))
	default:
		fmt.Fprintf(&b, "Content: encrypted (%d bytes); cannot open: %s", len(r.Tx.Token), app.UserError(r.OpenErr))
	}
	p.detail.SetText(b.String())
	p.prove.Enable()
}

func (p *ledgerPane) showBlock(i int) {
	if i < 0 || i >= len(p.blocks) {
		return
	}
	bl := p.blocks[i]
	p.blockDetail.SetText(fmt.Sprintf("Block %d\nTime: %s\nTransactions: %d (#%d to #%d)\nHash: %s\nPrevious block hash: %s\nMerkle tree size: %d\nMerkle tree root: %s",
		bl.Height, bl.Time.Local().Format(time.DateTime), bl.TxCount, bl.FirstIndex(), bl.TreeSize-1, bl.Hash, bl.PrevHash, bl.TreeSize, bl.TreeRoot))
}

// startVerify checks the whole ledger in the background with progress.
func (p *ledgerPane) startVerify() {
	p.verify.Disable()
	p.progress.SetProgress(0, "starting")
	p.progress.Show()
	p.verdict.Importance = widget.MediumImportance
	p.verdict.SetText("Verifying every signature, Merkle hash and block hash…")
	p.s.spawn(func() {
		var last atomic.Int64
		last.Store(-1)
		rep, err := p.s.node.Ledger().Verify(p.s.ctx, func(done, total int64) {
			if total <= 0 {
				return
			}
			pct := done * 100 / total
			if last.Swap(pct) == pct {
				return
			}
			p.s.do(func() {
				p.progress.SetProgress(float64(done)/float64(total), fmt.Sprintf("%d of %d", done, total))
			})
		})
		p.s.do(func() {
			p.verify.Enable()
			p.showVerdict(rep, err)
		})
	})
}

// verifyVerdict phrases the outcome of Verify for the user.
func verifyVerdict(rep *ledger.VerifyReport, err error) (string, bool) {
	switch {
	case err != nil:
		return "Verification failed: " + app.UserError(err), false
	case rep == nil:
		return "Verification failed: no report", false
	case !rep.OK:
		s := "Ledger is NOT intact"
		if rep.FirstBadHeight >= 0 {
			s += fmt.Sprintf(": first bad block is %d", rep.FirstBadHeight)
		}
		if rep.BadIndex >= 0 {
			s += fmt.Sprintf(" (transaction #%d)", rep.BadIndex)
		}
		if rep.Reason != "" {
			s += ": " + rep.Reason
		}
		return s, false
	case len(rep.Conflicts) > 0:
		return fmt.Sprintf("Your ledger is intact (%d transactions, %d blocks), but a peer signed %d conflicting checkpoints: it rewrote its ledger.", rep.Size, rep.Blocks, len(rep.Conflicts)), false
	}
	return fmt.Sprintf("Ledger verified: %d transactions in %d blocks; every signature, Merkle hash and block hash checks out (%d checkpoints, %d cosignatures).",
		rep.Size, rep.Blocks, rep.Checkpoints, rep.Cosignatures), true
}

func (p *ledgerPane) showVerdict(rep *ledger.VerifyReport, err error) {
	msg, ok := verifyVerdict(rep, err)
	if ok {
		p.verdict.Importance = widget.SuccessImportance
		p.progress.SetProgress(1, "done")
	} else {
		p.verdict.Importance = widget.DangerImportance
		f, _ := p.progress.Progress()
		p.progress.SetProgress(f, "failed")
	}
	p.verdict.SetText(msg)
}

// chooseExport asks where to write the audit export.
func (p *ledgerPane) chooseExport() {
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil {
			p.verdict.SetText("Export: " + app.UserError(err))
			return
		}
		if w == nil {
			return
		}
		p.exportTo(w, w.URI().Path())
	}, p.s.win)
	d.SetFileName("qkdchat-ledger-export.jsonl")
	d.Show()
}

// countingWriter counts bytes for the export's progress.
type countingWriter struct {
	w io.Writer
	n atomic.Int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n.Add(int64(n))
	return n, err
}

// exportTo writes the export to w in the background and closes it.
func (p *ledgerPane) exportTo(w io.WriteCloser, name string) {
	p.export.Disable()
	p.progress.Show()
	p.progress.SetProgress(0, "exporting")
	p.verdict.Importance = widget.MediumImportance
	p.verdict.SetText("Exporting the ledger to " + name + "…")
	size := p.s.node.Ledger().Size()
	p.s.spawn(func() {
		cw := &countingWriter{w: w}
		ctx, cancel := context.WithCancel(p.s.ctx)
		defer cancel()
		p.s.spawn(func() {
			t := time.NewTicker(200 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					n := cw.n.Load()
					p.s.do(func() { p.progress.SetProgress(0.5, fmt.Sprintf("%d kB written", n/1024)) })
				}
			}
		})
		err := p.s.node.Ledger().Export(ctx, cw)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		cancel()
		n := cw.n.Load()
		p.s.do(func() {
			p.export.Enable()
			if err != nil {
				p.verdict.Importance = widget.DangerImportance
				p.verdict.SetText("Export failed: " + app.UserError(err))
				p.progress.SetProgress(0, "failed")
				return
			}
			p.progress.SetProgress(1, "done")
			p.verdict.Importance = widget.SuccessImportance
			p.verdict.SetText(fmt.Sprintf("Exported %d transactions (%d bytes) to %s. An auditor checks it with: qkdchat ledger verify --export FILE", size, n, name))
		})
	})
}

// startProve builds and checks an inclusion proof of the selected
// transaction in the background.
func (p *ledgerPane) startProve() {
	if p.selected < 0 || p.selected >= len(p.rows) {
		return
	}
	r := p.rows[p.selected]
	p.prove.Disable()
	p.proofOut.SetText("Building the inclusion proof…")
	p.s.spawn(func() {
		l := p.s.node.Ledger()
		proof, err := l.ProveInclusion(r.ID)
		if err == nil {
			err = ledger.VerifyInclusion(proof, l.Identity().Public())
		}
		p.s.do(func() {
			p.prove.Enable()
			if err != nil {
				p.proofOut.Importance = widget.DangerImportance
				p.proofOut.SetText("No proof: " + app.UserError(err))
				return
			}
			p.proof = proof
			p.proofOut.Importance = widget.SuccessImportance
			p.proofOut.SetText(fmt.Sprintf("Proof verified: transaction #%d is in this ledger. Its Merkle audit path of %d hashes leads to the root in the ledger's signed checkpoint:",
				proof.Index, len(proof.Proof)))
			p.proofNote.SetText(strings.TrimSpace(proof.Checkpoint))
			p.saveProf.Show()
		})
	})
}

func (p *ledgerPane) chooseSaveProof() {
	if p.proof == nil {
		return
	}
	proof := p.proof
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil || w == nil {
			return
		}
		defer w.Close()
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(proof); err != nil {
			p.proofOut.SetText("Cannot save the proof: " + err.Error())
		}
	}, p.s.win)
	d.SetFileName(fmt.Sprintf("qkdchat-proof-%d.json", proof.Index))
	d.Show()
}

// conflictBanner shows each standing ledger conflict (a peer signed
// conflicting checkpoints, or reports that we did) as a red warning above
// the tabs, with a Dismiss button, until the user dismisses it. It is
// hidden, taking no space, when there is none.
type conflictBanner struct {
	s   *Shell
	box *fyne.Container
}

func newConflictBanner(s *Shell) *conflictBanner {
	b := &conflictBanner{s: s, box: container.NewVBox()}
	b.box.Hide()
	return b
}

// reload reads the standing conflicts off the UI goroutine and shows them.
func (b *conflictBanner) reload() {
	b.s.spawn(func() {
		pcs, err := b.s.node.StandingConflicts()
		b.s.do(func() { b.show(pcs, err) })
	})
}

func (b *conflictBanner) show(pcs []ledger.PeerConflict, err error) {
	b.box.RemoveAll()
	warn := func(text string) *widget.Label {
		l := widget.NewLabel(text)
		l.Importance = widget.DangerImportance
		l.TextStyle.Bold = true
		l.Wrapping = fyne.TextWrapWord
		return l
	}
	if err != nil {
		b.box.Add(warn("Could not read the ledger's conflicts: " + err.Error()))
	}
	for _, pc := range pcs {
		fp := identity.Fingerprint(pc.Peer)
		name := b.s.nameOf(fp)
		var msg string
		if pc.Reported {
			msg = fmt.Sprintf("Ledger conflict: %s refused our ledger checkpoint as conflicting (%s). %s", name, pc.Since.Local().Format("2006-01-02 15:04"), pc.ReportNote)
		} else {
			msg = fmt.Sprintf("Ledger conflict: %s (%s) signed conflicting ledger checkpoints (%s) on %s: its ledger was rewritten or truncated. The evidence is kept; its checkpoints are refused until you dismiss this.",
				name, fp, pc.Kind, pc.Since.Local().Format("2006-01-02 15:04"))
		}
		peer := pc.Peer
		dismiss := widget.NewButtonWithIcon("Dismiss", theme.CancelIcon(), func() {
			b.s.spawn(func() {
				_, err := b.s.node.Ledger().DismissConflict(peer)
				b.s.do(func() {
					if err != nil {
						b.s.setStatus("Could not dismiss the conflict: " + err.Error())
					}
				})
				b.reload()
			})
		})
		b.box.Add(container.NewBorder(nil, nil, widget.NewIcon(theme.NewErrorThemedResource(theme.WarningIcon())), dismiss, warn(msg)))
	}
	if len(b.box.Objects) == 0 {
		b.box.Hide()
	} else {
		b.box.Show()
	}
	b.box.Refresh()
	// The banner's height changed: lay out the window's content again, or
	// the tabs below stay where they were, under the banner.
	if b.s.content != nil {
		b.s.content.Refresh()
	}
}
