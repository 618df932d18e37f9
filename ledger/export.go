package ledger

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	bolt "go.etcd.io/bbolt"

	"qkdchat/identity"
)

// ExportFormat is the format name in the header of an audit export.
const ExportFormat = "qkdchat-ledger-export/1"

// maxExportLine bounds one line of an export (a transaction with the
// largest token, base64-encoded, fits).
const maxExportLine = 4*MaxTokenLen/3 + 1<<20

// exportRecord is one line of an audit export. Which fields are set
// depends on Type:
//
//	header      format, origin, key (the ledger's Ed25519 key), size, blocks
//	tx          index, id, tx (canonical signed encoding)
//	block       block (after the last transaction it covers)
//	checkpoint  note (a checkpoint the ledger signed and stored)
//	cosignature key (the peer's key), size, note (our checkpoint with the peer's signature)
//	peer        key (the peer's key), note (its last checkpoint, cosigned by us)
//	conflict    conflict (two conflicting checkpoints of a peer)
//	end         size, blocks, root, note (a checkpoint of the whole export),
//	            digest (SHA-256 of every line before it), sig (the ledger's
//	            Ed25519 signature of the digest)
//
// Every line is compact JSON exactly as encoding/json writes it; a reader
// rejects any other spelling, so no byte of an export can change unnoticed.
type exportRecord struct {
	Type     string    `json:"type"`
	Format   string    `json:"format,omitempty"`
	Origin   string    `json:"origin,omitempty"`
	Key      []byte    `json:"key,omitempty"`
	Index    int64     `json:"index,omitempty"`
	ID       *TxID     `json:"id,omitempty"`
	Tx       []byte    `json:"tx,omitempty"`
	Block    *Block    `json:"block,omitempty"`
	Size     int64     `json:"size,omitempty"`
	Blocks   int64     `json:"blocks,omitempty"`
	Root     *Hash     `json:"root,omitempty"`
	Note     string    `json:"note,omitempty"`
	Conflict *Conflict `json:"conflict,omitempty"`
	Digest   *Hash     `json:"digest,omitempty"`
	Sig      []byte    `json:"sig,omitempty"`
}

// exportSigContext is prepended to an export's digest before signing.
const exportSigContext = "qkdchat ledger export v1\n"

func exportSigned(digest Hash) []byte { return append([]byte(exportSigContext), digest[:]...) }

// Export writes a self-contained audit export of the ledger to w as JSON
// Lines: a header, every transaction with the blocks interleaved after
// their last transaction, the stored checkpoints, cosignatures, peer
// checkpoints and conflicts, and an end record with a checkpoint signed
// now. VerifyExport checks it without the database.
func (l *Ledger) Export(ctx context.Context, w io.Writer) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	digest := sha256.New()
	write := func(r *exportRecord) error {
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		b = append(b, '\n')
		digest.Write(b)
		_, err = bw.Write(b)
		return err
	}
	var st chainState
	var root Hash
	err := l.view(func(btx *bolt.Tx) error {
		var err error
		if st, err = readState(btx); err != nil {
			return err
		}
		head, err := treeHead(btx, st.size)
		if err != nil {
			return err
		}
		root = Hash(head)
		if err := write(&exportRecord{Type: "header", Format: ExportFormat, Origin: l.origin, Key: l.id.Public(), Size: st.size, Blocks: st.nextHeight()}); err != nil {
			return err
		}
		bc := btx.Bucket(bucketBlock).Cursor()
		bk, bv := bc.First()
		tc := btx.Bucket(bucketTx).Cursor()
		var i int64
		for k, v := tc.First(); k != nil && i < st.size; k, v = tc.Next() {
			if i%1024 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			id := txIDOf(v)
			if err := write(&exportRecord{Type: "tx", Index: int64(beUint(k)), ID: &id, Tx: v}); err != nil {
				return err
			}
			i++
			for ; bk != nil; bk, bv = bc.Next() {
				b, err := unmarshalBlock(bv)
				if err != nil {
					return fmt.Errorf("block %x: %w", bk, err)
				}
				if b.TreeSize > i {
					break
				}
				if err := write(&exportRecord{Type: "block", Block: b}); err != nil {
					return err
				}
			}
		}
		if i != st.size || bk != nil {
			return fmt.Errorf("ledger: export: %d of %d transactions found; run verify", i, st.size)
		}
		if err := btx.Bucket(bucketCkpt).ForEach(func(_, v []byte) error {
			return write(&exportRecord{Type: "checkpoint", Note: string(v)})
		}); err != nil {
			return err
		}
		if err := btx.Bucket(bucketCosig).ForEach(func(k, v []byte) error {
			return write(&exportRecord{Type: "cosignature", Key: k[8:], Size: int64(beUint(k[:8])), Note: string(v)})
		}); err != nil {
			return err
		}
		if err := btx.Bucket(bucketPeer).ForEach(func(k, v []byte) error {
			var rec peerRecord
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("peer %x: %w", k, err)
			}
			return write(&exportRecord{Type: "peer", Key: k, Note: rec.Note})
		}); err != nil {
			return err
		}
		return btx.Bucket(bucketConflict).ForEach(func(k, v []byte) error {
			c, err := decodeConflict(v)
			if err != nil {
				return fmt.Errorf("conflict %x: %w", k, err)
			}
			return write(&exportRecord{Type: "conflict", Conflict: c})
		})
	})
	if err != nil {
		return fmt.Errorf("ledger: export %s: %w", l.path, err)
	}
	msg, err := l.signedCheckpoint(st.size, [32]byte(root))
	if err != nil {
		return err
	}
	d := Hash(digest.Sum(nil))
	end := &exportRecord{Type: "end", Size: st.size, Blocks: st.nextHeight(), Root: &root, Note: string(msg), Digest: &d, Sig: l.id.Sign(exportSigned(d))}
	if err := write(end); err != nil {
		return fmt.Errorf("ledger: export: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("ledger: export: %w", err)
	}
	return nil
}

func decodeConflict(v []byte) (*Conflict, error) {
	var c Conflict
	if err := json.Unmarshal(v, &c); err != nil {
		return nil, err
	}
	if err := c.check(); err != nil {
		return nil, err
	}
	if re, err := json.Marshal(&c); err != nil || !bytes.Equal(re, v) {
		return nil, errors.New("ledger: conflict record is not in canonical form")
	}
	return &c, nil
}

// splitLines splits on '\n' only and rejects a final line without one, so
// that no byte of an export is ignored.
func splitLines(data []byte, atEOF bool) (int, []byte, error) {
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		return i + 1, data[:i], nil
	}
	if atEOF && len(data) > 0 {
		return 0, nil, errors.New("the last line is not terminated by a newline (truncated?)")
	}
	return 0, nil, nil
}

// VerifyExport checks an audit export written by Export, without the
// database: transaction signatures, the Merkle tree, every block, the
// signatures of every checkpoint and cosignature, the conflicts, and the
// end record (so a truncated export is detected). Like Verify it reports a
// bad export in the VerifyReport; the error is for unreadable input. The
// report names the key that signed the export: compare its fingerprint
// with the ledger owner's.
func VerifyExport(ctx context.Context, r io.Reader) (*VerifyReport, error) {
	rep := &VerifyReport{OK: true, FirstBadHeight: -1, BadIndex: -1}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxExportLine)
	sc.Split(splitLines)
	line := 0
	digest := sha256.New()
	var endDigest Hash
	next := func() (*exportRecord, error) {
		if !sc.Scan() {
			if err := sc.Err(); err != nil {
				return nil, bad(-1, -1, "line %d: %v", line+1, err)
			}
			return nil, nil
		}
		line++
		var rec exportRecord
		d := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		d.DisallowUnknownFields()
		if err := d.Decode(&rec); err != nil {
			return nil, bad(-1, -1, "line %d: %v", line, err)
		}
		if re, err := json.Marshal(&rec); err != nil || !bytes.Equal(re, sc.Bytes()) {
			return nil, bad(-1, -1, "line %d is not in canonical form (altered?)", line)
		}
		if rec.Type == "end" {
			endDigest = Hash(digest.Sum(nil))
		}
		digest.Write(sc.Bytes())
		digest.Write([]byte{'\n'})
		return &rec, nil
	}
	hdr, err := next()
	if err == nil && (hdr == nil || hdr.Type != "header" || hdr.Format != ExportFormat) {
		err = bad(-1, -1, "line 1: not a %s header", ExportFormat)
	}
	if err == nil && (len(hdr.Key) != ed25519.PublicKeySize || !validOrigin(hdr.Origin)) {
		err = bad(-1, -1, "line 1: malformed header")
	}
	if err != nil {
		return rep, rep.fail(err)
	}
	key := ed25519.PublicKey(hdr.Key)
	rep.Origin, rep.Key, rep.Fingerprint = hdr.Origin, key, identity.Fingerprint(key)

	c := newChainChecker()
	p := newPipeline(ctx, c.consume)
	var rest []*exportRecord // records after the chain
	var chainErr error
	for {
		rec, err := next()
		if err != nil || rec == nil {
			chainErr = err
			break
		}
		if len(rest) == 0 && (rec.Type == "tx" || rec.Type == "block") {
			it := vItem{block: rec.Type == "block", index: rec.Index, enc: rec.Tx, claimed: rec.ID}
			if it.block {
				if it.blk = rec.Block; it.blk == nil {
					it.inputErr = fmt.Errorf("line %d: block record without a block", line)
				} else {
					it.index = it.blk.Height
				}
			} else if rec.ID == nil || rec.Tx == nil {
				it.inputErr = fmt.Errorf("line %d: transaction record without id or tx", line)
			}
			if chainErr = p.emit(it); chainErr != nil {
				break
			}
			continue
		}
		rest = append(rest, rec)
		if len(rest) > 1<<20 {
			chainErr = bad(-1, -1, "line %d: too many records", line)
			break
		}
	}
	if err := p.finish(); chainErr == nil {
		chainErr = err
	}
	if chainErr != nil {
		return rep, rep.fail(chainErr)
	}
	rep.Size, rep.Blocks, rep.Root = c.size, c.height(), Hash(c.root(c.size))
	return rep, rep.fail(verifyExportRest(hdr, rest, c, rep, endDigest))
}

// verifyExportRest checks the records that follow the chain.
func verifyExportRest(hdr *exportRecord, rest []*exportRecord, c *chainChecker, rep *VerifyReport, endDigest Hash) error {
	key := ed25519.PublicKey(hdr.Key)
	pending := c.height()
	matches := func(what string, sc *SignedCheckpoint) error {
		switch {
		case sc.Origin != hdr.Origin:
			return bad(-1, -1, "%s is of %q, not of %q", what, sc.Origin, hdr.Origin)
		case sc.Size > c.size:
			return bad(pending, c.size, "%s covers %d transactions, but the export has only %d: it was truncated", what, sc.Size, c.size)
		case Hash(c.root(sc.Size)) != Hash(sc.Root):
			return bad(-1, -1, "%s of size %d does not match the transactions: they were rewritten", what, sc.Size)
		}
		return nil
	}
	var end *exportRecord
	for i, rec := range rest {
		if end != nil {
			return bad(-1, -1, "records after the end record")
		}
		switch rec.Type {
		case "checkpoint":
			sc, err := OpenCheckpoint([]byte(rec.Note), key)
			if err != nil {
				return bad(-1, -1, "checkpoint record %d: %v", i, err)
			}
			rep.Checkpoints++
			if err := matches(fmt.Sprintf("the checkpoint signed at size %d", sc.Size), sc); err != nil {
				return err
			}
		case "cosignature":
			if len(rec.Key) != ed25519.PublicKeySize {
				return bad(-1, -1, "cosignature record %d: malformed key", i)
			}
			peer := ed25519.PublicKey(rec.Key)
			sc, err := OpenCheckpoint([]byte(rec.Note), key)
			if err == nil && !sc.SignedBy(peer) {
				err = fmt.Errorf("no valid signature by %s", identity.Fingerprint(peer))
			}
			if err == nil && sc.Size != rec.Size {
				err = errors.New("size does not match its note")
			}
			if err != nil {
				return bad(-1, -1, "cosignature record %d: %v", i, err)
			}
			rep.Cosignatures++
			if err := matches(fmt.Sprintf("the checkpoint cosigned by %s", identity.Fingerprint(peer)), sc); err != nil {
				return err
			}
		case "peer":
			if len(rec.Key) != ed25519.PublicKeySize {
				return bad(-1, -1, "peer record %d: malformed key", i)
			}
			sc, err := OpenCheckpoint([]byte(rec.Note), ed25519.PublicKey(rec.Key))
			if err == nil && !sc.SignedBy(key) {
				err = errors.New("the ledger's cosignature is missing")
			}
			if err != nil {
				return bad(-1, -1, "peer record %d: %v", i, err)
			}
		case "conflict":
			if rec.Conflict == nil {
				return bad(-1, -1, "conflict record %d: empty", i)
			}
			if err := rec.Conflict.check(); err != nil {
				return bad(-1, -1, "conflict record %d: %v", i, err)
			}
			rep.Conflicts = append(rep.Conflicts, *rec.Conflict)
		case "end":
			end = rec
		default:
			return bad(-1, -1, "unexpected %q record after the chain", rec.Type)
		}
	}
	if end == nil {
		return bad(pending, c.size, "the export has no end record: it was truncated after %d transactions", c.size)
	}
	if end.Digest == nil || *end.Digest != endDigest || !ed25519.Verify(key, exportSigned(endDigest), end.Sig) {
		return bad(-1, -1, "the export's signature over its content does not verify: lines were altered, added or removed")
	}
	sc, err := OpenCheckpoint([]byte(end.Note), key)
	if err != nil {
		return bad(-1, -1, "end record: %v", err)
	}
	switch {
	case end.Size != c.size || hdr.Size != c.size || sc.Size != c.size:
		return bad(pending, c.size, "the export holds %d transactions, but its header says %d and its end %d", c.size, hdr.Size, end.Size)
	case end.Blocks != c.height() || hdr.Blocks != c.height():
		return bad(pending, -1, "the export holds %d blocks, but its header says %d and its end %d", c.height(), hdr.Blocks, end.Blocks)
	case end.Root == nil || *end.Root != Hash(sc.Root):
		return bad(pending, -1, "the end record's root does not match its checkpoint")
	}
	return matches("the end checkpoint", sc)
}
