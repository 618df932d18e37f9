package audit

import (
	"context"
	"fmt"
	"strings"
	"time"

	"qkdchat/identity"
	"qkdchat/ledger"
	"qkdchat/session"
)

// Block is one block of the ledger (plain data; its hashes print as hex).
type Block = ledger.Block

// LedgerAttachment is what the ledger commits to of an attachment: its
// name, size and SHA-256 digest.
type LedgerAttachment = ledger.AttachmentRef

// TxRow is one transaction as a front end lists it. Its JSON is the one
// `qkdchat ledger show --json` prints; the fields after Attachments are
// for a browser and are filled by Transactions only.
type TxRow struct {
	Index       int64     `json:"index"`
	ID          TxID      `json:"id"`
	Kind        string    `json:"kind"`
	Sender      string    `json:"sender"`    // fingerprint
	Recipient   string    `json:"recipient"` // fingerprint
	CaseID      string    `json:"case"`
	Time        time.Time `json:"time"`
	TokenBytes  int       `json:"token_bytes"` // size of the ciphertext
	Attachments int       `json:"attachments"`

	AttachmentRefs []LedgerAttachment `json:"-"`
	Block          int64              `json:"-"` // height of the block holding it; -1 if unknown
	SigErr         error              `json:"-"` // nil when the sender's signature checks out
	Msg            *session.Message   `json:"-"` // the content, when this node holds the key
	OpenErr        error              `json:"-"` // why not (ErrNoKey: it does not hold the key)
}

// txRow is the listing of transaction tx at index.
func txRow(index int64, tx *ledger.Transaction) TxRow {
	return TxRow{Index: index, ID: tx.ID(), Kind: tx.Kind.String(), Sender: identity.Fingerprint(tx.Sender),
		Recipient: identity.Fingerprint(tx.Recipient), CaseID: tx.CaseID, Time: tx.Time, TokenBytes: len(tx.Token),
		Attachments: len(tx.Attachments), AttachmentRefs: tx.Attachments, Block: -1}
}

// TxKindKeyEvent is the kind name (TxRow.Kind) of a key exchange record,
// whose content (Message.Body) is the KeyExchange as JSON.
const TxKindKeyEvent = "key-event"

// TxKinds lists the names of the kinds of transaction, in order.
func TxKinds() []string {
	var out []string
	for k := ledger.KindChat; k.Valid(); k++ {
		out = append(out, k.String())
	}
	return out
}

// BlockRows is a block and its transactions, newest first, as `qkdchat
// ledger show` lists them. The pending block (transactions not yet in a
// block) has Pending set and only Height, TreeSize and TxCount.
type BlockRows struct {
	Block
	Pending      bool    `json:"pending"`
	Transactions []TxRow `json:"transactions"`
}

// BlockPage is one page of the ledger's blocks, newest first.
type BlockPage struct {
	Size   int64       // transactions in the ledger
	Height int64       // blocks in the ledger
	Blocks []BlockRows // nil when the page is empty
	// PastEnd is set for a page after the oldest block.
	PastEnd bool
}

// BlockPage reads page page (0 = newest, which starts with the pending
// block) of limit blocks each, with their transactions.
func (a *Auditor) BlockPage(ctx context.Context, page, limit int) (*BlockPage, error) {
	l := a.l
	out := &BlockPage{Size: l.Size(), Height: l.Height()}
	rows := func(start, end int64) ([]TxRow, error) {
		txs, err := l.Txs(start, end)
		if err != nil {
			return nil, err
		}
		s := make([]TxRow, len(txs))
		for i, tx := range txs {
			s[len(txs)-1-i] = txRow(start+int64(i), tx)
		}
		return s, nil
	}
	blocks, err := l.Blocks(0, 1)
	if err != nil {
		return nil, err
	}
	if page == 0 {
		var blocked int64
		if len(blocks) > 0 {
			blocked = blocks[0].TreeSize
		}
		if out.Size > blocked {
			s, err := rows(blocked, out.Size)
			if err != nil {
				return nil, err
			}
			out.Blocks = append(out.Blocks, BlockRows{Block: Block{Height: out.Height, TreeSize: out.Size, TxCount: out.Size - blocked}, Pending: true, Transactions: s})
		}
	}
	before := out.Height - int64(page)*int64(limit)
	out.PastEnd = before <= 0 && page > 0
	if before <= 0 {
		return out, nil
	}
	if blocks, err = l.Blocks(before, limit); err != nil {
		return nil, err
	}
	for _, b := range blocks {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		s, err := rows(b.FirstIndex(), b.TreeSize)
		if err != nil {
			return nil, err
		}
		out.Blocks = append(out.Blocks, BlockRows{Block: b, Transactions: s})
	}
	return out, nil
}

// Blocks returns up to limit blocks, newest first, with heights below
// before (before <= 0: from the newest).
func (a *Auditor) Blocks(before int64, limit int) ([]Block, error) {
	return a.l.Blocks(before, limit)
}

// TxQuery is what a search of the ledger asks for.
type TxQuery struct {
	Text  string            // in the case, a party's fingerprint or name, or the ID; "" for any
	Kind  string            // a name from TxKinds; "" for any
	Names map[string]string // fingerprint -> display name, searched too
}

// Match reports whether the transaction r is one q asks for. Text
// matches case-insensitively anywhere in the case ID, either party's
// fingerprint or name, or the transaction ID.
func (q TxQuery) Match(r *TxRow) bool {
	if q.Kind != "" && r.Kind != q.Kind {
		return false
	}
	if q.Text == "" {
		return true
	}
	t := strings.ToLower(q.Text)
	for _, s := range []string{r.CaseID, r.Sender, r.Recipient, q.Names[r.Sender], q.Names[r.Recipient], r.ID.String()} {
		if s != "" && strings.Contains(strings.ToLower(s), t) {
			return true
		}
	}
	return false
}

// Transactions finds page page (of pageSize rows) of the transactions
// matching q, newest first, and reports whether more follow. Each row
// says whether its signature holds, which block holds it, and, on a
// node's auditor, its content when the node holds the key.
func (a *Auditor) Transactions(ctx context.Context, q TxQuery, page, pageSize int) ([]TxRow, bool, error) {
	l := a.l
	skip := page * pageSize
	var out []TxRow
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
			r := txRow(start+int64(i), txs[i])
			if !q.Match(&r) {
				continue
			}
			if skip > 0 {
				skip--
				continue
			}
			if len(out) == pageSize {
				return out, true, nil
			}
			r.SigErr = txs[i].Verify()
			if a.open != nil {
				r.Msg, r.OpenErr = a.open(txs[i])
			} else {
				r.OpenErr = ErrNoKey
			}
			if b, err := l.BlockOf(r.Index); err == nil {
				r.Block = b
			}
			out = append(out, r)
		}
	}
	return out, false, nil
}

// History returns the messages of the newest maxHistory transactions that this
// node can open (its own conversations), oldest first; key events and
// checkpoints are left out. An auditor opened on a directory holds no
// keys and returns none. A message this node sent is recorded in its
// ledger only once the peer acknowledged it (package delivery), so every
// outgoing message returned is delivered; the rest wait in the outbox
// (Node.Outbox).
func (a *Auditor) History(ctx context.Context, maxHistory int64) ([]*session.Message, error) {
	if a.open == nil {
		return nil, nil
	}
	size := a.l.Size()
	start := max(size-maxHistory, 0)
	var msgs []*session.Message
	for i := start; i < size; i += 256 {
		end := min(i+256, size)
		txs, err := a.l.Txs(i, end)
		if err != nil {
			return msgs, err
		}
		for _, tx := range txs {
			if tx.Kind == ledger.KindKeyEvent || tx.Kind == ledger.KindCheckpoint {
				continue
			}
			if m, err := a.open(tx); err == nil {
				msgs = append(msgs, m)
			}
		}
		if err := ctx.Err(); err != nil {
			return msgs, err
		}
	}
	return msgs, nil
}
