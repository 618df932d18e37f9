package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"qkdchat/app"
)

// chatBenchResult is the output of `qkdchat bench chat --json`.
type chatBenchResult struct {
	Peers       int     `json:"peers"`       // connecting nodes, each with one session to the listener
	N           int     `json:"n"`           // messages each peer sends
	Concurrency int     `json:"concurrency"` // concurrent Send calls per peer
	Rekeys      int     `json:"rekeys"`      // timed on-demand rekeys
	KeyBits     int     `json:"key_bits"`
	Noise       float64 `json:"noise"`
	Cores       int     `json:"cores"`

	// Key establishment: one on-demand BB84 exchange over both links,
	// from Rekey's call to its return (both sides confirmed the key).
	FirstKeyMS        float64 `json:"first_key_ms"`         // connect + pairing + first exchange, first peer
	KeyEstablishMSP50 float64 `json:"key_establish_ms_p50"` // median over the rekeys (target <= 100)
	KeyEstablishMSMax float64 `json:"key_establish_ms_max"`
	KeyAborts         int     `json:"key_aborts"` // rekeys that made no key

	// Chat with the ledger on (every message appended, fsynced, on both
	// sides). Latency runs from the Send call (or, at a fixed rate, from
	// when the message was due) to the receiver's message event.
	//
	// Throughput is measured in a closed loop: Concurrency senders per
	// peer, each waiting for its last message to arrive, which is the most
	// the pipeline carries; its latency is mostly queueing behind the
	// other messages in flight. The latency a user sees is measured in an
	// open loop at a fixed offered rate (RatePerS, the throughput target),
	// counted from each message's due time so that a stall is not hidden.
	MsgsPerS              float64 `json:"msgs_per_s"`               // closed loop; target >= 2000
	SaturatedLatencyMSP50 float64 `json:"saturated_latency_ms_p50"` // closed loop
	SaturatedLatencyMSP99 float64 `json:"saturated_latency_ms_p99"` // closed loop
	RatePerS              float64 `json:"rate_per_s"`               // offered load of the open loop
	LatencyMSP50          float64 `json:"latency_ms_p50"`           // open loop at RatePerS
	LatencyMSP99          float64 `json:"latency_ms_p99"`           // open loop at RatePerS; target <= 20
	Lost                  int     `json:"lost"`                     // messages never received
	Duplicated            int     `json:"duplicated"`               // messages received more than once
	Rejected              int     `json:"rejected"`                 // rejected events on the listener
	FirstReject           string  `json:"first_reject,omitempty"`
	FirstAbort            string  `json:"first_abort,omitempty"`
	LedgersOK             bool    `json:"ledgers_ok"` // every node's ledger verifies afterwards

	// Baseline: the same with Options.DisableLedger on both sides.
	NoLedgerMsgsPerS              float64 `json:"no_ledger_msgs_per_s"`
	NoLedgerSaturatedLatencyMSP99 float64 `json:"no_ledger_saturated_latency_ms_p99"`
	NoLedgerLatencyMSP50          float64 `json:"no_ledger_latency_ms_p50"`
	NoLedgerLatencyMSP99          float64 `json:"no_ledger_latency_ms_p99"`
	LedgerCostRatio               float64 `json:"ledger_throughput_ratio"` // msgs_per_s / no_ledger_msgs_per_s

	TargetsMet bool `json:"targets_met"`
}

// Targets of issue 5 for two peers on loopback.
const (
	targetKeyMS     = 100
	targetMsgsPerS  = 2000
	targetLatencyMS = 20
)

func runBenchChat(ctx context.Context, env *Env, args []string) error {
	fs := NewFlagSet(env, "bench chat", "")
	n := fs.Int("n", 2000, "messages each peer sends")
	peers := fs.Int("peers", 1, "peers connecting to the one listener")
	conc := fs.Int("concurrency", 64, "messages in flight per peer: senders that each wait for their last message to arrive")
	rekeys := fs.Int("rekeys", 20, "on-demand rekeys to time (on the first peer's session)")
	keyBits := fs.Int("key-bits", 256, "BB84 final key length in bits")
	noise := fs.Float64("noise", 0.02, "simulated channel error rate; also the link calibration the first exchange is planned for (rekeys follow the measured QBER)")
	rekeyMsgs := fs.Int("rekey-messages", 1000, "rekey after this many messages, as in a real session")
	rate := fs.Float64("rate", targetMsgsPerS, "offered load, messages/s over all peers, at which to measure latency")
	timeout := fs.Duration("timeout", 5*time.Minute, "give up after this long")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := Parse(fs, args); err != nil {
		return err
	}
	switch {
	case fs.NArg() != 0:
		return Usagef("bench chat takes no arguments")
	case *n < 1 || *n > 1_000_000:
		return Usagef("--n must be within 1..1000000")
	case *peers < 1 || *peers > 1000:
		return Usagef("--peers must be within 1..1000")
	case *conc < 1 || *conc > 1024:
		return Usagef("--concurrency must be within 1..1024")
	case *rekeys < 0 || *rekeys > 10_000:
		return Usagef("--rekeys must be within 0..10000")
	case *keyBits < 8 || *keyBits > 1<<20:
		return Usagef("--key-bits must be within 8..1048576")
	case *noise < 0 || *noise >= 0.11:
		return Usagef("--noise must be within 0 and the abort threshold 0.11")
	case *rekeyMsgs < 1:
		return Usagef("--rekey-messages must be at least 1")
	case !(*rate >= 1 && *rate <= 1e6):
		return Usagef("--rate must be within 1..1000000 messages/s")
	case *timeout <= 0:
		return Usagef("--timeout must be positive")
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	cfg := chatBenchConfig{
		peers: *peers, n: *n, conc: *conc, rekeys: *rekeys, rekeyMsgs: *rekeyMsgs,
		bb84: app.BB84Settings{KeyBits: *keyBits, Noise: *noise},
	}
	res := chatBenchResult{Peers: *peers, N: *n, Concurrency: *conc, Rekeys: *rekeys, KeyBits: *keyBits, Noise: *noise,
		Cores: runtime.GOMAXPROCS(0)}

	rounds := []struct {
		name     string
		noLedger bool
		cfg      chatBenchConfig
		out      *chatRound
	}{
		{"ledger on", false, cfg, new(chatRound)},
		{"ledger off", true, chatBenchConfig{peers: cfg.peers, n: cfg.n, conc: cfg.conc, rekeyMsgs: cfg.rekeyMsgs, bb84: cfg.bb84}, new(chatRound)},
		{"ledger on, fixed rate", false, chatBenchConfig{peers: cfg.peers, n: cfg.n, rate: *rate, rekeyMsgs: cfg.rekeyMsgs, bb84: cfg.bb84}, new(chatRound)},
		{"ledger off, fixed rate", true, chatBenchConfig{peers: cfg.peers, n: cfg.n, rate: *rate, rekeyMsgs: cfg.rekeyMsgs, bb84: cfg.bb84}, new(chatRound)},
	}
	for _, r := range rounds {
		var err error
		if *r.out, err = runChatRound(ctx, r.cfg, r.noLedger); err != nil {
			return fmt.Errorf("bench chat, %s: %w", r.name, err)
		}
	}
	on, off, onRate, offRate := rounds[0].out, rounds[1].out, rounds[2].out, rounds[3].out
	res.FirstKeyMS = ms(on.firstKey)
	if len(on.keyTimes) > 0 {
		res.KeyEstablishMSP50 = ms(quantile(on.keyTimes, 0.5))
		res.KeyEstablishMSMax = ms(slices.Max(on.keyTimes))
	}
	res.KeyAborts = on.keyAborts
	res.MsgsPerS = perSecond(cfg.peers*cfg.n, on.elapsed)
	res.SaturatedLatencyMSP50, res.SaturatedLatencyMSP99 = ms(quantile(on.latency, 0.5)), ms(quantile(on.latency, 0.99))
	res.RatePerS = *rate
	res.LatencyMSP50, res.LatencyMSP99 = ms(quantile(onRate.latency, 0.5)), ms(quantile(onRate.latency, 0.99))
	for _, r := range rounds {
		res.Lost += r.out.lost
		res.Duplicated += r.out.duplicated
		res.Rejected += r.out.rejected
		res.FirstReject = cmp.Or(res.FirstReject, r.out.firstRej)
	}
	res.LedgersOK = on.ledgersOK && onRate.ledgersOK
	res.FirstAbort = on.firstAbort
	res.NoLedgerMsgsPerS = perSecond(cfg.peers*cfg.n, off.elapsed)
	res.NoLedgerSaturatedLatencyMSP99 = ms(quantile(off.latency, 0.99))
	res.NoLedgerLatencyMSP50, res.NoLedgerLatencyMSP99 = ms(quantile(offRate.latency, 0.5)), ms(quantile(offRate.latency, 0.99))
	if res.NoLedgerMsgsPerS > 0 {
		res.LedgerCostRatio = res.MsgsPerS / res.NoLedgerMsgsPerS
	}
	res.TargetsMet = (cfg.rekeys == 0 || res.KeyEstablishMSP50 <= targetKeyMS) && res.MsgsPerS >= targetMsgsPerS &&
		res.LatencyMSP99 <= targetLatencyMS && res.Lost == 0 && res.Duplicated == 0 && res.LedgersOK

	if *asJSON {
		if err := printJSON(env.Stdout, res); err != nil {
			return err
		}
	} else {
		w := env.Stdout
		fmt.Fprintf(w, "chat benchmark: %d peer(s) x %d messages, %d concurrent sends per peer, loopback TCP, %d cores\n", res.Peers, res.N, res.Concurrency, res.Cores)
		fmt.Fprintf(w, "  first key (connect, pairing, BB84): %8.1f ms\n", res.FirstKeyMS)
		fmt.Fprintf(w, "  rekey, %d-bit key at %.0f%% noise:  %8.1f ms median over %d, max %.1f ms, %d aborted (target <= %d ms)\n",
			res.KeyBits, res.Noise*100, res.KeyEstablishMSP50, res.Rekeys, res.KeyEstablishMSMax, res.KeyAborts, targetKeyMS)
		fmt.Fprintf(w, "  ledger on:  %8.0f msgs/s with %d in flight per peer (latency p50 %6.2f ms, p99 %6.2f ms)  (target >= %d msgs/s)\n",
			res.MsgsPerS, res.Concurrency, res.SaturatedLatencyMSP50, res.SaturatedLatencyMSP99, targetMsgsPerS)
		fmt.Fprintf(w, "              at %.0f msgs/s offered: latency p50 %6.2f ms, p99 %6.2f ms  (target p99 <= %d ms)\n",
			res.RatePerS, res.LatencyMSP50, res.LatencyMSP99, targetLatencyMS)
		fmt.Fprintf(w, "  ledger off: %8.0f msgs/s with %d in flight per peer (latency p99 %6.2f ms); at %.0f msgs/s offered: p50 %6.2f ms, p99 %6.2f ms (baseline)\n",
			res.NoLedgerMsgsPerS, res.Concurrency, res.NoLedgerSaturatedLatencyMSP99, res.RatePerS, res.NoLedgerLatencyMSP50, res.NoLedgerLatencyMSP99)
		fmt.Fprintf(w, "  lost %d, duplicated %d, rejected %d, ledgers verify: %v\n", res.Lost, res.Duplicated, res.Rejected, res.LedgersOK)
		if res.FirstAbort != "" {
			fmt.Fprintf(w, "  first aborted rekey: %s\n", res.FirstAbort)
		}
		if res.FirstReject != "" {
			fmt.Fprintf(w, "  first rejection: %s\n", res.FirstReject)
		}
	}
	if res.Lost > 0 || res.Duplicated > 0 || !res.LedgersOK {
		return &ExitError{Code: 1, Err: fmt.Errorf("messages lost (%d) or duplicated (%d), or a ledger does not verify", res.Lost, res.Duplicated)}
	}
	return nil
}

type chatBenchConfig struct {
	peers, n, conc, rekeys, rekeyMsgs int
	rate                              float64 // messages/s over all peers; 0 for a closed loop of conc senders
	bb84                              app.BB84Settings
}

// paceSends calls send for messages 0..n-1 at rate per second from begin,
// with each message's due time. A late call is made at once, not skipped.
func paceSends(ctx context.Context, begin time.Time, rate float64, n int, send func(i int, due time.Time)) {
	interval := time.Duration(float64(time.Second) / rate)
	t := time.NewTimer(0)
	defer t.Stop()
	for i := range n {
		due := begin.Add(time.Duration(i) * interval)
		if wait := time.Until(due); wait > 0 {
			t.Reset(wait)
			select {
			case <-t.C:
			case <-ctx.Done():
				return
			}
		}
		send(i, due)
	}
}

// chatRound is what one round (ledger on or off) measured.
type chatRound struct {
	firstKey   time.Duration
	keyTimes   []time.Duration
	keyAborts  int
	elapsed    time.Duration // first Send call to the last message event
	latency    []time.Duration
	lost       int
	duplicated int
	rejected   int
	firstRej   string
	firstAbort string
	ledgersOK  bool
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// quantile returns the q-quantile (nearest rank) of d; 0 when d is empty.
func quantile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := int(q*float64(len(s))+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// benchNode opens a node in a fresh directory under root.
func benchNode(root, name string, role app.Role, cfg chatBenchConfig, noLedger bool) (*app.Node, error) {
	dir, err := os.MkdirTemp(root, "node-")
	if err != nil {
		return nil, err
	}
	if err := app.SaveProfile(dir, app.Profile{Name: name, Role: role}); err != nil {
		return nil, err
	}
	return app.Open(app.Options{
		Dir:           dir,
		Logger:        slog.New(slog.DiscardHandler),
		BB84:          cfg.bb84,
		RekeyMessages: cfg.rekeyMsgs,
		RekeyInterval: -1,
		DisableLedger: noLedger,
	})
}

// runChatRound runs one listener and cfg.peers connecting nodes in temporary
// directories, times cfg.rekeys rekeys on the first session, then has every
// peer send cfg.n messages and times their arrival at the listener.
func runChatRound(ctx context.Context, cfg chatBenchConfig, noLedger bool) (r chatRound, err error) {
	root, err := os.MkdirTemp("", "qkdchat-bench-chat-")
	if err != nil {
		return r, err
	}
	defer os.RemoveAll(root)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var nodes []*app.Node
	defer func() {
		var wg sync.WaitGroup
		for _, n := range nodes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n.Close()
			}()
		}
		wg.Wait()
	}()
	hosp, err := benchNode(root, "Hospital", app.RoleHospital, cfg, noLedger)
	if err != nil {
		return r, err
	}
	nodes = append(nodes, hosp)

	// The listener's message events, by sender index and message number.
	type slot struct {
		sent, recv atomic.Int64
		got        chan struct{} // closed at the first receipt
	}
	slots := make([][]slot, cfg.peers)
	for i := range slots {
		slots[i] = make([]slot, cfg.n)
		for j := range slots[i] {
			slots[i][j].got = make(chan struct{})
		}
	}
	var received, dups, rejected atomic.Int64
	var firstRej atomic.Value
	all := make(chan struct{})
	events, stop := hosp.Events()
	defer stop()
	go func() {
		want := int64(cfg.peers * cfg.n)
		for e := range events {
			switch e.Type {
			case app.EventRejected:
				rejected.Add(1)
				firstRej.CompareAndSwap(nil, e.Reason)
			case app.EventMessage:
				p, i, ok := parseBenchText(e.Message.Text, cfg.peers, cfg.n)
				if !ok {
					continue
				}
				if !slots[p][i].recv.CompareAndSwap(0, e.Time.UnixNano()) {
					dups.Add(1)
					continue
				}
				close(slots[p][i].got)
				if received.Add(1) == want {
					close(all)
				}
			}
		}
	}()

	addr, code, err := hosp.Listen(ctx, "127.0.0.1:0", "")
	if err != nil {
		return r, err
	}
	sessions := make([]*app.Session, cfg.peers)
	for p := range cfg.peers {
		peer, err := benchNode(root, fmt.Sprintf("Patient %d", p), app.RolePatient, cfg, noLedger)
		if err != nil {
			return r, err
		}
		nodes = append(nodes, peer)
		start := time.Now()
		pev, stopPeer := peer.Events()
		s, err := peer.Connect(ctx, addr.String(), code)
		if err == nil {
			err = waitFirstKey(ctx, pev)
		}
		stopPeer()
		if err != nil {
			return r, fmt.Errorf("peer %d: %w", p, err)
		}
		if p == 0 {
			r.firstKey = time.Since(start)
		}
		sessions[p] = s
	}

	for len(r.keyTimes)+r.keyAborts < cfg.rekeys {
		s := sessions[0]
		before := len(s.Exchanges())
		start := time.Now()
		err := s.Rekey(ctx)
		took := time.Since(start)
		if ctx.Err() != nil {
			return r, ctx.Err()
		}
		if len(s.Exchanges()) == before {
			// Rekey returns at once while an exchange is still
			// finishing (its checkpoint request): not an exchange.
			time.Sleep(time.Millisecond)
			continue
		}
		if err != nil {
			r.keyAborts++
			if r.firstAbort == "" {
				r.firstAbort = err.Error()
			}
			continue
		}
		r.keyTimes = append(r.keyTimes, took)
	}

	// Chat: every peer sends n messages, either from conc goroutines that
	// each wait for their last message to arrive (closed loop: the most
	// the pipeline carries), or at a fixed rate (open loop: the latency a
	// user sees at that load).
	begin := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, cfg.peers*max(cfg.conc, cfg.n))
	send := func(p, i int, s *app.Session) bool {
		if _, err := s.Send(ctx, app.KindChat, "bench", benchText(p, i), nil); err != nil {
			errs <- fmt.Errorf("peer %d message %d: %w", p, i, err)
			return false
		}
		return true
	}
	for p, s := range sessions {
		if cfg.rate > 0 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				paceSends(ctx, begin, cfg.rate/float64(cfg.peers), cfg.n, func(i int, at time.Time) {
					// Latency counts from when the message was due, not
					// when a busy sender got to it, so a stall is not
					// hidden (coordinated omission).
					slots[p][i].sent.Store(at.UnixNano())
					wg.Add(1)
					go func() {
						defer wg.Done()
						send(p, i, s)
					}()
				})
			}()
			continue
		}
		var next atomic.Int64
		for range cfg.conc {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := int(next.Add(1) - 1)
					if i >= cfg.n || ctx.Err() != nil {
						return
					}
					slots[p][i].sent.Store(time.Now().UnixNano())
					if !send(p, i, s) {
						return
					}
					select {
					case <-slots[p][i].got:
					case <-ctx.Done():
						return
					case <-time.After(10 * time.Second):
						// Lost: counted below.
					}
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return r, err
	}
	select {
	case <-all:
	case <-ctx.Done():
		// Count what arrived; the rest is lost.
	case <-time.After(30 * time.Second):
	}
	var last int64
	for p := range slots {
		for i := range slots[p] {
			sl := &slots[p][i]
			recv := sl.recv.Load()
			if recv == 0 {
				r.lost++
				continue
			}
			last = max(last, recv)
			r.latency = append(r.latency, time.Duration(recv-sl.sent.Load()))
		}
	}
	r.elapsed = time.Unix(0, last).Sub(begin)
	r.duplicated = int(dups.Load())
	r.rejected = int(rejected.Load())
	r.firstRej, _ = firstRej.Load().(string)

	r.ledgersOK = true
	if !noLedger {
		for _, n := range nodes {
			rep, err := n.Auditor().Verify(ctx, nil)
			if err != nil {
				return r, err
			}
			if !rep.OK {
				r.ledgersOK = false
			}
		}
	}
	return r, nil
}

func waitFirstKey(ctx context.Context, events <-chan app.Event) error {
	for {
		select {
		case e, ok := <-events:
			if !ok {
				return errors.New("node closed before the first key")
			}
			switch e.Type {
			case app.EventKeyEstablished:
				return nil
			case app.EventKeyAborted:
				return fmt.Errorf("first key exchange aborted: %s", e.Reason)
			case app.EventDisconnected:
				return fmt.Errorf("disconnected before the first key: %s", e.Reason)
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// benchText is the text of message i of peer p.
func benchText(p, i int) string { return "bench " + strconv.Itoa(p) + " " + strconv.Itoa(i) }

func parseBenchText(s string, peers, n int) (p, i int, ok bool) {
	rest, found := strings.CutPrefix(s, "bench ")
	if !found {
		return 0, 0, false
	}
	a, b, found := strings.Cut(rest, " ")
	if !found {
		return 0, 0, false
	}
	p, err1 := strconv.Atoi(a)
	i, err2 := strconv.Atoi(b)
	if err1 != nil || err2 != nil || p < 0 || p >= peers || i < 0 || i >= n {
		return 0, 0, false
	}
	return p, i, true
}
