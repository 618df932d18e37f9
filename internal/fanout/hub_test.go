package fanout

import (
	"fmt"
	"testing"
	"time"
)

type event struct{ n int }

func TestHubDeliversInOrderWithoutBlockingPublisher(t *testing.T) {
	h := New[event]()
	ch, cancel := h.Subscribe()
	defer cancel()
	// Publish far more than any channel buffer while nobody reads: the
	// publisher must not block.
	const n = 10000
	for i := range n {
		h.Publish(event{n: i})
	}
	for i := range n {
		select {
		case e := <-ch:
			if e.n != i {
				t.Fatalf("event %d arrived as %d", i, e.n)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("event %d never arrived", i)
		}
	}
}

func TestHubCancelClosesChannelEvenIfReaderStopped(t *testing.T) {
	h := New[event]()
	ch, cancel := h.Subscribe()
	h.Publish(event{})
	h.Publish(event{})
	cancel()
	cancel() // idempotent
	deadline := time.After(5 * time.Second)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		case <-deadline:
			t.Fatal("channel not closed after cancel")
		}
	}
}

func TestHubCloseEndsAllSubscriptions(t *testing.T) {
	h := New[event]()
	var chans []<-chan event
	for range 3 {
		ch, _ := h.Subscribe()
		chans = append(chans, ch)
	}
	h.Close()
	for i, ch := range chans {
		select {
		case _, ok := <-ch:
			if ok {
				t.Fatalf("subscriber %d got an event after Close", i)
			}
		case <-time.After(5 * time.Second):
			t.Fatal(fmt.Sprintf("subscriber %d not closed", i))
		}
	}
	late, _ := h.Subscribe()
	if _, ok := <-late; ok {
		t.Fatal("subscription after Close is open")
	}
}
