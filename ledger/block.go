package ledger

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

// Hash is a SHA-256 hash: a block hash or a Merkle tree root. It prints
// and marshals as lower-case hex.
type Hash [32]byte

// String returns the hash in lower-case hex.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// MarshalText encodes the hash as lower-case hex.
func (h Hash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText decodes 64 lower-case hex digits.
func (h *Hash) UnmarshalText(b []byte) error {
	id, err := ParseTxID(string(b))
	if err != nil {
		return fmt.Errorf("ledger: hash %q: want 64 lower-case hex digits", truncate(string(b), 80))
	}
	*h = Hash(id)
	return nil
}

// Block is a block header of the chain (the paper's Algorithm 3). Its hash
// (Eq. 8) covers its height, the previous block's hash, its time, its
// transaction count and the RFC 6962 Merkle tree head over all
// transactions so far, so it commits to every transaction up to the block.
// Block Height holds transactions [TreeSize-TxCount, TreeSize).
type Block struct {
	Height   int64     `json:"height"`
	PrevHash Hash      `json:"prev_hash"` // zero for height 0
	Time     time.Time `json:"time"`      // when the block was cut
	TxCount  int64     `json:"tx_count"`  // transactions in this block
	TreeSize int64     `json:"tree_size"` // transactions in the ledger up to and including this block
	TreeRoot Hash      `json:"tree_root"` // RFC 6962 root of the tree of size TreeSize
	Hash     Hash      `json:"hash"`      // CalculateHash of the fields above
}

// FirstIndex returns the index of the block's first transaction.
func (b *Block) FirstIndex() int64 { return b.TreeSize - b.TxCount }

// blockHashContext separates block hashes from every other SHA-256 use.
const blockHashContext = "qkdchat ledger block v1\n"

// CalculateHash returns the block's hash (Eq. 8): SHA-256 over a context
// string, the height, the previous hash, the time in nanoseconds since
// 1970, the transaction count, the tree size and the tree root. The Hash
// field itself is not covered.
func CalculateHash(b *Block) Hash {
	buf := make([]byte, 0, len(blockHashContext)+8+32+8+8+8+32)
	buf = append(buf, blockHashContext...)
	buf = b.appendHeader(buf)
	return Hash(hashSum(buf))
}

func (b *Block) appendHeader(buf []byte) []byte {
	buf = binary.BigEndian.AppendUint64(buf, uint64(b.Height))
	buf = append(buf, b.PrevHash[:]...)
	buf = binary.BigEndian.AppendUint64(buf, uint64(b.Time.UnixNano()))
	buf = binary.BigEndian.AppendUint64(buf, uint64(b.TxCount))
	buf = binary.BigEndian.AppendUint64(buf, uint64(b.TreeSize))
	return append(buf, b.TreeRoot[:]...)
}

// CreateBlock returns the block that follows prev (nil for the first
// block) and closes the tree at tree.N transactions with root tree.Hash.
// Its time is t, or prev's time if t is earlier, so block times never go
// backwards. The result's Hash is set by CalculateHash.
func CreateBlock(prev *Block, tree tlog.Tree, t time.Time) *Block {
	b := &Block{Time: t.UTC().Round(0), TreeSize: tree.N, TreeRoot: Hash(tree.Hash), TxCount: tree.N}
	if prev != nil {
		b.Height = prev.Height + 1
		b.PrevHash = prev.Hash
		b.TxCount = tree.N - prev.TreeSize
		if b.Time.Before(prev.Time) {
			b.Time = prev.Time
		}
	}
	b.Hash = CalculateHash(b)
	return b
}

// Errors of IsValidNewBlock, for callers that branch on the reason.
var (
	ErrBadPrevHash = errors.New("previous block hash does not match")
	ErrBadHash     = errors.New("block hash does not match its contents")
	ErrBadBlock    = errors.New("block does not follow its predecessor")
)

// IsValidNewBlock checks that newBlock may follow prev (nil when newBlock
// is the first block): its previous hash is prev's hash, its own hash is
// CalculateHash of its contents, and its height, time and tree size follow
// on. It returns nil when valid, or an error wrapping ErrBadPrevHash,
// ErrBadHash or ErrBadBlock.
func IsValidNewBlock(newBlock, prev *Block) error {
	if newBlock == nil {
		return fmt.Errorf("ledger: %w: no block", ErrBadBlock)
	}
	var want Block // the zero predecessor of block 0
	want.Height = -1
	if prev != nil {
		want = *prev
	}
	switch {
	case newBlock.PrevHash != want.Hash:
		return fmt.Errorf("ledger: block %d: %w", newBlock.Height, ErrBadPrevHash)
	case CalculateHash(newBlock) != newBlock.Hash:
		return fmt.Errorf("ledger: block %d: %w", newBlock.Height, ErrBadHash)
	case newBlock.Height != want.Height+1:
		return fmt.Errorf("ledger: block %d: %w: height after %d", newBlock.Height, ErrBadBlock, want.Height)
	case newBlock.TxCount < 1 || newBlock.TreeSize != want.TreeSize+newBlock.TxCount:
		return fmt.Errorf("ledger: block %d: %w: %d transactions ending at %d after a tree of %d", newBlock.Height, ErrBadBlock, newBlock.TxCount, newBlock.TreeSize, want.TreeSize)
	case prev != nil && newBlock.Time.Before(prev.Time):
		return fmt.Errorf("ledger: block %d: %w: time goes backwards", newBlock.Height, ErrBadBlock)
	case newBlock.Time.Before(minTime) || newBlock.Time.After(maxTime):
		return fmt.Errorf("ledger: block %d: %w: time out of range", newBlock.Height, ErrBadBlock)
	}
	return nil
}

// blockVersion is the first byte of a stored block.
const blockVersion = 1

// blockEncodedLen is the size of a stored block.
const blockEncodedLen = 1 + 8 + 32 + 8 + 8 + 8 + 32 + 32

// marshalBlock encodes a block for storage: version, the hashed header,
// then the block hash.
func marshalBlock(b *Block) []byte {
	buf := make([]byte, 0, blockEncodedLen)
	buf = append(buf, blockVersion)
	buf = b.appendHeader(buf)
	return append(buf, b.Hash[:]...)
}

// unmarshalBlock decodes a stored block. It does not check the hash.
func unmarshalBlock(data []byte) (*Block, error) {
	if len(data) != blockEncodedLen || data[0] != blockVersion {
		return nil, fmt.Errorf("ledger: malformed block record (%d bytes)", len(data))
	}
	d := decoder{b: data[1:]}
	var b Block
	b.Height = int64(d.uint64())
	copy(b.PrevHash[:], d.bytes(32))
	ns := int64(d.uint64())
	b.TxCount = int64(d.uint64())
	b.TreeSize = int64(d.uint64())
	copy(b.TreeRoot[:], d.bytes(32))
	copy(b.Hash[:], d.bytes(32))
	if b.Height < 0 || ns <= 0 || b.TxCount < 0 || b.TreeSize < 0 {
		return nil, errors.New("ledger: malformed block record: negative field")
	}
	b.Time = time.Unix(0, ns).UTC()
	return &b, nil
}
