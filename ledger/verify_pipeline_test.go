package ledger

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// The pipeline reuses consumed jobs (items and arena): every item still
// reaches the consumer in order with its own content and its own result,
// across many more jobs than the pipeline lets ahead.
func TestPipelineReusesJobsWithoutMixingItems(t *testing.T) {
	a, b := testIdentity(1), testIdentity(2)
	r := seeded(11)
	const distinct = 37
	encs := make([][]byte, distinct)
	for i := range encs {
		enc, err := newTx(t, r, a, b, i).MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		encs[i] = enc
	}
	bad := append([]byte(nil), encs[5]...)
	bad[len(bad)-1] ^= 1 // a broken signature
	n := 12*vChunk + 17
	if testing.Short() {
		n = 5*vChunk + 3
	}
	var next int64
	p := newPipeline(context.Background(), func(it *vItem) error {
		if it.index != next {
			return fmt.Errorf("item %d consumed in place of %d", it.index, next)
		}
		next++
		want := encs[it.index%distinct]
		if it.index%101 == 0 {
			if it.err == nil {
				return fmt.Errorf("item %d: a broken signature passed", it.index)
			}
			return nil
		}
		switch {
		case it.err != nil:
			return fmt.Errorf("item %d: %v", it.index, it.err)
		case it.id != txIDOf(want):
			return fmt.Errorf("item %d: ID of another transaction", it.index)
		case string(it.enc) != string(want):
			return fmt.Errorf("item %d: encoding overwritten", it.index)
		}
		return nil
	})
	p.maxQ = 1 // drain (and reuse) as early as possible
	for i := range int64(n) {
		src := encs[i%distinct]
		if i%101 == 0 {
			src = bad
		}
		if err := p.emit(vItem{index: i, enc: p.copyValue(src)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.finish(); err != nil {
		t.Fatal(err)
	}
	if next != int64(n) {
		t.Fatalf("consumed %d items, want %d", next, n)
	}
	if len(p.free) == 0 {
		t.Fatal("no job was recycled")
	}
}

// seqGetter answers every lookup as Bucket.Get does, whatever the order of
// the keys asked for and whatever else the bucket holds.
func TestSeqGetterMatchesBucketGet(t *testing.T) {
	db, err := bolt.Open(filepath.Join(t.TempDir(), "seq.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	name := []byte("h")
	err = db.Update(func(tx *bolt.Tx) error {
		bk, err := tx.CreateBucket(name)
		if err != nil {
			return err
		}
		for i := int64(0); i < 3000; i++ {
			if i%97 == 13 { // holes
				continue
			}
			if err := bk.Put(be64(i), []byte(fmt.Sprint("v", i))); err != nil {
				return err
			}
		}
		if _, err := bk.CreateBucket(be64(500)[:7]); err != nil { // a nested bucket among them
			return err
		}
		if err := bk.Delete(be64(700)); err != nil {
			return err
		}
		if _, err := bk.CreateBucket(be64(700)); err != nil { // a nested bucket under a hash key
			return err
		}
		return bk.Put([]byte("junk"), []byte("x"))
	})
	if err != nil {
		t.Fatal(err)
	}
	r := seeded(3)
	var keys [][]byte
	for i := int64(0); i < 3200; i++ { // in order, past the end
		keys = append(keys, be64(i))
	}
	for range 2000 { // then at random, repeated and backwards
		keys = append(keys, be64(r.Int64N(3300)))
	}
	keys = append(keys, []byte("junk"), be64(500)[:7], nil, []byte{})
	err = db.View(func(tx *bolt.Tx) error {
		bk := tx.Bucket(name)
		s := newSeqGetter(bk)
		for _, k := range keys {
			if got, want := s.get(k), bk.Get(k); string(got) != string(want) || (got == nil) != (want == nil) {
				return fmt.Errorf("get(%x) = %q, Bucket.Get = %q", k, got, want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
