package qkd

import (
	"context"
	"errors"
	"fmt"
	"math"
	"qkdchat/qkd/bitvec"
	"qkdchat/qkd/finitekey"
	"reflect"
	"sync"
	"testing"
	"time"
)

// Lying-peer fuzzing. The targets below run one honest side (RunAlice or
// RunBob, seeded) against a peer that lies: either a scripted peer that
// plays back the other side's messages of a recorded honest run, or the
// real other side behind a man in the middle. Either way, the fuzz input
// is a script of mutations of the peer's messages: change any field
// (counts, sizes, seeds, bits, Cascade parity answers, flags), change
// any byte of the encoding, drop, duplicate, delay or replace a message,
// or inject an Abort. Every delivered message went through
// MarshalMessage and UnmarshalMessage, as on the wire, so the peer can
// send exactly what a network peer can.
//
// The honest side must return (no panic, no hang; a watchdog fails the
// run), and either fail with Key nil and Report.Aborted, or produce a key
// that keeps the promises of its report: the key has Report.KeyBits bits,
// no more than the finite-key bound it reports, and the leak it counted
// covers every parity bit the peer actually disclosed on the wire.
//
// The recording is made at test time from the real code, so the targets
// follow changes of the protocol and its messages.

// fuzzPeerConfig is a small run: a 64-bit key with a 16-qubit trace, so
// that one run takes milliseconds.
func fuzzPeerConfig() Config {
	return seeded(Config{Protocol: Protocol{KeyBits: 64, TraceQubits: 16}, Channel: Channel{Noise: 0.03}}, 77)
}

// transcriptEntry is one message of a recorded run.
type transcriptEntry struct {
	fromAlice bool
	m         Message
}

// tapConn records what passes through a Conn, in the order its owner
// sent and received it.
type tapConn struct {
	Conn
	alice bool
	mu    sync.Mutex
	log   []transcriptEntry
}

func (t *tapConn) add(fromAlice bool, m Message) {
	t.mu.Lock()
	t.log = append(t.log, transcriptEntry{fromAlice, m})
	t.mu.Unlock()
}

func (t *tapConn) Send(ctx context.Context, m Message) error {
	t.add(t.alice, mustClone(m))
	return t.Conn.Send(ctx, m)
}

func (t *tapConn) Recv(ctx context.Context) (Message, error) {
	m, err := t.Conn.Recv(ctx)
	if err == nil {
		t.add(!t.alice, mustClone(m))
	}
	return m, err
}

// cloneMessage deep-copies m through its wire encoding; it returns nil
// for a message that cannot go on the wire (after a mutation).
func cloneMessage(m Message) Message {
	if m == nil {
		return nil
	}
	b, err := MarshalMessage(m)
	if err != nil {
		return nil
	}
	c, err := UnmarshalMessage(b)
	if err != nil {
		return nil
	}
	return c
}

// mustClone clones a message of an honest run, which always encodes.
func mustClone(m Message) Message {
	c := cloneMessage(m)
	if c == nil {
		panic(fmt.Sprintf("qkd: %v does not encode", m.Kind()))
	}
	return c
}

// recordRun runs Alice and Bob honestly and returns the conversation as
// Alice saw it and the shared key.
func recordRun(tb testing.TB, c Config) ([]transcriptEntry, []byte) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	a, b := Pipe()
	tap := &tapConn{Conn: a, alice: true}
	var bobRes *Result
	var bobErr error
	done := make(chan struct{})
	go func() { defer close(done); bobRes, bobErr = RunBob(ctx, c, b) }()
	aliceRes, err := RunAlice(ctx, c, tap)
	<-done
	if err != nil || bobErr != nil {
		tb.Fatalf("recording: alice %v, bob %v", err, bobErr)
	}
	if len(aliceRes.Key) == 0 || string(aliceRes.Key) != string(bobRes.Key) {
		tb.Fatal("recording: keys differ")
	}
	return tap.log, aliceRes.Key
}

// mutation is one step of a fuzz script, decoded from 4 bytes: which of
// the peer's messages it applies to, what to do and two operands.
type mutation struct {
	at   int // index among the peer's messages, modulo their number
	op   byte
	a, b byte
}

func decodeScript(data []byte) []mutation {
	var out []mutation
	for len(data) >= 4 && len(out) < 16 {
		out = append(out, mutation{at: int(data[0]), op: data[1], a: data[2], b: data[3]})
		data = data[4:]
	}
	return out
}

// The message-level operations; any other op value changes one field.
const (
	opDrop      = iota // the message is not sent
	opDuplicate        // sent twice
	opDelay            // sent after the next one
	opReplace          // replaced by another of the peer's recorded messages
	opAbort            // an Abort is sent before it
	opByte             // one byte of its encoding is changed
	opFields           // first op that changes a field
)

// mutator applies a script to the stream of the peer's messages.
type mutator struct {
	script   []mutation
	n        int       // number of peer messages the script indexes
	pool     []Message // the peer's recorded messages, for opReplace
	delayed  []Message
	anyEdits bool // some mutation changed what was delivered
}

// next returns the messages to deliver in place of the i-th peer
// message, followed by any delayed one.
func (mu *mutator) next(i int, m Message) []Message {
	pending := mu.takeDelayed()
	out := []Message{cloneMessage(m)}
	delay := false
	for _, s := range mu.script {
		if mu.n == 0 || s.at%mu.n != i {
			continue
		}
		mu.anyEdits = true
		switch s.op {
		case opDrop:
			out = nil
		case opDuplicate:
			if len(out) > 0 {
				out = append(out, cloneMessage(out[len(out)-1]))
			}
		case opDelay:
			delay = true
		case opReplace:
			if len(mu.pool) > 0 {
				out = []Message{cloneMessage(mu.pool[(int(s.a)<<8|int(s.b))%len(mu.pool)])}
			}
		case opAbort:
			out = append([]Message{&Abort{Reason: "fuzz"}}, out...)
		case opByte:
			for j, o := range out {
				out[j] = mutateByte(o, s.a, s.b)
			}
		default:
			for _, o := range out {
				if o != nil {
					mutateField(o, s.op-opFields, s.a, s.b)
				}
			}
		}
	}
	// Deliver only what a network peer could: what encodes and decodes.
	var wire []Message
	for _, o := range out {
		if o == nil {
			continue
		}
		b, err := MarshalMessage(o)
		if err != nil {
			continue
		}
		if d, err := UnmarshalMessage(b); err == nil {
			wire = append(wire, d)
		}
	}
	if delay {
		mu.delayed, wire = wire, nil
	}
	return append(wire, pending...)
}

// takeDelayed returns the messages held back by opDelay.
func (mu *mutator) takeDelayed() []Message {
	d := mu.delayed
	mu.delayed = nil
	return d
}

// mutateByte changes one byte of m's encoding (never the kind byte).
func mutateByte(m Message, a, b byte) Message {
	if m == nil {
		return nil
	}
	enc, err := MarshalMessage(m)
	if err != nil || len(enc) < 2 {
		return m
	}
	off := 1 + int(a)*(int(b)+1)%(len(enc)-1)
	enc[off] ^= b | 1
	d, err := UnmarshalMessage(enc)
	if err != nil {
		return nil
	}
	return d
}

// slot is one mutable value inside a message.
type slot struct {
	v      reflect.Value
	parent reflect.Value // the struct holding it, for resizing its planes
}

// slots lists the mutable values of a message struct, walking nested
// structs and slices of structs (the first 64 elements).
func slots(v reflect.Value, parent reflect.Value, out []slot) []slot {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			out = slots(v.Elem(), parent, out)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				out = slots(v.Field(i), v, out)
			}
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Struct {
			out = append(out, slot{v, parent}) // the slice itself: drop or duplicate an element
			for i := 0; i < v.Len() && i < 64; i++ {
				out = slots(v.Index(i), v.Index(i), out)
			}
			return out
		}
		out = append(out, slot{v, parent})
	default:
		out = append(out, slot{v, parent})
	}
	return out
}

// interestingInts are values a lying peer announces: edges of the
// decoder's and the protocol's limits.
var interestingInts = []int{0, 1, 2, 63, 64, 65, 4095, MaxTraceQubits, MaxTraceQubits + 1, MaxFramePhotons,
	MaxQubits - 1, MaxQubits, MaxQubits + 1, 2 * MaxQubits, math.MaxInt32}

// mutateField changes the field number which (modulo the number of
// fields) of m according to operands a and b.
func mutateField(m Message, which, a, b byte) {
	ss := slots(reflect.ValueOf(m), reflect.Value{}, nil)
	if len(ss) == 0 {
		return
	}
	s := ss[int(which)%len(ss)]
	v := s.v
	switch v.Kind() {
	case reflect.Int:
		old := int(v.Int())
		var nv int
		switch a % 8 {
		case 0:
			nv = old + 1
		case 1:
			nv = old - 1
		case 2:
			nv = old * 2
		case 3:
			nv = old / 2
		case 4:
			nv = old + int(b)
		case 5:
			nv = int(b)
		default:
			nv = interestingInts[int(b)%len(interestingInts)]
		}
		v.SetInt(int64(nv))
		if nv > old && s.parent.IsValid() {
			growPlanes(s.parent, nv)
		}
	case reflect.Uint8, reflect.Uint64:
		if a%2 == 0 {
			v.SetUint(v.Uint() ^ 1<<(b%uint8(8*v.Type().Size())))
		} else {
			v.SetUint(uint64(b))
		}
	case reflect.Bool:
		v.SetBool(!v.Bool())
	case reflect.Float64:
		vals := []float64{0, -1, 0.5, 1, 1e-300, 2, v.Float() * 2, v.Float() / 2, math.SmallestNonzeroFloat64}
		v.SetFloat(vals[int(b)%len(vals)])
	case reflect.String:
		v.SetString(v.String() + string(rune(b)))
	case reflect.Array:
		if v.Len() > 0 {
			e := v.Index(int(b) % v.Len())
			if e.CanSet() && e.Kind() == reflect.Uint8 {
				e.SetUint(e.Uint() ^ uint64(a|1))
			}
		}
	case reflect.Slice:
		switch {
		case v.Type().Elem().Kind() == reflect.Uint64:
			if v.Len() > 0 {
				bit := (int(a)<<8 | int(b)) % (64 * v.Len())
				e := v.Index(bit / 64)
				e.SetUint(e.Uint() ^ 1<<(bit%64))
			}
		case v.Type().Elem().Kind() == reflect.Struct && v.Len() > 0:
			i := int(b) % v.Len()
			if a%2 == 0 { // drop element i
				v.Set(reflect.AppendSlice(v.Slice(0, i), v.Slice(i+1, v.Len())))
			} else { // duplicate it
				v.Set(reflect.Append(v, v.Index(i)))
			}
		}
	}
}

// growPlanes extends every bit plane of struct st to hold n bits (up to
// MaxQubits), so that a changed count still encodes: the peer announces
// a size and sends that much.
func growPlanes(st reflect.Value, n int) {
	if st.Kind() != reflect.Struct || n > MaxQubits+64 {
		return
	}
	w := bitvec.Words(n)
	for i := 0; i < st.NumField(); i++ {
		f := st.Field(i)
		if !st.Type().Field(i).IsExported() || f.Kind() != reflect.Slice || f.Type().Elem().Kind() != reflect.Uint64 {
			continue
		}
		if f.Len() < w {
			f.Set(reflect.AppendSlice(f, reflect.ValueOf(make([]uint64, w-f.Len()))))
		}
	}
}

// wireLog records what crossed the wire to and from the honest side.
type wireLog struct {
	parities int   // parity bits delivered to it (CascadeStart, ParityReply)
	samples  []int // Sample.Size of every Sample delivered to it
	sentPar  int   // parity bits it sent (CascadeStart, ParityReply)
}

func parityBits(m Message) int {
	switch m := m.(type) {
	case *CascadeStart:
		return m.Count
	case *ParityReply:
		return m.Count
	}
	return 0
}

func (w *wireLog) delivered(m Message) {
	w.parities += parityBits(m)
	if m, ok := m.(*Sample); ok {
		w.samples = append(w.samples, m.Size)
	}
}

// hub connects the honest side (end 0) and the peer (end 1) in memory,
// passing what the peer sends through the mutator. Unlike a Pipe it
// never blocks a sender, and it detects a stalled conversation: when
// both sides wait for a message and none is queued, or one side waits
// for a side that has returned, Recv returns ErrClosed. So a lie that
// leaves both sides waiting ends at once, as a network peer's timeout
// would end it, and every run is deterministic.
type hub struct {
	mu      sync.Mutex
	cond    *sync.Cond
	q       [2][]Message // q[i] is what end i has yet to receive
	waiting [2]bool
	gone    [2]bool
	closed  bool
	peerIdx int // number of peer messages seen
	mut     *mutator
	wl      wireLog
}

func newHub(ctx context.Context, mut *mutator) *hub {
	h := &hub{mut: mut}
	h.cond = sync.NewCond(&h.mu)
	context.AfterFunc(ctx, func() {
		h.mu.Lock()
		h.closed = true
		h.cond.Broadcast()
		h.mu.Unlock()
	})
	return h
}

// enqueue delivers what the peer sent (mutated) or what the honest side
// sent (as is), under h.mu.
func (h *hub) enqueue(from int, ms ...Message) {
	if from == 1 {
		var out []Message
		for _, m := range ms {
			out = append(out, h.mut.next(h.peerIdx, m)...)
			h.peerIdx++
		}
		for _, m := range out {
			h.wl.delivered(m)
		}
		ms = out
	} else {
		for _, m := range ms {
			h.wl.sentPar += parityBits(m)
		}
	}
	h.q[1-from] = append(h.q[1-from], ms...)
	h.cond.Broadcast()
}

// leave marks end i as returned; what is delayed is delivered first.
func (h *hub) leave(i int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if i == 1 {
		d := h.mut.takeDelayed()
		for _, m := range d {
			h.wl.delivered(m)
		}
		h.q[0] = append(h.q[0], d...)
	}
	h.gone[i] = true
	h.cond.Broadcast()
}

type hubEnd struct {
	h  *hub
	me int
}

func (e hubEnd) Send(ctx context.Context, m Message) error {
	e.h.mu.Lock()
	defer e.h.mu.Unlock()
	if e.h.closed {
		return ErrClosed
	}
	e.h.enqueue(e.me, m)
	return nil
}

func (e hubEnd) Recv(ctx context.Context) (Message, error) {
	h, me, other := e.h, e.me, 1-e.me
	h.mu.Lock()
	defer h.mu.Unlock()
	for len(h.q[me]) == 0 {
		if h.closed || h.gone[other] || (h.waiting[other] && len(h.q[other]) == 0) {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			return nil, ErrClosed
		}
		h.waiting[me] = true
		h.cond.Broadcast() // the other side may be waiting for this
		h.cond.Wait()
		h.waiting[me] = false
	}
	m := h.q[me][0]
	h.q[me] = h.q[me][1:]
	return m, nil
}

// honestOutcome is what an honest side returned.
type honestOutcome struct {
	res *Result
	err error
}

// hangAfter is how long the watchdog waits for an honest side: a run
// takes milliseconds, so minutes mean it is stuck.
const hangAfter = 60 * time.Second

// runHonest runs the honest side with a watchdog: a run that does not
// return is a hang and fails the test.
func runHonest(t *testing.T, ctx context.Context, alice bool, c Config, h *hub) honestOutcome {
	t.Helper()
	done := make(chan honestOutcome, 1)
	go func() {
		var o honestOutcome
		if alice {
			o.res, o.err = RunAlice(ctx, c, hubEnd{h, 0})
		} else {
			o.res, o.err = RunBob(ctx, c, hubEnd{h, 0})
		}
		h.leave(0)
		done <- o
	}()
	select {
	case o := <-done:
		return o
	case <-time.After(hangAfter):
		t.Fatalf("the honest side did not return within %v of a lying peer", hangAfter)
		return honestOutcome{}
	}
}

// replayAgainst runs the honest side against a peer that plays back the
// other side's recorded messages, mutated by script, without waiting for
// the honest side's answers.
func replayAgainst(t *testing.T, alice bool, c Config, pool []Message, script []mutation) (honestOutcome, *wireLog, *mutator) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	mu := &mutator{script: script, n: len(pool), pool: pool}
	h := newHub(ctx, mu)
	h.mu.Lock()
	h.enqueue(1, pool...)
	h.mu.Unlock()
	h.leave(1)
	o := runHonest(t, ctx, alice, c, h)
	return o, &h.wl, mu
}

// proxyAgainst runs the honest side against the real other side whose
// messages the script mutates on the way: a liar that adapts, answering
// the honest side's actual Cascade queries with chosen lies.
func proxyAgainst(t *testing.T, alice bool, c Config, pool []Message, script []mutation) (honestOutcome, *wireLog, *mutator) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	mu := &mutator{script: script, n: len(pool), pool: pool}
	h := newHub(ctx, mu)
	peerDone := make(chan struct{})
	go func() {
		defer close(peerDone)
		if alice {
			RunBob(ctx, c, hubEnd{h, 1})
		} else {
			RunAlice(ctx, c, hubEnd{h, 1})
		}
		h.leave(1)
	}()
	o := runHonest(t, ctx, alice, c, h)
	<-peerDone
	return o, &h.wl, mu
}

// checkHonest asserts what an honest side promises whatever the peer did.
func checkHonest(t *testing.T, who string, o honestOutcome, wl *wireLog) {
	t.Helper()
	if o.err != nil {
		if errors.Is(o.err, context.DeadlineExceeded) {
			t.Fatalf("%s waited for a lying peer until the deadline: %v", who, o.err)
		}
		if o.res != nil && (o.res.Key != nil || !o.res.Report.Aborted) {
			t.Fatalf("%s failed (%v) but returned key %x, aborted=%v", who, o.err, o.res.Key, o.res.Report.Aborted)
		}
		return
	}
	rep := o.res.Report
	if rep.Aborted || rep.KeyBits < 1 || len(o.res.Key) != (rep.KeyBits+7)/8 {
		t.Fatalf("%s succeeded with a %d-byte key for %d bits, aborted=%v", who, len(o.res.Key), rep.KeyBits, rep.Aborted)
	}
	if float64(rep.KeyBits) > rep.BoundBits {
		t.Fatalf("%s produced %d key bits, above its finite-key bound %.1f", who, rep.KeyBits, rep.BoundBits)
	}
	parities, samples, sent := wl.parities, wl.samples, wl.sentPar
	if who == "bob" && rep.LeakedEC < parities+finitekey.VerifyTagBits {
		t.Fatalf("bob counted a leak of %d bits, but the peer disclosed %d parity bits and a %d-bit tag", rep.LeakedEC, parities, finitekey.VerifyTagBits)
	}
	if who == "alice" && rep.LeakedEC < sent+finitekey.VerifyTagBits {
		t.Fatalf("alice counted a leak of %d bits, but she disclosed %d parity bits and a %d-bit tag", rep.LeakedEC, sent, finitekey.VerifyTagBits)
	}
	if rep.SampleSize < 1 || rep.ReconciledBits < rep.KeyBits || rep.Corrected > rep.ReconciledBits {
		t.Fatalf("%s succeeded with an inconsistent report: %+v", who, rep)
	}
	if who == "bob" && (len(samples) == 0 || samples[len(samples)-1] != rep.SampleSize) {
		t.Fatalf("bob's report has a sample of %d bits, the peer disclosed %v", rep.SampleSize, samples)
	}
}

// peerFuzz is the shared body of the two targets: data[0] picks replay
// (even) or man in the middle (odd); the rest is the mutation script.
func peerFuzz(f *testing.F, alice bool) { peerFuzzWith(f, alice, fuzzPeerConfig()) }

// fuzzLaserConfig is a short laser run with decoy states (protocol
// version 4) that makes a 64-bit key.
func fuzzLaserConfig() Config {
	return seeded(Config{Protocol: Protocol{KeyBits: 64, Qubits: 150_000, Source: Source{Laser: true, Decoys: true}},
		Channel: Channel{Noise: 0.01, DarkCount: 1e-4}}, 78)
}

func peerFuzzWith(f *testing.F, alice bool, c Config) {
	tr, key := recordRun(f, c)
	who := "bob"
	if alice {
		who = "alice"
	}
	var peerMsgs []Message            // the peer's messages, in order
	kindAt := map[MessageKind][]int{} // their indices, by kind
	for _, e := range tr {
		if e.fromAlice != alice {
			kindAt[e.m.Kind()] = append(kindAt[e.m.Kind()], len(peerMsgs))
			peerMsgs = append(peerMsgs, e.m)
		}
	}
	// Seeds: the honest conversation both ways, then one mutation of
	// every kind of field of every kind of message the peer sends.
	f.Add([]byte{0})
	f.Add([]byte{1})
	for k := range MessageKind(255) {
		idx := kindAt[k]
		if len(idx) == 0 {
			continue
		}
		i := byte(idx[0])
		f.Add([]byte{0, i, opDrop, 0, 0})
		f.Add([]byte{1, i, opDuplicate, 0, 0})
		f.Add([]byte{0, i, opDelay, 0, 0})
		f.Add([]byte{1, i, opByte, 3, 7})
		for fld := byte(0); fld < 6; fld++ {
			f.Add([]byte{0, i, opFields + fld, 6, 12})
			f.Add([]byte{1, i, opFields + fld, 0, 1})
		}
	}
	if !alice { // lie in a Cascade parity answer
		for _, i := range kindAt[KindParityReply] {
			f.Add([]byte{1, byte(i), opFields + 1, 0, 0})
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		script := decodeScript(data[1:])
		var o honestOutcome
		var wl *wireLog
		var mu *mutator
		if data[0]%2 == 0 {
			o, wl, mu = replayAgainst(t, alice, c, peerMsgs, script)
		} else {
			o, wl, mu = proxyAgainst(t, alice, c, peerMsgs, script)
		}
		checkHonest(t, who, o, wl)
		if !mu.anyEdits && (o.err != nil || string(o.res.Key) != string(key)) {
			t.Fatalf("%s against an honest peer: err %v, key %x, want %x", who, o.err, o.res.Key, key)
		}
	})
}

// FuzzBobAgainstLyingAlice: RunBob against a lying Alice.
func FuzzBobAgainstLyingAlice(f *testing.F) { peerFuzz(f, false) }

// FuzzAliceAgainstLyingBob: RunAlice against a lying Bob.
func FuzzAliceAgainstLyingBob(f *testing.F) { peerFuzz(f, true) }

// FuzzLaserBobAgainstLyingAlice: RunBob on a laser link with decoys
// (pulse frames, decoy announcement, weak-decoy bits) against a lying
// Alice.
func FuzzLaserBobAgainstLyingAlice(f *testing.F) { peerFuzzWith(f, false, fuzzLaserConfig()) }

// FuzzLaserAliceAgainstLyingBob: RunAlice on a laser link against a
// lying Bob.
func FuzzLaserAliceAgainstLyingBob(f *testing.F) { peerFuzzWith(f, true, fuzzLaserConfig()) }

// A lying Alice whose Cascade parities contradict each other (a changed
// shuffle seed, or one top-level parity flipped, so that her answers
// describe no key) once made Bob flip bits back and forth forever inside
// one receive, with no message exchanged and ctx never checked. Bob now
// stops after n corrections of an n-bit key with a protocol error.
func TestBobStopsOnContradictoryCascadeParities(t *testing.T) {
	c := fuzzPeerConfig()
	tr, _ := recordRun(t, c)
	var pool []Message
	at := -1
	for _, e := range tr {
		if !e.fromAlice {
			continue
		}
		if e.m.Kind() == KindCascadeStart {
			at = len(pool)
		}
		pool = append(pool, e.m)
	}
	if at < 0 {
		t.Fatal("no CascadeStart in the recording")
	}
	// The seed and the parities, by their slot numbers for mutateField.
	cs := reflect.ValueOf(pool[at])
	var fields []byte
	for i, s := range slots(cs, reflect.Value{}, nil) {
		for _, name := range []string{"Seed", "Parities"} {
			if f := cs.Elem().FieldByName(name); f.IsValid() && s.v.Addr().Pointer() == f.Addr().Pointer() && s.v.Type() == f.Type() {
				fields = append(fields, byte(i))
			}
		}
	}
	if len(fields) != 2 {
		t.Fatalf("CascadeStart has no Seed or Parities field: %d found", len(fields))
	}
	for _, field := range fields {
		script := []mutation{{at: at, op: opFields + field, a: 0, b: 1}}
		o, wl, _ := proxyAgainst(t, false, c, pool, script)
		checkHonest(t, "bob", o, wl)
		var pe *ProtocolError
		if !errors.As(o.err, &pe) {
			t.Fatalf("field %d of CascadeStart changed: bob returned %v, want a protocol error", field, o.err)
		}
		t.Logf("field %d: %v", field, o.err)
	}
}
