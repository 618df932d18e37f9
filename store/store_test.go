package store

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/fernet/fernet-go"

	"qkdchat/ledger"
)

func openTest(t *testing.T) (*Store, *fernet.Key) {
	t.Helper()
	st, err := Open(filepath.Join(t.TempDir(), "state.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var k fernet.Key
	if err := k.Generate(); err != nil {
		t.Fatal(err)
	}
	return st, &k
}

type record struct {
	Name  string
	Count int
}

// TestRecordsUpdateGetEach: a sealed record is created, updated in place,
// left alone when the update refuses, and read back; another record key
// cannot open it.
func TestRecordsUpdateGetEach(t *testing.T) {
	st, k := openTest(t)
	cs := st.Cases(k)
	var r record
	if err := cs.Get("a", &r); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing record: %v, want ErrNotFound", err)
	}
	for i := range 3 {
		var r record
		err := cs.Update("a", &r, func(found bool) error {
			if found != (i > 0) {
				t.Errorf("update %d: found %v", i, found)
			}
			r.Name, r.Count = "a", r.Count+1
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	refusal := errors.New("no")
	if err := cs.Update("a", &r, func(bool) error { r.Count = 100; return refusal }); !errors.Is(err, refusal) {
		t.Fatalf("refused update: %v", err)
	}
	var got record
	if err := cs.Get("a", &got); err != nil || got != (record{"a", 3}) {
		t.Fatalf("after updates: %+v, %v", got, err)
	}
	var other fernet.Key
	other.Generate()
	if err := st.Cases(&other).Get("a", &got); err == nil {
		t.Fatal("a record opened under another record key")
	}
	n := 0
	err := cs.Each(func(key []byte, open func(any) error) error {
		var r record
		n++
		return open(&r)
	})
	if err != nil || n != 1 {
		t.Fatalf("Each saw %d records, %v", n, err)
	}
}

// TestViolationsAppendInOrder: appended records come back in the order
// they were appended.
func TestViolationsAppendInOrder(t *testing.T) {
	st, k := openTest(t)
	vs := st.Violations(k)
	for i := range 5 {
		if err := vs.Append(record{Count: i}); err != nil {
			t.Fatal(err)
		}
	}
	var got []int
	vs.Each(func(_ []byte, open func(any) error) error {
		var r record
		if err := open(&r); err != nil {
			return err
		}
		got = append(got, r.Count)
		return nil
	})
	for i, c := range got {
		if c != i {
			t.Fatalf("violations came back as %v", got)
		}
	}
	if len(got) != 5 {
		t.Fatalf("%d violations, want 5", len(got))
	}
}

// TestOutboxQueuesOnceInOrder: an item is queued once per ID, listed in
// order, updated in place, and taken out.
func TestOutboxQueuesOnceInOrder(t *testing.T) {
	st, k := openTest(t)
	ob := st.Outbox(k)
	for i, id := range []string{"m1", "m2", "m1"} {
		added, err := ob.Put("peer", &OutboxItem{ID: id, Kind: ledger.KindChat, Text: id})
		if err != nil {
			t.Fatal(err)
		}
		if want := i < 2; added != want {
			t.Fatalf("put %d (%s): added %v, want %v", i, id, added, want)
		}
	}
	es := mustList(t, ob)
	if len(es) != 2 || es[0].Item.ID != "m1" || es[1].Item.ID != "m2" {
		t.Fatalf("outbox %+v, want m1 then m2", es)
	}
	if err := ob.AddAttempt("peer", es[0].Key, []byte("tx"), 4); err != nil {
		t.Fatal(err)
	}
	if it, err := ob.Peek("peer", "m1"); err != nil || it == nil || len(it.Attempts) != 1 {
		t.Fatalf("peek after an attempt: %+v, %v", it, err)
	}
	if it, err := ob.Take("peer", "m1"); err != nil || it == nil {
		t.Fatalf("take: %+v, %v", it, err)
	}
	if it, _ := ob.Take("peer", "m1"); it != nil {
		t.Fatal("an item was taken twice")
	}
	if es := mustList(t, ob); len(es) != 1 || es[0].Item.ID != "m2" {
		t.Fatalf("after take: %+v", es)
	}
}

// TestOutboxAttemptsFromTwoSessions: two sessions with one contact record
// attempts for the same item at once, each from its own copy of the item
// as listed; none is lost, and only the last max are kept.
func TestOutboxAttemptsFromTwoSessions(t *testing.T) {
	st, k := openTest(t)
	ob := st.Outbox(k)
	if _, err := ob.Put("peer", &OutboxItem{ID: "m1", Kind: ledger.KindChat}); err != nil {
		t.Fatal(err)
	}
	key := mustList(t, ob)[0].Key
	const each, max = 20, 64
	var wg sync.WaitGroup
	for s := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if err := ob.AddAttempt("peer", key, []byte(fmt.Sprintf("s%d-%d", s, i)), max); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	it, _ := ob.Peek("peer", "m1")
	if it == nil || len(it.Attempts) != 2*each {
		t.Fatalf("%d attempts recorded from two sessions, want %d", len(it.Attempts), 2*each)
	}
	for i := range 2 * max {
		if err := ob.AddAttempt("peer", key, []byte(fmt.Sprintf("late-%d", i)), max); err != nil {
			t.Fatal(err)
		}
	}
	it, _ = ob.Peek("peer", "m1")
	if len(it.Attempts) != max || string(it.Attempts[max-1]) != fmt.Sprintf("late-%d", 2*max-1) || string(it.Attempts[0]) != fmt.Sprintf("late-%d", max) {
		t.Fatalf("after %d more attempts: %d kept, first %q, last %q; want the last %d", 2*max, len(it.Attempts), it.Attempts[0], it.Attempts[len(it.Attempts)-1], max)
	}
	// An item taken meanwhile stays taken.
	ob.Take("peer", "m1")
	if err := ob.AddAttempt("peer", key, []byte("after"), max); err != nil {
		t.Fatal(err)
	}
	if it, _ := ob.Peek("peer", "m1"); it != nil {
		t.Fatal("an attempt brought a taken item back")
	}
}

func mustList(t *testing.T, ob Outbox) []OutboxEntry {
	t.Helper()
	es, err := ob.List("peer")
	if err != nil {
		t.Fatal(err)
	}
	return es
}
