package ledger

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"qkdchat/identity"
)

// Fuzz targets whose mutated inputs are re-signed by the attacker, so
// that the code after the signature checks runs on them: an export whose
// every signed part is signed again by the key the file itself names,
// and a peer that signs whatever checkpoint it sends.

// memTree is an in-memory RFC 6962 tree, computed independently of the
// verifier.
type memTree struct{ hashes []tlog.Hash }

func (m *memTree) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		if x < 0 || x >= int64(len(m.hashes)) {
			return nil, fmt.Errorf("hash %d not stored", x)
		}
		out[i] = m.hashes[x]
	}
	return out, nil
}

func (m *memTree) add(n int64, enc []byte) error {
	hs, err := tlog.StoredHashes(n, enc, m)
	m.hashes = append(m.hashes, hs...)
	return err
}

func (m *memTree) root(n int64) tlog.Hash {
	h, err := tlog.TreeHash(n, m)
	if err != nil {
		panic(err)
	}
	return h
}

// resignNote replaces signer's signature on a note by a new one under
// name, keeping every other signature line; with text set, the note's
// text is replaced too and only signer's line is kept.
func resignNote(t testing.TB, msg string, signer *identity.Identity, name, text string) string {
	i := strings.LastIndex(msg, "\n\n")
	if i < 0 {
		return msg
	}
	body, sigs := msg[:i+1], msg[i+2:]
	var keep []string
	if text == "" {
		text = body
		for _, line := range strings.Split(strings.TrimSuffix(sigs, "\n"), "\n") {
			if f := strings.Fields(strings.TrimPrefix(line, "— ")); len(f) == 2 {
				if v, err := newNoteVerifier(f[0], signer.Public()); err == nil && sigLineHash(line) == v.KeyHash() {
					continue // signer's old signature
				}
			}
			keep = append(keep, line+"\n")
		}
	}
	s, err := newNoteSigner(signer, name)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := note.Sign(&note.Note{Text: text}, s)
	if err != nil {
		return msg // not a valid note text: the attacker cannot sign it
	}
	j := bytes.LastIndex(signed, []byte("\n\n"))
	return text + "\n" + strings.Join(keep, "") + string(signed[j+2:])
}

// sigLineHash returns the key hash of a note signature line (0 if
// malformed).
func sigLineHash(line string) uint32 {
	f := strings.Fields(strings.TrimPrefix(line, "— "))
	if len(f) != 2 {
		return 0
	}
	b, err := base64.StdEncoding.DecodeString(f[1])
	if err != nil || len(b) < 4 {
		return 0
	}
	return binary.BigEndian.Uint32(b)
}

// sigLines returns the signature lines of a note.
func sigLines(msg string) string {
	if i := strings.LastIndex(msg, "\n\n"); i >= 0 {
		return msg[i+2:]
	}
	return ""
}

// exportFixture is a small ledger's export with every kind of record:
// transactions, blocks, a checkpoint, a cosignature, a peer checkpoint
// and a conflict, and the identities that signed them.
type exportFixture struct {
	a, b, m *identity.Identity // the ledger's key, its peer's, the attacker's own
	lines   []exportRecord
	export  []byte
	roots   []tlog.Hash // of the genuine tree, by size
}

func newExportFixture(tb testing.TB) *exportFixture {
	a, b, m := testIdentity(1), testIdentity(2), testIdentity(9)
	la := openTest(tb, a, &Options{BlockMaxTx: 1000, BlockMaxAge: -1})
	lb := openTest(tb, b, &Options{BlockMaxTx: 1000, BlockMaxAge: -1})
	fill(tb, la, seeded(41), a, b, 3)
	head, err := la.TreeHead()
	if err != nil {
		tb.Fatal(err)
	}
	blk := CreateBlock(nil, head, testTime)
	if err := la.AddBlockToChain(blk); err != nil {
		tb.Fatal(err)
	}
	fill(tb, la, seeded(42), a, b, 2)
	head, _ = la.TreeHead()
	if err := la.AddBlockToChain(CreateBlock(blk, head, testTime.Add(time.Second))); err != nil {
		tb.Fatal(err)
	}
	fill(tb, la, seeded(43), a, b, 1)
	fill(tb, lb, seeded(44), b, a, 2)
	// a's checkpoint, cosigned by b and stored back.
	ckpt, _, err := la.Checkpoint()
	if err != nil {
		tb.Fatal(err)
	}
	cosigned, err := lb.CosignPeer(ckpt, a.Public(), 0, nil)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := la.StoreCosignature(cosigned, b.Public()); err != nil {
		tb.Fatal(err)
	}
	// b's checkpoint, cosigned by a; then a fork of it signed by b.
	bn, _, err := lb.Checkpoint()
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := la.CosignPeer(bn, b.Public(), 0, nil); err != nil {
		tb.Fatal(err)
	}
	sc, _ := OpenCheckpoint(bn, b.Public())
	fork := sc.Checkpoint
	fork.Root[0] ^= 1
	forkNote, _ := signCheckpoint(b, fork)
	var ce *ConflictError
	if _, err := la.CosignPeer(forkNote, b.Public(), 0, nil); !errors.As(err, &ce) {
		tb.Fatalf("fork: %v", err)
	}
	var buf bytes.Buffer
	if err := la.Export(context.Background(), &buf); err != nil {
		tb.Fatal(err)
	}
	fx := &exportFixture{a: a, b: b, m: m, export: bytes.Clone(buf.Bytes())}
	for _, line := range bytes.Split(bytes.TrimSuffix(buf.Bytes(), []byte("\n")), []byte("\n")) {
		var r exportRecord
		if err := json.Unmarshal(line, &r); err != nil {
			tb.Fatal(err)
		}
		fx.lines = append(fx.lines, r)
	}
	var tree memTree
	fx.roots = []tlog.Hash{{}}
	for _, r := range fx.lines {
		if r.Type == "tx" {
			if err := tree.add(int64(len(fx.roots)-1), r.Tx); err != nil {
				tb.Fatal(err)
			}
			fx.roots = append(fx.roots, tree.root(int64(len(fx.roots))))
		}
	}
	return fx
}

func (fx *exportFixture) identity(pub []byte) *identity.Identity {
	for _, id := range []*identity.Identity{fx.a, fx.b, fx.m} {
		if bytes.Equal(id.Public(), pub) {
			return id
		}
	}
	return nil
}

// encodeExport writes records as an export, with the end record's digest
// and signature made by signer over the lines before it.
func encodeExport(t testing.TB, recs []exportRecord, signer *identity.Identity) []byte {
	var out bytes.Buffer
	digest := sha256.New()
	for i := range recs {
		r := recs[i]
		if r.Type == "end" && signer != nil {
			d := Hash(digest.Sum(nil))
			r.Digest = &d
			r.Sig = signer.Sign(exportSigned(d))
		}
		b, err := json.Marshal(&r)
		if err != nil {
			t.Fatal(err)
		}
		b = append(b, '\n')
		digest.Write(b)
		out.Write(b)
	}
	return out.Bytes()
}

// attackExport applies a script of 4-byte steps (record, op, a, b) to the
// export's records as an attacker who holds the key the header names
// (a, or m after op 9), then signs every note the attacker changed and
// the end record again with that key.
func (fx *exportFixture) attackExport(t testing.TB, script []byte) ([]exportRecord, *identity.Identity, bool) {
	recs := make([]exportRecord, len(fx.lines))
	copy(recs, fx.lines)
	signer := fx.a
	changed := false
	origin := recs[0].Origin
	roots := fx.roots
	for len(script) >= 4 && len(recs) > 0 {
		i, op, a, b := int(script[0])%len(recs), script[1]%12, script[2], script[3]
		script = script[4:]
		r := &recs[i]
		changed = true
		switch op {
		case 0: // drop
			recs = append(recs[:i], recs[i+1:]...)
		case 1: // duplicate
			recs = append(recs[:i+1], recs[i:]...)
		case 2: // swap with another
			j := int(a) % len(recs)
			recs[i], recs[j] = recs[j], recs[i]
		case 3: // change a transaction and sign it again as its sender
			if r.Type != "tx" {
				break
			}
			var tx Transaction
			if tx.UnmarshalBinary(r.Tx) != nil {
				break
			}
			switch a % 4 {
			case 0:
				tx.Time = tx.Time.Add(time.Duration(b) + 1)
			case 1:
				tx.CaseID += string(rune('a' + b%26))
			case 2:
				tx.Recipient = fx.m.Public()
			case 3:
				tx.Token = bytes.Clone(tx.Token)
				tx.Token[len(tx.Token)/2] ^= b | 1
			}
			id := fx.identity(tx.Sender)
			if b%2 == 0 {
				id = fx.m // or as the attacker's own transaction
			}
			if id == nil || tx.Sign(id) != nil {
				break
			}
			enc, err := tx.MarshalBinary()
			if err != nil {
				break
			}
			r.Tx = enc
			if a%8 < 6 { // and its ID, mostly
				txid := tx.ID()
				r.ID = &txid
			}
		case 4: // change a record's index or sizes
			switch a % 3 {
			case 0:
				r.Index += int64(int8(b))
			case 1:
				r.Size += int64(int8(b))
			case 2:
				r.Blocks += int64(int8(b))
			}
		case 5: // change a block, and mostly recompute its hash
			if r.Block == nil {
				break
			}
			blk := *r.Block
			switch b % 6 {
			case 0:
				blk.Height += int64(int8(a))
			case 1:
				blk.PrevHash[a%32] ^= 1
			case 2:
				blk.Time = blk.Time.Add(time.Duration(int8(a)) * time.Second)
			case 3:
				blk.TxCount += int64(int8(a))
			case 4:
				blk.TreeSize += int64(int8(a))
				if blk.TreeSize >= 0 && blk.TreeSize < int64(len(roots)) {
					blk.TreeRoot = Hash(roots[blk.TreeSize])
				}
			case 5:
				blk.TreeRoot[a%32] ^= 1
			}
			if a%4 != 0 {
				blk.Hash = CalculateHash(&blk)
			}
			r.Block = &blk
		case 6: // sign a checkpoint of another size or root with the file's key
			if r.Note == "" {
				break
			}
			sc, err := ParseCheckpoint(noteText(r.Note))
			if err != nil {
				break
			}
			sc.Size = int64(a) % int64(len(roots)+2)
			if sc.Size < int64(len(roots)) {
				sc.Root = roots[sc.Size]
			}
			if b%2 == 1 {
				sc.Root[b%32] ^= 1
			}
			r.Note = resignNote(t, r.Note, signer, origin, sc.Text())
			if r.Type == "end" && sc.Size < int64(len(roots)) {
				root := Hash(sc.Root)
				r.Root = &root
				r.Size = sc.Size
			}
		case 7: // a cosignature by the attacker's own key
			if r.Type != "cosignature" && r.Type != "peer" {
				break
			}
			r.Note = resignNote(t, r.Note, fx.m, origin+"x", "")
			r.Key = fx.m.Public()
		case 8: // a conflict between two notes the attacker signs
			if r.Conflict == nil {
				break
			}
			c := *r.Conflict
			c.Peer = fx.m.Public()
			c.OldNote = resignNote(t, c.OldNote, fx.m, "peer", "")
			c.NewNote = resignNote(t, c.NewNote, fx.m, "peer", "")
			if a%2 == 1 {
				c.OldNote, c.NewNote = c.NewNote, c.OldNote
			}
			if b%2 == 1 {
				c.Kind = ConflictRollback
			}
			r.Conflict = &c
		case 9: // the attacker's key in the header: every note signed again
			recs[0].Key = fx.m.Public()
			signer = fx.m
			for k := range recs {
				if recs[k].Note != "" {
					recs[k].Note = resignNote(t, recs[k].Note, fx.m, origin, "")
				}
			}
		case 10: // a header or end record root of the genuine tree at another size
			if r.Type == "end" {
				root := Hash(roots[int(a)%len(roots)])
				r.Root = &root
			}
		case 11: // change the origin in the header
			recs[0].Origin = origin + string(rune('a'+a%26))
		}
	}
	return recs, signer, changed
}

// checkSelfConsistent is an independent check of an export the verifier
// accepted: what VerifyExport promises. Every transaction is validly
// signed by its sender and sits at its index with its ID; the blocks
// chain by hash and commit to the tree at their size; every checkpoint,
// cosignature and peer record is signed by the header's key (and the
// cosigner) and matches the transactions; conflicts hold; the end record
// signs the digest of every line before it; and the report states the
// header's key, the number of transactions and their Merkle root.
func checkSelfConsistent(t *testing.T, data []byte, rep *VerifyReport) {
	t.Helper()
	lines := bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
	recs := make([]exportRecord, len(lines))
	for i, l := range lines {
		if err := json.Unmarshal(l, &recs[i]); err != nil {
			t.Fatalf("accepted export line %d does not parse: %v", i+1, err)
		}
	}
	fail := func(format string, a ...any) {
		t.Helper()
		t.Fatalf("VerifyExport accepted an export that is not self-consistent: "+format+"\n%s", append(a, data)...)
	}
	hdr := recs[0]
	key := ed25519.PublicKey(hdr.Key)
	if hdr.Type != "header" || rep.Fingerprint != identity.Fingerprint(key) {
		fail("report names %s, header key %s", rep.Fingerprint, identity.Fingerprint(key))
	}
	var tree memTree
	var n, height int64
	var prev *Block
	i := 1
	for ; i < len(recs) && (recs[i].Type == "tx" || recs[i].Type == "block"); i++ {
		r := recs[i]
		if r.Type == "tx" {
			var tx Transaction
			if tx.UnmarshalBinary(r.Tx) != nil || tx.Verify() != nil || r.Index != n || r.ID == nil || *r.ID != tx.ID() {
				fail("transaction record %d", i)
			}
			if err := tree.add(n, r.Tx); err != nil {
				t.Fatal(err)
			}
			n++
			continue
		}
		b := r.Block
		var wantPrev Hash
		if prev != nil {
			wantPrev = prev.Hash
		}
		if b.Height != height || b.Hash != CalculateHash(b) || b.PrevHash != wantPrev || b.TreeSize != n ||
			b.TreeRoot != Hash(tree.root(n)) || (prev != nil && b.TxCount != n-prev.TreeSize) || (prev == nil && b.TxCount != n) {
			fail("block record %d", i)
		}
		prev = b
		height++
	}
	if rep.Size != n || rep.Blocks != height || rep.Root != Hash(tree.root(n)) {
		fail("report says %d transactions, %d blocks, root %s", rep.Size, rep.Blocks, rep.Root)
	}
	matches := func(what string, msg string, signers ...ed25519.PublicKey) *SignedCheckpoint {
		for _, k := range signers {
			sc, err := OpenCheckpoint([]byte(msg), k)
			if err != nil || sc.Origin != hdr.Origin || sc.Size > n || sc.Root != tree.root(sc.Size) {
				fail("%s: %v", what, err)
			}
		}
		sc, _ := OpenCheckpoint([]byte(msg), signers[0])
		return sc
	}
	for ; i < len(recs); i++ {
		r := recs[i]
		switch r.Type {
		case "checkpoint":
			matches("checkpoint", r.Note, key)
		case "cosignature":
			if sc := matches("cosignature", r.Note, key, r.Key); sc.Size != r.Size {
				fail("cosignature size")
			}
		case "peer":
			if _, err := OpenCheckpoint([]byte(r.Note), ed25519.PublicKey(r.Key)); err != nil {
				fail("peer record: %v", err)
			}
			if _, err := OpenCheckpoint([]byte(r.Note), key); err != nil {
				fail("peer record not cosigned: %v", err)
			}
		case "conflict":
			c := *r.Conflict
			if err := c.check(); err != nil {
				fail("conflict: %v", err)
			}
		case "end":
			if i != len(recs)-1 {
				fail("records after the end")
			}
			d := Hash(sha256.Sum256(bytes.Join(append(lines[:i:i], nil), []byte("\n"))))
			if r.Digest == nil || *r.Digest != d || !ed25519.Verify(key, exportSigned(d), r.Sig) {
				fail("end signature")
			}
			sc := matches("end checkpoint", r.Note, key)
			if sc.Size != n || r.Size != n || hdr.Size != n || r.Blocks != height || hdr.Blocks != height || r.Root == nil || *r.Root != Hash(sc.Root) {
				fail("end record sizes")
			}
		default:
			fail("record %d of type %q", i, r.Type)
		}
	}
	if recs[len(recs)-1].Type != "end" {
		fail("no end record")
	}
}

// FuzzVerifyResignedExport: an attacker who holds the key an export names
// changes its records and signs everything again. VerifyExport may accept
// the result only if it is self-consistent (checkSelfConsistent), and it
// accepts the untouched, re-signed export.
func FuzzVerifyResignedExport(f *testing.F) {
	fx := newExportFixture(f)
	f.Add([]byte{})
	for i := range fx.lines {
		for op := byte(0); op < 12; op++ {
			f.Add([]byte{byte(i), op, 1, 2})
		}
	}
	f.Fuzz(func(t *testing.T, script []byte) {
		recs, signer, changed := fx.attackExport(t, script)
		data := encodeExport(t, recs, signer)
		rep, err := VerifyExport(context.Background(), bytes.NewReader(data))
		if err != nil {
			if rep == nil || rep.OK {
				t.Fatalf("VerifyExport: error %v with report %+v", err, rep)
			}
			return
		}
		if !changed && (!rep.OK || !bytes.Equal(data, fx.export)) {
			t.Fatalf("the re-encoded genuine export: OK=%v %s", rep.OK, rep.Reason)
		}
		if rep.OK {
			checkSelfConsistent(t, data, rep)
		}
	})
}

// peerTrees are the trees a lying peer signs checkpoints of: its genuine
// tree and a fork of it that shares the first half.
type peerTrees struct {
	a, b, m *identity.Identity // our ledger's key, the peer's, a stranger's
	origin  string             // the peer's origin
	trees   [2]*memTree
	roots   [2][]tlog.Hash
	ours    [][]byte // our ledger's checkpoint notes, sizes 1..len, as published
	txs     []*Transaction
}

const peerTreeSize = 8

func newPeerTrees(tb testing.TB) *peerTrees {
	pt := &peerTrees{a: testIdentity(1), b: testIdentity(2), m: testIdentity(9), origin: "qkdchat/peer-b"}
	r := seeded(51)
	for k := range pt.trees {
		pt.trees[k] = &memTree{}
		pt.roots[k] = []tlog.Hash{{}}
		for i := range peerTreeSize {
			tx := newTx(tb, r, pt.b, pt.a, i)
			if k == 1 && i < peerTreeSize/2 { // the fork shares the first half
				tx = pt.txs[i]
			}
			if k == 0 {
				pt.txs = append(pt.txs, tx)
			}
			enc, _ := tx.MarshalBinary()
			if err := pt.trees[k].add(int64(i), enc); err != nil {
				tb.Fatal(err)
			}
			pt.roots[k] = append(pt.roots[k], pt.trees[k].root(int64(i+1)))
		}
	}
	return pt
}

// cosignStep is one message of the lying peer, decoded from 4 bytes.
func (pt *peerTrees) offer(t *testing.T, l *Ledger, s [4]byte) (note []byte, from int64, proof [][]byte, root tlog.Hash, tree int) {
	tree = int(s[0] % 3) // 0, 1: a genuine tree; 2: a root of the peer's choice
	size := int64(s[1] % (peerTreeSize + 1))
	if tree < 2 {
		root = pt.roots[tree][size]
	} else {
		root[s[3]%32] = s[2]
	}
	from = l.PeerCheckpointSize(pt.b.Public())
	if s[2]%4 == 3 {
		from = int64(s[2]/4) % (peerTreeSize + 1) // not the size we asked for
	}
	ptree := pt.trees[tree%2]
	if s[3]%5 == 4 {
		ptree = pt.trees[1-tree%2] // a proof in the other tree
	}
	if from > 0 && from <= size {
		p, err := tlog.ProveTree(size, from, ptree)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range p {
			proof = append(proof, bytes.Clone(h[:]))
		}
	}
	switch s[3] % 5 {
	case 1:
		if len(proof) > 0 {
			proof[int(s[2])%len(proof)][s[1]%32] ^= 1
		}
	case 2:
		if len(proof) > 0 {
			proof = proof[:len(proof)-1]
		}
	case 3:
		proof = append(proof, make([]byte, 32))
	}
	note, err := signCheckpoint(pt.b, Checkpoint{Origin: pt.origin, Size: size, Root: root})
	if err != nil {
		t.Fatal(err)
	}
	return note, from, proof, root, tree
}

// cosignature is the peer's answer to one of our checkpoints: the note,
// with signatures chosen by s.
func (pt *peerTrees) cosignature(t *testing.T, s [4]byte) []byte {
	our := string(pt.ours[int(s[1])%len(pt.ours)])
	names := []string{"peer", pt.origin, "qkdchat/" + strings.Repeat("x", int(s[2]%4))}
	name := names[int(s[2])%len(names)]
	switch s[3] % 6 {
	case 0: // a genuine cosignature by the peer
		return []byte(resignNote(t, our, pt.b, name, ""))
	case 1: // by a stranger
		return []byte(resignNote(t, our, pt.m, name, ""))
	case 2: // by the peer, one byte of its signature changed
		n := []byte(resignNote(t, our, pt.b, name, ""))
		n[len(n)-2-int(s[2])%40] ^= 1
		return n
	case 3: // the peer signs other text: our signature no longer fits it
		sc, _ := ParseCheckpoint(noteText(our))
		sc.Size++
		other := resignNote(t, our, pt.b, name, sc.Text())
		return []byte(noteText(other) + "\n" + sigLines(our) + sigLines(other))
	case 4: // our note with the peer's signature line copied twice
		n := resignNote(t, our, pt.b, name, "")
		i := strings.LastIndex(strings.TrimSuffix(n, "\n"), "\n")
		return []byte(n + n[i+1:])
	default: // our note with a signature from another of our notes
		other := resignNote(t, string(pt.ours[(int(s[1])+1)%len(pt.ours)]), pt.b, name, "")
		i := strings.LastIndex(strings.TrimSuffix(other, "\n"), "\n")
		return []byte(our + other[i+1:])
	}
}

// FuzzCosignResigned: a lying peer sends checkpoints it signed of its
// genuine tree, of a fork, or of any root, with consistency proofs from
// any size, genuine, damaged or from the other tree; and cosignatures of
// our checkpoints with chosen signatures. Whatever it does:
//   - every checkpoint CosignPeer cosigned lies, with every other one it
//     cosigned, on one append-only log (same size, same root; smaller
//     sizes a prefix of larger ones);
//   - a cosignature StoreCosignature kept is signed by us and by the peer
//     and matches our tree;
//   - every conflict stored passes its own check, and our ledger's export
//     still verifies.
func FuzzCosignResigned(f *testing.F) {
	pt := newPeerTrees(f)
	// Our ledger's published checkpoints: the same every run.
	{
		l := openTest(f, pt.a, &Options{BlockMaxTx: 1000, BlockMaxAge: -1, NoSync: true})
		txs := fill(f, l, seeded(52), pt.a, pt.b, 3)
		var mt memTree
		for i, tx := range txs {
			enc, _ := tx.MarshalBinary()
			if err := mt.add(int64(i), enc); err != nil {
				f.Fatal(err)
			}
		}
		for n := int64(1); n <= 3; n++ {
			note, err := signCheckpoint(pt.a, Checkpoint{Origin: l.Origin(), Size: n, Root: mt.root(n)})
			if err != nil {
				f.Fatal(err)
			}
			pt.ours = append(pt.ours, note)
		}
	}
	f.Add([]byte{0, 3, 0, 0, 0, 6, 0, 0})             // genuine 3, then 6 with a proof from 3
	f.Add([]byte{0, 6, 0, 0, 1, 8, 0, 0})             // genuine 6, then the fork's 8
	f.Add([]byte{0, 6, 0, 0, 0, 8, 0, 1})             // a damaged proof
	f.Add([]byte{2, 5, 7, 3, 0, 8, 0, 0})             // any root first, then the genuine tree
	f.Add([]byte{0, 8, 0, 0, 1, 4, 0, 0, 0, 8, 0, 0}) // a rollback to the shared half
	f.Add([]byte{0, 5, 0, 0, 0, 7, 11, 0})            // a proof from the wrong size
	for k := byte(0); k < 6; k++ {                    // cosignatures of ours (first byte >= 240)
		f.Add([]byte{240, k % 3, k, k, 0, 2, 0, 0})
	}
	f.Fuzz(func(t *testing.T, script []byte) {
		l, err := Open(t.TempDir()+"/ledger.db", pt.a, &Options{BlockMaxTx: 1000, BlockMaxAge: -1, NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		fill(t, l, seeded(52), pt.a, pt.b, 3)
		type accepted struct {
			size int64
			root tlog.Hash
		}
		var got []accepted
		for steps := 0; len(script) >= 4 && steps < 8; steps++ {
			s := [4]byte(script[:4])
			script = script[4:]
			if s[0] >= 3*80 { // one step in four or so: a cosignature of ours
				msg := pt.cosignature(t, s)
				size, err := l.StoreCosignature(msg, pt.b.Public())
				if err != nil {
					continue
				}
				sc, err := OpenCheckpoint(msg, pt.a.Public())
				if err != nil || !sc.SignedBy(pt.b.Public()) || sc.Size != size {
					t.Fatalf("StoreCosignature kept a note not cosigned by the peer: %v\n%s", err, msg)
				}
				if want := pt.ours[size-1]; noteText(string(want)) != noteText(string(msg)) {
					t.Fatalf("StoreCosignature kept a note of size %d that is not our checkpoint:\n%s", size, msg)
				}
				continue
			}
			note, from, proof, root, _ := pt.offer(t, l, s)
			out, err := l.CosignPeer(note, pt.b.Public(), from, proof)
			if err != nil {
				continue
			}
			sc, err := OpenCheckpoint(out, pt.b.Public())
			if err != nil || !sc.SignedBy(pt.a.Public()) || sc.Root != root {
				t.Fatalf("CosignPeer returned a note it did not cosign: %v\n%s", err, out)
			}
			got = append(got, accepted{sc.Size, sc.Root})
		}
		onOneLog := func(x, y accepted) bool {
			if x.size > y.size {
				x, y = y, x
			}
			if x.size == y.size {
				return x.root == y.root
			}
			if x.size == 0 {
				return true
			}
			for k := range pt.roots {
				if pt.roots[k][x.size] == x.root && pt.roots[k][y.size] == y.root {
					return true
				}
			}
			return false
		}
		for i := range got {
			for j := range i {
				if !onOneLog(got[i], got[j]) {
					t.Fatalf("CosignPeer cosigned checkpoints of two different logs: size %d root %v and size %d root %v",
						got[j].size, got[j].root, got[i].size, got[i].root)
				}
			}
		}
		cs, err := l.Conflicts()
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			if err := c.check(); err != nil {
				t.Fatalf("stored conflict does not hold: %v", err)
			}
		}
		var buf bytes.Buffer
		if err := l.Export(context.Background(), &buf); err != nil {
			t.Fatal(err)
		}
		rep, err := VerifyExport(context.Background(), &buf)
		if err != nil || !rep.OK {
			t.Fatalf("after a lying peer, our own export does not verify: %v %s", err, rep.Reason)
		}
	})
}

// FuzzVerifyResignedInclusion: an inclusion proof checked, as the CLI
// does, against the key the proof file itself names, changed by an
// attacker who signs the checkpoint again with that key (or puts their
// own key in the file and signs with it), re-signs changed transactions,
// or builds a tree of their own. VerifyInclusion promises only that the
// transaction is validly signed and is in the tree whose root the named
// key signed; so whenever the signed root is one of the genuine ledger's
// roots, an accepted proof must name the genuine transaction at its
// index.
func FuzzVerifyResignedInclusion(f *testing.F) {
	a, b, m := testIdentity(1), testIdentity(2), testIdentity(9)
	const n = 5
	r := seeded(61)
	var txs []*Transaction
	var tree memTree
	roots := []tlog.Hash{{}}
	for i := range n {
		txs = append(txs, newTx(f, r, []*identity.Identity{a, b}[i%2], []*identity.Identity{b, a}[i%2], i))
		enc, _ := txs[i].MarshalBinary()
		if err := tree.add(int64(i), enc); err != nil {
			f.Fatal(err)
		}
		roots = append(roots, tree.root(int64(i+1)))
	}
	const origin = "qkdchat/test"
	keyOf := map[string]*identity.Identity{string(a.Public()): a, string(b.Public()): b, string(m.Public()): m}
	genuine := func(size, index int64) *InclusionProof {
		enc, _ := txs[index].MarshalBinary()
		proof, err := tlog.ProveRecord(size, index, &tree)
		if err != nil {
			f.Fatal(err)
		}
		note, _ := signCheckpoint(a, Checkpoint{Origin: origin, Size: size, Root: roots[size]})
		return &InclusionProof{Key: a.Public(), Index: index, Tx: enc, Checkpoint: string(note), Proof: proof}
	}
	f.Add([]byte{})
	for op := byte(0); op < 10; op++ {
		f.Add([]byte{op, 1, 2, 3})
	}
	f.Fuzz(func(t *testing.T, script []byte) {
		p := genuine(n, 2)
		if len(script) > 0 {
			p = genuine(1+int64(script[0])%n, int64(script[0]/n)%(1+int64(script[0])%n))
		}
		resign := func(c Checkpoint) {
			note, err := signCheckpoint(keyOf[string(p.Key)], c)
			if err == nil {
				p.Checkpoint = string(note)
			}
		}
		changed := false
		for len(script) >= 4 {
			op, x, y := script[0]%10, script[1], script[2]
			script = script[4:]
			changed = true
			sc, err := ParseCheckpoint(noteText(p.Checkpoint))
			if err != nil {
				sc = Checkpoint{Origin: origin}
			}
			switch op {
			case 0:
				p.Index += int64(int8(x))
			case 1:
				p.Tx, _ = txs[int(x)%n].MarshalBinary()
			case 2:
				var tx Transaction
				if tx.UnmarshalBinary(p.Tx) != nil {
					break
				}
				tx.CaseID += string(rune('a' + x%26))
				id := keyOf[string(tx.Sender)]
				if y%2 == 1 || id == nil {
					id = m
				}
				if tx.Sign(id) == nil {
					p.Tx, _ = tx.MarshalBinary()
				}
			case 3:
				if len(p.Proof) > 0 {
					p.Proof[int(x)%len(p.Proof)][y%32] ^= 1
				}
			case 4:
				if x%2 == 0 && len(p.Proof) > 0 {
					p.Proof = p.Proof[:len(p.Proof)-1]
				} else {
					p.Proof = append(p.Proof, tlog.Hash{y})
				}
			case 5:
				if sc.Size >= 1 && sc.Size <= n {
					p.Proof, _ = tlog.ProveRecord(sc.Size, int64(x)%sc.Size, &tree)
				}
			case 6:
				sc.Size = int64(x) % (n + 2)
				if sc.Size <= n {
					sc.Root = roots[sc.Size]
				}
				resign(sc)
			case 7:
				p.Key = m.Public()
				resign(sc)
			case 8: // a tree of the attacker's own: this transaction alone
				p.Index, p.Proof = 0, nil
				resign(Checkpoint{Origin: origin, Size: 1, Root: tlog.RecordHash(p.Tx)})
			case 9:
				sc.Root[y%32] ^= 1 << (x % 8)
				resign(sc)
			}
		}
		// Through the file format, as the CLI reads it.
		j, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		var q InclusionProof
		if err := json.Unmarshal(j, &q); err != nil {
			t.Fatal(err)
		}
		err = VerifyInclusion(&q, q.Key)
		if !changed && err != nil {
			t.Fatalf("a genuine proof does not verify: %v", err)
		}
		if err != nil {
			if !errors.Is(err, ErrBadProof) && !errors.Is(err, ErrBadSignature) && !strings.HasPrefix(err.Error(), "ledger: verify inclusion: ") {
				t.Fatalf("error without context: %v", err)
			}
			return
		}
		sc, err := OpenCheckpoint([]byte(q.Checkpoint), q.Key)
		var tx Transaction
		if err != nil || tx.UnmarshalBinary(q.Tx) != nil || tx.Verify() != nil {
			t.Fatalf("accepted a proof whose checkpoint or transaction does not verify: %s", j)
		}
		if sc.Size <= n && sc.Root == roots[sc.Size] && (q.Index < 0 || q.Index >= n || txs[q.Index].ID() != tx.ID()) {
			t.Fatalf("accepted a transaction that is not at index %d of the genuine tree of size %d: %s", q.Index, sc.Size, j)
		}
	})
}
