package delivery

import (
	"sync"
	"testing"
)

// TestPeerLocksSerialisePerPeer checks that holders of one contact's lock
// never overlap, that other contacts' locks are independent, and that no
// entry is left behind once everyone is done.
func TestPeerLocksSerialisePerPeer(t *testing.T) {
	var l PeerLocks
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		inside = map[string]int{}
		most   = map[string]int{}
	)
	for i := range 64 {
		peer := []string{"alice", "bob"}[i%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			unlock := l.Lock(peer)
			mu.Lock()
			inside[peer]++
			most[peer] = max(most[peer], inside[peer])
			mu.Unlock()
			for range 100 { // stay inside a while
				mu.Lock()
				mu.Unlock()
			}
			mu.Lock()
			inside[peer]--
			mu.Unlock()
			unlock()
		}()
	}
	wg.Wait()
	if most["alice"] != 1 || most["bob"] != 1 {
		t.Fatalf("most holders at once: alice %d, bob %d; want 1", most["alice"], most["bob"])
	}
	if len(l.locks) != 0 {
		t.Fatalf("%d lock entries left after every holder unlocked", len(l.locks))
	}

	// Different contacts do not wait for each other.
	unlockA := l.Lock("alice")
	done := make(chan struct{})
	go func() { l.Lock("bob")(); close(done) }()
	<-done
	unlockA()
}
