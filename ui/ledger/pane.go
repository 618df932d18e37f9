package ledger

import (
	"context"
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

	"qkdchat/node"
	"qkdchat/node/audit"
	"qkdchat/ui/widgets"
)

// pageSize is how many transactions one page of the browser holds.
const pageSize = 50

// allKinds is the kind filter's "no filter" choice.
const allKinds = "all kinds"

// Env is what the ledger pane and the conflict banner need of the
// window around them, besides the ledger's Auditor.
type Env struct {
	Ctx      context.Context
	Win      fyne.Window              // parent of the file dialogs
	Spawn    func(func())             // runs background work
	Do       func(func())             // runs on the UI goroutine
	NameOf   func(fp string) string   // a contact's display name (UI goroutine)
	Names    func() map[string]string // a copy of every contact's name by fingerprint (UI goroutine)
	SelfName string                   // this user's display name
	Shown    func() bool              // whether the ledger tab is selected
	Status   func(string)             // sets the status line
	Relayout func()                   // lays the window out again
}

// Pane browses, searches, verifies, proves and exports the ledger.
type Pane struct {
	a   *audit.Auditor
	env Env

	search   *widget.Entry
	kind     *widget.Select
	verify   *widget.Button
	export   *widget.Button
	progress *widgets.ProgressRow
	verdict  *widget.Label

	rows      []audit.TxRow
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
	proof     *audit.Proof

	blocks      []audit.Block
	blockList   *widget.List
	blockDetail *widget.Label

	stale   bool
	loading atomic.Int64 // generation of the newest load, so late results are dropped
	content fyne.CanvasObject
}

// New builds the ledger pane over the node's Auditor.
func New(a *audit.Auditor, env Env) *Pane {
	p := &Pane{a: a, env: env, selected: -1, stale: true}
	p.search = widget.NewEntry()
	p.search.SetPlaceHolder("Search by contact, case or transaction ID")
	p.search.OnSubmitted = func(string) { p.page = 0; p.reload() }
	kinds := append([]string{allKinds}, audit.TxKinds()...)
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

	p.txList = widgets.NewLabelList(func() int { return len(p.rows) }, func(i int) string { return p.rowSummary(p.rows[i]) })
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

	p.blockList = widgets.NewLabelList(func() int { return len(p.blocks) }, func(i int) string {
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

// MarkStale notes that the ledger grew; the list reloads when shown.
func (p *Pane) MarkStale() {
	p.stale = true
	if p.env.Shown() && p.page == 0 {
		p.reload()
	}
}

// RefreshIfStale reloads the list if the ledger grew since it was read.
func (p *Pane) RefreshIfStale() {
	if p.stale {
		p.reload()
	}
}

// reload reads the current page in the background.
func (p *Pane) reload() {
	p.stale = false
	if p.page < 0 {
		p.page = 0
	}
	q := audit.TxQuery{Text: strings.TrimSpace(p.search.Text), Names: p.env.Names()}
	if p.kind.Selected != allKinds {
		q.Kind = p.kind.Selected
	}
	q.Names[p.a.Fingerprint()] = p.env.SelfName
	page := p.page
	gen := p.loading.Add(1)
	p.env.Spawn(func() {
		rows, more, err := p.a.Transactions(p.env.Ctx, q, page, pageSize)
		blocks, berr := p.a.Blocks(0, 200)
		size := p.a.Size()
		p.env.Do(func() {
			if p.loading.Load() != gen {
				return
			}
			if err != nil {
				p.verdict.SetText("Cannot read the ledger: " + node.UserError(err))
			}
			if berr == nil {
				p.blocks = blocks
				p.blockList.Refresh()
			}
			p.rows, p.more = rows, more
			p.selected = -1
			p.txList.UnselectAll()
			p.txList.Refresh()
			p.pageLbl.SetText(fmt.Sprintf("Page %d · %d in ledger", page+1, size))
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

func (p *Pane) nameOf(fp string) string {
	if fp == p.a.Fingerprint() {
		return "you"
	}
	return p.env.NameOf(fp)
}

// rowSummary is the one-line form of a transaction in the list.
func (p *Pane) rowSummary(r audit.TxRow) string {
	sig := "signed"
	if r.SigErr != nil {
		sig = "BAD SIGNATURE"
	}
	s := fmt.Sprintf("#%d  %s  %s → %s  %s  %s", r.Index, r.Kind, p.nameOf(r.Sender), p.nameOf(r.Recipient),
		r.Time.Local().Format("2 Jan 15:04"), sig)
	if r.CaseID != "" {
		s += "  case " + r.CaseID
	}
	if a := attachmentsRow(r.AttachmentRefs); a != "" {
		s += "  " + a
	}
	return s
}

// showTx shows the details of row i.
func (p *Pane) showTx(i int) {
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
	fmt.Fprintf(&b, "Transaction #%d · %s\n", r.Index, r.Kind)
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
	fmt.Fprintf(&b, "From %s (%s)\nTo %s (%s)\n", p.nameOf(r.Sender), r.Sender, p.nameOf(r.Recipient), r.Recipient)
	if r.CaseID != "" {
		fmt.Fprintf(&b, "Case: %s\n", r.CaseID)
	}
	fmt.Fprintf(&b, "Time: %s\n", r.Time.Local().Format(time.DateTime))
	if r.SigErr == nil {
		b.WriteString("Signature: valid Ed25519 signature by the sender\n")
	} else {
		fmt.Fprintf(&b, "Signature: INVALID (%v)\n", r.SigErr)
	}
	b.WriteString(attachmentsDetail(r.AttachmentRefs))
	switch {
	case r.Msg != nil && r.Kind == audit.TxKindKeyEvent:
		fmt.Fprintf(&b, "Content (decrypted): key exchange record, epoch %d\n%s", r.Msg.Epoch, r.Msg.Body)
	case r.Msg != nil:
		fmt.Fprintf(&b, "Content (decrypted, key epoch %d):\n%s", r.Msg.Epoch, r.Msg.Text)
	case errors.Is(r.OpenErr, audit.ErrNoKey):
		fmt.Fprintf(&b, "Content: encrypted (%d bytes); you do not hold its key", r.TokenBytes)
	default:
		fmt.Fprintf(&b, "Content: encrypted (%d bytes); cannot open: %s", r.TokenBytes, node.UserError(r.OpenErr))
	}
	p.detail.SetText(b.String())
	p.prove.Enable()
}

func (p *Pane) showBlock(i int) {
	if i < 0 || i >= len(p.blocks) {
		return
	}
	bl := p.blocks[i]
	p.blockDetail.SetText(fmt.Sprintf("Block %d\nTime: %s\nTransactions: %d (#%d to #%d)\nHash: %s\nPrevious block hash: %s\nMerkle tree size: %d\nMerkle tree root: %s",
		bl.Height, bl.Time.Local().Format(time.DateTime), bl.TxCount, bl.FirstIndex(), bl.TreeSize-1, bl.Hash, bl.PrevHash, bl.TreeSize, bl.TreeRoot))
}

// startVerify checks the whole ledger in the background with progress.
func (p *Pane) startVerify() {
	p.verify.Disable()
	p.progress.SetProgress(0, "starting")
	p.progress.Show()
	p.verdict.Importance = widget.MediumImportance
	p.verdict.SetText("Verifying every signature, Merkle hash and block hash…")
	p.env.Spawn(func() {
		var last atomic.Int64
		last.Store(-1)
		rep, err := p.a.Verify(p.env.Ctx, func(done, total int64) {
			if total <= 0 {
				return
			}
			pct := done * 100 / total
			if last.Swap(pct) == pct {
				return
			}
			p.env.Do(func() {
				p.progress.SetProgress(float64(done)/float64(total), fmt.Sprintf("%d of %d", done, total))
			})
		})
		p.env.Do(func() {
			p.verify.Enable()
			p.showVerdict(rep, err)
		})
	})
}

// verifyVerdict phrases the outcome of Verify for the user.
func verifyVerdict(rep *audit.VerifyReport, err error) (string, bool) {
	switch {
	case err != nil:
		return "Verification failed: " + node.UserError(err), false
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

func (p *Pane) showVerdict(rep *audit.VerifyReport, err error) {
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
func (p *Pane) chooseExport() {
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil {
			p.verdict.SetText("Export: " + node.UserError(err))
			return
		}
		if w == nil {
			return
		}
		p.exportTo(w, w.URI().Path())
	}, p.env.Win)
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
func (p *Pane) exportTo(w io.WriteCloser, name string) {
	p.export.Disable()
	p.progress.Show()
	p.progress.SetProgress(0, "exporting")
	p.verdict.Importance = widget.MediumImportance
	p.verdict.SetText("Exporting the ledger to " + name + "…")
	size := p.a.Size()
	p.env.Spawn(func() {
		cw := &countingWriter{w: w}
		ctx, cancel := context.WithCancel(p.env.Ctx)
		defer cancel()
		p.env.Spawn(func() {
			t := time.NewTicker(200 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					n := cw.n.Load()
					p.env.Do(func() { p.progress.SetProgress(0.5, fmt.Sprintf("%d kB written", n/1024)) })
				}
			}
		})
		err := p.a.Export(ctx, cw)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		cancel()
		n := cw.n.Load()
		p.env.Do(func() {
			p.export.Enable()
			if err != nil {
				p.verdict.Importance = widget.DangerImportance
				p.verdict.SetText("Export failed: " + node.UserError(err))
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
func (p *Pane) startProve() {
	if p.selected < 0 || p.selected >= len(p.rows) {
		return
	}
	r := p.rows[p.selected]
	p.prove.Disable()
	p.proofOut.SetText("Building the inclusion proof…")
	p.env.Spawn(func() {
		proof, err := p.a.Prove(r.ID)
		p.env.Do(func() {
			p.prove.Enable()
			if err != nil {
				p.proofOut.Importance = widget.DangerImportance
				p.proofOut.SetText("No proof: " + node.UserError(err))
				return
			}
			p.proof = proof
			p.proofOut.Importance = widget.SuccessImportance
			p.proofOut.SetText(fmt.Sprintf("Proof verified: transaction #%d is in this ledger. Its Merkle audit path of %d hashes leads to the root in the ledger's signed checkpoint:",
				proof.Index, proof.PathLen))
			p.proofNote.SetText(strings.TrimSpace(proof.Checkpoint))
			p.saveProf.Show()
		})
	})
}

func (p *Pane) chooseSaveProof() {
	if p.proof == nil {
		return
	}
	proof := p.proof
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil || w == nil {
			return
		}
		_, err = w.Write(proof.JSON)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			p.proofOut.SetText("Cannot save the proof: " + err.Error())
		}
	}, p.env.Win)
	d.SetFileName(fmt.Sprintf("qkdchat-proof-%d.json", proof.Index))
	d.Show()
}

// Content is the pane's root object, for the Ledger tab.
func (p *Pane) Content() fyne.CanvasObject { return p.content }

// Page is the pager's line ("" until the first page is read).
func (p *Pane) Page() string { return p.pageLbl.Text }

// ProveAndVerify picks the second transaction of the page, proves it, and
// verifies the whole ledger (for the demo's screenshots).
func (p *Pane) ProveAndVerify() {
	if len(p.rows) > 1 {
		p.txList.Select(1)
		p.startProve()
	}
	p.startVerify()
}
