package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
)

// TestPartialNextDuringReceive: two sessions with one contact at once (one
// replacing the other) may work on the same incoming attachment: one
// stores chunks while the other answers the contact's query for it, or
// reports how far it got after a chunk that failed authentication
// (PartialNext, which cuts a torn tail off the partial file). A query that
// reads the partial file while a chunk is being written must not take that
// chunk for a torn tail and cut it off: every chunk stored in order stays
// stored, and the file completes.
func TestPartialNextDuringReceive(t *testing.T) {
	st, k := openTest(t)
	a := st.Attachments(k)
	const chunks = 10
	rounds := 4
	if testing.Short() {
		rounds = 2
	}
	r := rand.New(rand.NewPCG(7, 8))
	for round := range rounds {
		data := make([]byte, chunks*AttachmentChunkSize-100)
		for i := range data {
			data[i] = byte(r.Uint32())
		}
		d := sha256.Sum256(data)
		var (
			stop    atomic.Bool
			wg      sync.WaitGroup
			queries int
		)
		wg.Add(1)
		go func() { // the other session, answering queries
			defer wg.Done()
			for !stop.Load() {
				if _, err := a.PartialNext(d, int64(len(data))); err != nil {
					t.Error(err)
					return
				}
				queries++
			}
		}()
		for i := range chunks {
			chunk := data[i*AttachmentChunkSize : min(len(data), (i+1)*AttachmentChunkSize)]
			next, err := a.ReceiveChunk(d, int64(len(data)), i, chunk)
			if err != nil || next != i+1 {
				stop.Store(true)
				wg.Wait()
				t.Fatalf("round %d: chunk %d of %d stored in order while the other session queried: next %d, %v; want %d",
					round, i, chunks, next, err, i+1)
			}
		}
		stop.Store(true)
		wg.Wait()
		got, err := a.Read(hex.EncodeToString(d[:]))
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("round %d: the attachment reads back %d bytes, %v; want the %d sent", round, len(got), err, len(data))
		}
		t.Logf("round %d: %d queries during the transfer", round, queries)
	}
}
