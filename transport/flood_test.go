package transport

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"qkdchat/transport/admission"
	"qkdchat/transport/loglimit"
)

// lineCounter is a slog.Handler that counts the lines written and keeps
// the summaries of the log limiter.
type lineCounter struct {
	mu        sync.Mutex
	lines     int
	byMsg     map[string]int
	summaries []map[string]int64 // the count attributes of each summary line
}

func newLineCounter() *lineCounter { return &lineCounter{byMsg: map[string]int{}} }

func (h *lineCounter) Enabled(context.Context, slog.Level) bool { return true }
func (h *lineCounter) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *lineCounter) WithGroup(string) slog.Handler            { return h }

func (h *lineCounter) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.lines++
	h.byMsg[r.Message]++
	if r.Message == loglimit.SummaryMessage {
		m := map[string]int64{}
		r.Attrs(func(a slog.Attr) bool {
			if a.Value.Kind() == slog.KindInt64 {
				m[a.Key] = a.Value.Int64()
			}
			return true
		})
		h.summaries = append(h.summaries, m)
	}
	return nil
}

func (h *lineCounter) messages() map[string]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return maps.Clone(h.byMsg)
}

func (h *lineCounter) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.lines
}

// refusalsLogged is the number of refusals the log accounts for: those
// logged one by one and those counted in summaries.
func (h *lineCounter) refusalsLogged() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := int64(h.byMsg["connection refused"] + h.byMsg["quantum link refused"])
	for _, s := range h.summaries {
		n += s["count"]
	}
	return n
}

func (h *lineCounter) summed(reason string) int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	var n int64
	for _, s := range h.summaries {
		n += s[reason]
	}
	return n
}

// flooder holds n idle TCP connections to addr from the loopback
// addresses srcs (spread evenly): it sends nothing on them and, as soon
// as the listener closes one, opens another, as fast as it can.
type flooder struct {
	opened, closedByListener, dialErrors atomic.Int64
	held                                 atomic.Int64
	wg                                   sync.WaitGroup
}

func startFlood(ctx context.Context, addr string, srcs []string, n int) *flooder {
	f := &flooder{}
	for i := range n {
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(srcs[i%len(srcs)])}}
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			buf := make([]byte, 64)
			for ctx.Err() == nil {
				c, err := d.DialContext(ctx, "tcp", addr)
				if err != nil {
					f.dialErrors.Add(1)
					select { // ports or backlog exhausted: retry soon
					case <-time.After(5 * time.Millisecond):
					case <-ctx.Done():
					}
					continue
				}
				f.opened.Add(1)
				f.held.Add(1)
				stop := context.AfterFunc(ctx, func() { c.Close() })
				for {
					if _, err := c.Read(buf); err != nil {
						break
					}
				}
				f.held.Add(-1)
				if stop() { // ended by the listener, not by us
					f.closedByListener.Add(1)
				}
				c.Close()
			}
		}()
	}
	return f
}

// connectFrom is Connect from the loopback address src.
func connectFrom(ctx context.Context, addr, src string, cfg Config) (*Session, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return connect(ctx, addr, &cfg, &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}})
}

// floodDuration is how long a flood test floods: full in a normal run
// (go test -count=1 -run 'TestListenerFlood' ./transport/), a few
// seconds under -short or the race detector.
func floodDuration(full time.Duration) time.Duration {
	if testing.Short() || raceEnabled {
		return 4 * time.Second
	}
	return full
}

// TestListenerFloodOneSource: one source (127.0.0.1) holds 2,000 idle
// connections to the listener and reopens each one the moment it is
// closed. Meanwhile 10 pinned contacts reconnect from 127.0.0.2 and a new
// peer pairs from 127.0.0.3: all must succeed, and the log must grow by
// fewer than 100 lines a minute while every refused connection is still
// accounted for in it.
//
// Before the fix the flood took all 512 handshake slots, every other
// peer was dropped ("TLS handshake: broken pipe"), and each dropped
// connection wrote a WARN line.
func TestListenerFloodOneSource(t *testing.T) {
	testListenerFlood(t, []string{"127.0.0.1"}, admission.RefusedSourceLimit, time.Minute)
}

// TestListenerFloodManySources: the same 2,000 idle connections come
// from 16 sources (127.0.1.1-16), each under the per-source limit, so
// together they exceed the listener's general slots and it sheds: each
// new connection replaces the most idle handshake of the source holding
// the most. The legitimate peers, holding few, are never that source.
func TestListenerFloodManySources(t *testing.T) {
	var srcs []string
	for i := range 16 {
		srcs = append(srcs, fmt.Sprintf("127.0.1.%d", i+1))
	}
	testListenerFlood(t, srcs, admission.RefusedShed, 15*time.Second)
}

// testListenerFlood floods a listener with default limits from srcs and
// checks that pinned contacts and a new pairing get through, that the log
// stays short yet accounts for every refusal, and that the refusals were
// for reason want.
func testListenerFlood(t *testing.T, srcs []string, want admission.Refusal, full time.Duration) {
	attackers := 2000
	if lim := raiseFileLimit(t, uint64(2*attackers+1000)); lim < uint64(2*attackers+1000) {
		attackers = max(100, int(lim-1000)/2)
		t.Logf("open file limit %d: the flood holds %d connections instead of 2000", lim, attackers)
	}
	const pinnedPeers = 10
	dur := floodDuration(full)

	logs := newLineCounter()
	pins := &PinSet{}
	for i := range pinnedPeers {
		name := fmt.Sprintf("Pinned %d", i)
		pins.Pin(name, "patient", testKey(name).Public().(ed25519.PublicKey))
	}
	lcfg := testConfig("Hospital", "hospital", testCode)
	lcfg.Pins = pins
	lcfg.Logger = slog.New(logs)
	lcfg.HandshakeTimeout = 30 * time.Second // under -race on a loaded machine, peers take seconds
	l, err := Listen(context.Background(), "127.0.0.1:0", lcfg)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	addr := l.Addr().String()
	hospital := testKey("Hospital").Public().(ed25519.PublicKey)

	ctx, cancel := context.WithTimeout(context.Background(), dur+60*time.Second)
	defer cancel()
	sessions := make(chan *Session, pinnedPeers+1)
	go func() {
		for {
			s, err := l.Accept(ctx)
			var he *HandshakeError
			if errors.As(err, &he) {
				t.Errorf("a handshake failed during the flood: %v", err)
				continue
			}
			if err != nil {
				return
			}
			sessions <- s
		}
	}()

	linesBefore := logs.count()
	floodStart := time.Now()
	floodCtx, stopFlood := context.WithCancel(ctx)
	defer stopFlood()
	fl := startFlood(floodCtx, addr, srcs, attackers)
	defer fl.wg.Wait()
	defer stopFlood()

	// Wait until the flood is at full strength: every connection opened
	// once, and the listener busy refusing the excess.
	for fl.opened.Load() < int64(attackers) || fl.closedByListener.Load() < int64(attackers/2) {
		if time.Since(floodStart) > 30*time.Second {
			t.Fatalf("the flood did not build up: %d opened, %d closed by the listener, %d dial errors",
				fl.opened.Load(), fl.closedByListener.Load(), fl.dialErrors.Load())
		}
		time.Sleep(20 * time.Millisecond)
	}
	closedBefore := fl.closedByListener.Load()
	built := time.Since(floodStart)

	var wg sync.WaitGroup
	errs := make(chan error, pinnedPeers+1)
	for i := range pinnedPeers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cfg := testConfig(fmt.Sprintf("Pinned %d", i), "patient", "")
			cfg.PeerKey = hospital
			cfg.HandshakeTimeout = lcfg.HandshakeTimeout
			s, err := connectFrom(ctx, addr, "127.0.0.2", cfg)
			if err != nil {
				errs <- fmt.Errorf("pinned reconnect %d: %w", i, err)
				return
			}
			defer s.Close()
			if s.Peer().Mode != ModePinned || !s.Peer().Identity.Equal(hospital) {
				errs <- fmt.Errorf("pinned reconnect %d: got %v with %s", i, s.Peer().Mode, s.Peer().Fingerprint)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		cfg := testConfig("Newcomer", "patient", testCode)
		cfg.HandshakeTimeout = lcfg.HandshakeTimeout
		s, err := connectFrom(ctx, addr, "127.0.0.3", cfg)
		if err != nil {
			errs <- fmt.Errorf("new pairing: %w", err)
			return
		}
		defer s.Close()
		if s.Peer().Mode != ModePair || !s.Peer().NewlyPaired {
			errs <- fmt.Errorf("new pairing: got mode %v, newly paired %v", s.Peer().Mode, s.Peer().NewlyPaired)
		}
	}()
	wg.Wait()
	close(errs)
	failed := 0
	for err := range errs {
		t.Error(err)
		failed++
	}
	for range pinnedPeers + 1 - failed {
		select {
		case s := <-sessions:
			s.Close()
		case <-time.After(20 * time.Second):
			t.Fatal("the listener did not hand over every session")
		}
	}
	t.Logf("the flood built up in %s; the peers got through in %s", built.Round(time.Millisecond), (time.Since(floodStart) - built).Round(time.Millisecond))
	if fl.closedByListener.Load() == closedBefore {
		t.Fatal("the flood stopped while the peers connected, so the test proves nothing")
	}
	if rest := dur - time.Since(floodStart); rest > 0 {
		time.Sleep(rest)
	}
	elapsed := time.Since(floodStart)
	lines := logs.count() - linesBefore
	stopFlood()
	fl.wg.Wait()
	observed := fl.closedByListener.Load()
	t.Logf("log lines by message: %v", logs.messages())
	t.Logf("flood of %s: %d connections opened, %d closed by the listener, %d dial errors; %d log lines",
		elapsed.Round(time.Millisecond), fl.opened.Load(), observed, fl.dialErrors.Load(), lines)

	// Fewer than 100 lines a minute (and fewer than 100 in a shorter run).
	if limit := 100 * max(1, elapsed.Minutes()); float64(lines) >= limit {
		t.Errorf("the log grew by %d lines in %s of flood, want fewer than %.0f", lines, elapsed.Round(time.Second), limit)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	// Nothing was silently dropped: the summaries count at least every
	// connection the flooder saw the listener close.
	if got := logs.refusalsLogged(); got < observed {
		t.Errorf("the log accounts for %d refused connections, the flooder saw %d closed", got, observed)
	}
	if n := logs.summed(string(want)); n == 0 {
		t.Errorf("no connection was refused for %s: %v", string(want), logs.summaries)
	} else {
		t.Logf("%d connections refused for %s", n, string(want))
	}
}

// TestListenerFailureFloodReportsFew: a source completes TLS and sends a
// malformed Hello, or an abort frame claiming a failed pairing, 60 times. Each is a handshake failure, which Accept
// reports and the application logs and shows; reporting each would let
// anyone write to the user's log at will. The listener reports at most
// maxReportedFailures per log interval and counts the rest in its log
// summary.
func TestListenerFailureFloodReportsFew(t *testing.T) {
	const attempts = 60
	logs := newLineCounter()
	lcfg := testConfig("Hospital", "hospital", testCode)
	lcfg.Logger = slog.New(logs)
	lcfg.LogInterval = time.Hour // one interval for the whole test
	l, err := Listen(context.Background(), "127.0.0.1:0", lcfg)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx := testCtx(t)
	reported := make(chan int)
	acceptCtx, stopAccept := context.WithCancel(ctx)
	go func() {
		n := 0
		for {
			_, err := l.Accept(acceptCtx)
			if err == nil || !errors.As(err, new(*HandshakeError)) {
				reported <- n
				return
			}
			n++
		}
	}()
	for i := range attempts {
		c := rawDialFrom(t, l, "127.0.0.4")
		WritePreamble(c, KindClassical)
		tc := tls.Client(c, clientTLSConfig())
		if err := tc.HandshakeContext(ctx); err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			WriteFrame(tc, Frame{Type: FrameHello, Payload: []byte("not a hello")})
		} else { // no pairing attempt took place: this one is not exempt
			WriteFrame(tc, Frame{Type: FrameAbort, Payload: []byte{byte(AbortPairingFailed)}})
		}
		expectClosed(t, tc, "bad handshake")
		c.Close()
	}
	// Every failure is logged or counted once its handshake has ended.
	for deadline := time.Now().Add(20 * time.Second); ; {
		n := l.logs.Pending("handshake_failed")
		if n == attempts-1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d handshake failures counted", n+1, attempts)
		}
		time.Sleep(5 * time.Millisecond)
	}
	stopAccept()
	n := <-reported
	if n == 0 || n > maxReportedFailures {
		t.Errorf("Accept reported %d of %d failures, want between 1 and %d", n, attempts, maxReportedFailures)
	}
	l.Close()
	if got := logs.count(); got > 3 {
		t.Errorf("%d log lines for %d failures, want at most 3 (listening, the first failure, one summary): %v", got, attempts, logs.messages())
	}
}
