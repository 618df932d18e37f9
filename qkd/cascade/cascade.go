package cascade

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"qkdchat/qkd/bitvec"
	"qkdchat/qkd/hugepage"
)

// cascadeSchedule returns the block size of each pass for n bits at an
// estimated error rate q: a first block of the power of two nearest 0.7/q
// bits, a second of 4 times that (3 times when the first is at most 16
// bits, i.e. above about 3% QBER, on keys under 50,000 bits, where the
// cascades of the second pass would cost more round trips than the
// budget), a third of 64 or 256 times, then splitBlocks for the passes of two
// halves that clean up the last pairs of errors.
//
// Power-of-two blocks are bisected with no wasted level, and rounding
// 0.7/q on a log scale keeps the schedule unchanged for an estimate within
// a factor of about 1.4 of the true rate, so the error of the estimated
// QBER costs nothing. The third pass's blocks grow with the key
// (thirdBlockFactor). The constants were tuned by seeded simulation
// (cascade_perf_test.go) for f <= 1.08 with at most 60 round trips at
// 10^4 bits and f <= 1.06 with at most 120 at 10^5, and the number of
// split passes for no more runs left with errors than the schedule before
// (TestCascadeResidualErrorRuns); see docs/performance.md.
var cascadeSchedule = func(n int, q float64) []int {
	q = math.Min(math.Max(q, 1e-4), 0.25)
	k1 := 1 << max(0, int(math.Round(math.Log2(0.7/q))))
	m2 := 4
	if k1 <= 16 && n < 50000 {
		m2 = 3
	}
	sizes := []int{k1, m2 * k1, thirdBlockFactor(n) * k1}
	for i := range sizes {
		sizes[i] = max(1, min(sizes[i], n))
	}
	for len(sizes) < cascadePasses {
		sizes = append(sizes, splitBlocks)
	}
	return sizes
}

// thirdBlockFactor returns the block size of the third pass as a multiple
// of the first: 64 on keys under 50,000 bits, 256 from there on. On 10^5
// bits at 5% that is 25 top-level parities instead of 98 for the few
// errors the first two passes leave, at two more bisection levels per
// error the third pass finds; seeded trials give f 1.0595 instead of
// 1.0619 for two more round trips (1.0503 and 1.0571 instead of 1.0524
// and 1.0595 at 1% and 2%). On 10^4 bits it saves less than a
// thousandth of f and costs about two round trips that the budget does
// not have (see TestCascadeEfficiencyBySize).
func thirdBlockFactor(n int) int {
	if n < 50000 {
		return 64
	}
	return 256
}

// splitBlocks in the schedule marks a pass of two blocks split by a random
// mask (splitPass) rather than shuffled and cut into blocks of fixed size.
const splitBlocks = 0

// cascadePasses is the number of Cascade passes: three shuffled ones and
// twelve split ones, each of which costs one parity (sentParities) and
// halves the chance a pair of errors is left.
const cascadePasses = 15

// cascadePass is one pass: its shuffle and the key as seen through it,
// cut into blocks. Pass 0 is not shuffled; its perm and inv are the
// identity. Alice only needs the shuffled key, so her passes keep no index
// arrays at all. A split pass (split != nil) has no shuffled key and no
// index arrays on either side: it reads the key through pass 0's bits and
// finds the position of an index by a select query on its mask.
type cascadePass struct {
	k     int      // block size of a shuffled pass
	perm  indexMap // shuffled index → key position
	inv   indexMap // key position → shuffled index
	shuf  []uint64 // the key's bits in shuffled order
	split *splitPass
}

// indexMap is a map of 0..n-1 to itself stored as an array: 16-bit
// entries while n <= 1<<16, which halves the memory Bob's shuffles touch,
// 32-bit entries above. With neither it is the identity.
type indexMap struct {
	small []uint16
	large []uint32
}

func (m indexMap) at(i int) int {
	switch {
	case m.small != nil:
		return int(m.small[i])
	case m.large != nil:
		return int(m.large[i])
	}
	return i
}

func toIndexMap[T uint16 | uint32](v []T) indexMap {
	switch v := any(v).(type) {
	case []uint16:
		return indexMap{small: v}
	case []uint32:
		return indexMap{large: v}
	}
	return indexMap{}
}

// newCascadePasses shuffles or splits key for every pass of the schedule.
// With withIndex (Bob) it keeps each shuffle and its inverse to locate and
// correct errors; without (Alice) it keeps only the shuffled keys. Only the
// first passes are shuffled (one copy of the key each); the split passes
// hold a mask and read the key through pass 0.
func newCascadePasses(key []uint64, n int, q float64, seed [32]byte, withIndex bool) []cascadePass {
	sizes := cascadeSchedule(n, q)
	// Pass 0 is never split; every pass from the first split one on is.
	shuffled := 1
	for shuffled < len(sizes) && sizes[shuffled] != splitBlocks {
		shuffled++
	}
	passes := make([]cascadePass, len(sizes))
	w := bitvec.Words(n)
	shufs := make([]uint64, shuffled*w)
	for p := range shuffled {
		passes[p] = cascadePass{k: sizes[p], shuf: shufs[p*w : (p+1)*w : (p+1)*w]}
	}
	copy(passes[0].shuf, key[:w])
	bitvec.TailMask(passes[0].shuf, n)
	// The split passes read the key as pass 0 holds it, so Bob's
	// corrections (which flip pass 0 at the same position) reach them.
	for p := shuffled; p < len(sizes); p++ {
		passes[p] = cascadePass{split: newSplitPass(passes[0].shuf, n, passRand(seed, p))}
	}
	if shuffled == 1 {
		return passes
	}
	// One byte per key bit makes the gather in shuffle a load and a shift.
	kb := make([]byte, n)
	full := n &^ 7
	for i := 0; i < full; i += 8 {
		binary.LittleEndian.PutUint64(kb[i:], spreadBits[uint8(key[i>>6]>>(uint(i)&63))])
	}
	for i := full; i < n; i++ {
		kb[i] = byte(key[i>>6] >> (uint(i) & 63) & 1)
	}
	if n <= 1<<16 {
		shufflePasses[uint16](passes[:shuffled], kb, seed, withIndex)
	} else {
		shufflePasses[uint32](passes[:shuffled], kb, seed, withIndex)
	}
	return passes
}

// spreadBits[b] holds bit i of b in byte i (little-endian), to expand a
// key byte into eight bytes at once.
var spreadBits = func() (t [256]uint64) {
	for b := range t {
		for i := range 8 {
			t[b] |= uint64(b>>i&1) << (8 * i)
		}
	}
	return t
}()

// passRand returns the generator of the public randomness of pass p, a PCG
// seeded from the first 16 bytes of the Cascade seed and p.
func passRand(seed [32]byte, p int) *rand.PCG {
	s0 := binary.LittleEndian.Uint64(seed[0:])
	s1 := binary.LittleEndian.Uint64(seed[8:])
	return rand.NewPCG(s0^uint64(p)*0x9e3779b97f4a7c15, s1+uint64(p))
}

// shufflePasses shuffles kb into every pass but the first, sharing one
// allocation for all the index arrays of a side.
func shufflePasses[T uint16 | uint32](passes []cascadePass, kb []byte, seed [32]byte, withIndex bool) {
	n := len(kb)
	var idx []T
	if withIndex {
		idx = hugepage.Make[T](2 * (len(passes) - 1) * n)
	} else if len(passes) > 1 {
		idx = hugepage.Make[T](n)
	}
	for p := 1; p < len(passes); p++ {
		perm, inv := idx, []T(nil)
		if withIndex {
			perm = idx[(2*p-2)*n : (2*p-1)*n : (2*p-1)*n]
			inv = idx[(2*p-1)*n : 2*p*n : 2*p*n]
			passes[p].perm, passes[p].inv = toIndexMap(perm), toIndexMap(inv)
		}
		shuffle(perm, inv, passes[p].shuf, kb, passRand(seed, p))
	}
}

// shuffle sets perm to a Fisher-Yates shuffle of 0..n-1 drawn from g, two
// 32-bit indices per PCG output (low half first) with Lemire's
// multiply-shift, and bit i of shuf to kb[perm[i]]; if inv is not nil it
// also sets inv to the inverse of perm. The shuffles are public and only
// need to spread errors, so the bias of at most n/2^32 is harmless.
//
// Fisher-Yates fixes perm[i] when it swaps at i, so the gather and the
// inverse are done in the same loop, while the value is in a register.
func shuffle[T uint16 | uint32](perm, inv []T, shuf []uint64, kb []byte, g *rand.PCG) {
	n := len(perm)
	if n == 0 {
		return
	}
	kb = kb[:n]
	shuf = shuf[:bitvec.Words(n)]
	for i := range perm {
		perm[i] = T(i)
	}
	withInv := inv != nil
	if withInv {
		inv = inv[:n]
	}
	var acc uint64
	i := n - 1
	for ; i >= 2; i -= 2 {
		r := g.Uint64()
		j := int((r & 0xffffffff) * uint64(i+1) >> 32)
		x := perm[j]
		perm[j] = perm[i]
		perm[i] = x
		acc |= uint64(kb[x]) << (uint(i) & 63)
		if withInv {
			inv[x] = T(i)
		}
		if i&63 == 0 {
			shuf[i>>6], acc = acc, 0
		}
		h := i - 1
		j = int((r >> 32) * uint64(h+1) >> 32)
		x = perm[j]
		perm[j] = perm[h]
		perm[h] = x
		acc |= uint64(kb[x]) << (uint(h) & 63)
		if withInv {
			inv[x] = T(h)
		}
		if h&63 == 0 {
			shuf[h>>6], acc = acc, 0
		}
	}
	if i == 1 {
		j := int((g.Uint64() & 0xffffffff) * 2 >> 32)
		perm[1], perm[j] = perm[j], perm[1]
		acc |= uint64(kb[perm[1]]) << 1
		if withInv {
			inv[perm[1]] = 1
		}
	}
	acc |= uint64(kb[perm[0]])
	if withInv {
		inv[perm[0]] = 0
	}
	shuf[0] = acc
}

// blocks returns the number of top-level blocks of the pass: two for a
// split pass (one may be empty when n is tiny), ceil(n/k) otherwise.
func (p *cascadePass) blocks(n int) int {
	if p.split != nil {
		return 2
	}
	return (n + p.k - 1) / p.k
}

// bounds returns the pass indices [lo, hi) of block b.
func (p *cascadePass) bounds(b, n int) (lo, hi int) {
	if p.split != nil {
		return p.split.bounds(b)
	}
	return b * p.k, min((b+1)*p.k, n)
}

// maxBlock returns the size of the largest block of the pass.
func (p *cascadePass) maxBlock(n int) int {
	if p.split != nil {
		return max(p.split.zeros, n-p.split.zeros)
	}
	return min(p.k, n)
}

// parity returns the parity of pass indices [lo, hi).
func (p *cascadePass) parity(lo, hi int) uint8 {
	if p.split != nil {
		return p.split.parity(lo, hi)
	}
	return bitvec.Parity(p.shuf, lo, hi)
}

// position returns the key position of pass index i.
func (p *cascadePass) position(i int) int {
	if p.split != nil {
		return p.split.position(i)
	}
	return p.perm.at(i)
}

// sentParities returns the number of top-level block parities of pass p
// Alice sends: every block of pass 0, every block but the last of a later
// pass. The blocks of a pass cover the key, so their parities add up to
// the parity of the whole key, which pass 0 already disclosed; the last
// one is implied and Bob works it out (a split pass thus costs one parity,
// a random-subset check as in BICONF).
func sentParities(passes []cascadePass, p, n int) int {
	if p == 0 {
		return passes[p].blocks(n)
	}
	return passes[p].blocks(n) - 1
}

// topParities returns the parity of every top-level block of every pass
// but the implied last ones (sentParities), in pass order, and their
// number.
func topParities(passes []cascadePass, n int) (int, []uint64) {
	total := 0
	for i := range passes {
		total += sentParities(passes, i, n)
	}
	out := make([]uint64, bitvec.Words(total))
	j := 0
	for i := range passes {
		p := &passes[i]
		for b := 0; b < sentParities(passes, i, n); b++ {
			if p.parity(p.bounds(b, n)) == 1 {
				out[j>>6] |= 1 << (uint(j) & 63)
			}
			j++
		}
	}
	return total, out
}

// Start is Alice's opening message: the seed of the public shuffles and
// the parities of every top-level block Bob cannot work out himself.
type Start struct {
	Seed     [32]byte
	Count    int
	Parities []uint64
}

// Range names the range [Lo, Hi) of shuffled positions of a pass.
type Range struct {
	Pass   int
	Lo, Hi int
}

// Query is one batch of Bob's parity questions.
type Query struct{ Ranges []Range }

// Reply answers a Query: bit i of Parities is the parity of range i.
type Reply struct {
	Count    int
	Parities []uint64
}

// Alice answers Bob's parity questions about Alice's key.
type Alice struct {
	n      int
	seed   [32]byte
	passes []cascadePass
	leak   int // parities disclosed
	rounds int
}

// NewAlice prepares Alice's side for her n-bit key at estimated error
// rate q, with the public seed of the shuffles.
func NewAlice(key []uint64, n int, q float64, seed [32]byte) *Alice {
	return &Alice{n: n, seed: seed, passes: newCascadePasses(key, n, q, seed, false)}
}

// Start returns the opening message with all top-level parities.
func (a *Alice) Start() *Start {
	c, par := topParities(a.passes, a.n)
	a.leak += c
	return &Start{Seed: a.seed, Count: c, Parities: par}
}

// Leak returns the number of parities Alice has disclosed.
func (a *Alice) Leak() int { return a.leak }

// Rounds returns the number of batches of questions Alice has answered.
func (a *Alice) Rounds() int { return a.rounds }

// maxCascadeRounds bounds the parity exchanges Alice answers.
const maxCascadeRounds = 4096

// Answer checks and answers one batch of questions. Bob may not learn more
// than n parities in total: by then the key would be fully disclosed.
func (a *Alice) Answer(q *Query) (*Reply, error) {
	a.rounds++
	if a.rounds > maxCascadeRounds {
		return nil, fmt.Errorf("cascade: more than %d parity rounds", maxCascadeRounds)
	}
	if len(q.Ranges) == 0 {
		return nil, fmt.Errorf("cascade: empty parity query")
	}
	if a.leak+len(q.Ranges) > a.n {
		return nil, fmt.Errorf("cascade: peer asked for %d parities of a %d-bit key", a.leak+len(q.Ranges), a.n)
	}
	out := make([]uint64, bitvec.Words(len(q.Ranges)))
	for i, r := range q.Ranges {
		if r.Pass < 0 || r.Pass >= len(a.passes) || r.Lo < 0 || r.Lo >= r.Hi || r.Hi > a.n {
			return nil, fmt.Errorf("cascade: parity range %d (pass %d, [%d,%d)) out of bounds", i, r.Pass, r.Lo, r.Hi)
		}
		if a.passes[r.Pass].parity(r.Lo, r.Hi) == 1 {
			out[i>>6] |= 1 << (uint(i) & 63)
		}
	}
	a.leak += len(q.Ranges)
	return &Reply{Count: len(q.Ranges), Parities: out}, nil
}

// search is one bisection of an odd range of a pass: Bob's parity of
// [lo, hi) differs from Alice's, which is known. The range is node node of
// the bisection tree of its block.
type search struct {
	pass, block int
	lo, hi      int
	node        int   // root 1; the halves of node v are 2v and 2v+1
	alice       uint8 // Alice's parity of [lo, hi)
	waiting     bool  // a question about the left half is out
}

// treeRef names a node of the bisection tree of a block of a pass.
type treeRef struct{ pass, block, node int }

// knownParities holds the parities of Alice's key Bob has learnt, one
// known bit and one value bit per node of the bisection tree of every
// block: bisection always halves a range at lo + (hi-lo)/2, so every range
// Bob asks about or infers is a node, and node ids of a block of k bits are
// below 2^(bits.Len(k-1)+1). Each pass gives all its blocks the slots of
// its largest (the halves of a split pass differ in size).
type knownParities struct {
	base  []int  // per pass: index of the pass's first slot
	shift []uint // per pass: log2 of the slots per block
	known []uint64
	value []uint64
}

func newKnownParities(passes []cascadePass, n int) knownParities {
	t := knownParities{base: make([]int, len(passes)), shift: make([]uint, len(passes))}
	total := 0
	for p := range passes {
		t.base[p] = total
		t.shift[p] = uint(bits.Len(uint(max(passes[p].maxBlock(n), 1)-1))) + 1
		total += passes[p].blocks(n) << t.shift[p]
	}
	words := make([]uint64, 2*bitvec.Words(total))
	t.known, t.value = words[:len(words)/2], words[len(words)/2:]
	return t
}

func (t *knownParities) slot(p, block, node int) int { return t.base[p] + block<<t.shift[p] + node }

func (t *knownParities) get(p, block, node int) (uint8, bool) {
	i := t.slot(p, block, node)
	return bitvec.Get(t.value, i), bitvec.Get(t.known, i) == 1
}

func (t *knownParities) set(p, block, node int, v uint8) {
	i := t.slot(p, block, node)
	bitvec.Set(t.known, i, 1)
	bitvec.Set(t.value, i, v)
}

// Querying is how Bob asks about the open bisections. Alice answers any
// range of any pass, so the two sides need not agree on it, and it is not
// part of the protocol version: a Bob of this release gains with an Alice
// of the release before, and the other way round nothing changes.
type Querying uint8

const (
	// Inferring is the default. Bob keeps the key positions whose bit he
	// knows to equal Alice's (sure): every bit he corrects, and every bit
	// that was a one-bit half of a bisection step in any pass (its parity
	// is Alice's bit, and the step leaves Bob's equal to it). A half of
	// one or two bits, all sure, has Bob's parity as Alice's, so Bob does
	// not ask about it: the bisection descends without a round trip. A
	// pass only reuses the parities of its own blocks (knownParities);
	// this carries single bits across passes, which the late passes'
	// searches and the cascades into earlier passes often end on. And
	// when a single bisection is open (the tail of a long cascade, a late
	// pass's search of a large block) Bob asks the parities of its left
	// half and of the left quarter of each half in one message, two levels
	// per round trip for one more parity.
	Inferring Querying = iota
	// OneLevel asks the left half's parity of every open bisection, one
	// level per round trip, and infers only from the block's own tree:
	// the release before (protocol version 5 as first shipped), kept as
	// the baseline of `qkdchat bench qkd`.
	OneLevel
)

// Bob drives Cascade from Bob's side.
type Bob struct {
	n         int
	key       []uint64
	passes    []cascadePass
	known     knownParities // Alice's parities Bob has learnt
	active    int           // passes whose blocks have been compared
	open      [][]bool      // per pass and block: a search is open on it
	order     []*search     // open searches in creation order
	free      []search      // storage for new searches
	asked     []treeRef     // the nodes of the questions out
	leak      int
	rounds    int
	corrected int
	querying  Querying
	sure      []uint64 // key positions known to equal Alice's; nil with OneLevel
	err       error    // set when Alice's parities contradict each other
}

// SetQuerying sets how Bob asks (Inferring unless set), to measure the
// release before against this one on the same keys; call it before Next.
func (b *Bob) SetQuerying(m Querying) {
	b.querying = m
	if m == OneLevel {
		b.sure = nil
	} else if b.sure == nil {
		b.sure = make([]uint64, bitvec.Words(b.n))
	}
}

// NewBob prepares Bob's side from Alice's opening message. key is
// corrected in place.
func NewBob(key []uint64, n int, q float64, start *Start) (*Bob, error) {
	b := &Bob{n: n, key: key, passes: newCascadePasses(key, n, q, start.Seed, true), sure: make([]uint64, bitvec.Words(n))}
	sent, blocks := 0, 0
	for i := range b.passes {
		sent += sentParities(b.passes, i, n)
		blocks += b.passes[i].blocks(n)
	}
	if start.Count != sent || len(start.Parities) != bitvec.Words(sent) {
		return nil, fmt.Errorf("cascade: %d block parities, want %d", start.Count, sent)
	}
	b.leak = sent
	b.known = newKnownParities(b.passes, n)
	b.open = make([][]bool, len(b.passes))
	open := make([]bool, blocks)
	var whole uint8 // Alice's parity of the whole key, from pass 0
	j, o := 0, 0
	for i := range b.passes {
		nb := b.passes[i].blocks(n)
		b.open[i] = open[o : o+nb : o+nb]
		o += nb
		var sum uint8
		for k := 0; k < nb; k++ {
			var v uint8
			if k < sentParities(b.passes, i, n) {
				v = bitvec.Get(start.Parities, j)
				j++
			} else {
				v = whole ^ sum
			}
			sum ^= v
			if lo, hi := b.passes[i].bounds(k, n); lo == hi && v == 1 {
				return nil, fmt.Errorf("cascade: odd parity for empty block %d of pass %d", k, i)
			}
			b.known.set(i, k, 1, v)
		}
		if i == 0 {
			whole = sum
		}
	}
	return b, nil
}

// Next returns the next batch of questions, or nil when Cascade is done
// or has failed (Err).
func (b *Bob) Next() *Query {
	for b.err == nil {
		var q []Range
		b.asked = b.asked[:0]
		waiting := 0
		for _, s := range b.order {
			if s.waiting && b.passes[s.pass].parity(s.lo, s.hi) == s.alice {
				b.close(s) // a later correction in this round made it even
			}
			if s.waiting {
				waiting++
			}
		}
		deep := waiting == 1 && b.querying == Inferring
		for _, s := range b.order {
			if s.waiting {
				if q == nil {
					q = make([]Range, 0, len(b.order)+2)
				}
				q = b.ask(q, s, deep)
			}
		}
		b.compact()
		if len(q) > 0 {
			b.rounds++
			b.leak += len(q)
			return &Query{Ranges: q}
		}
		if b.active == len(b.passes) {
			return nil
		}
		b.activate(b.active)
		b.active++
		b.advanceAll()
	}
	return nil
}

// ask appends the questions about waiting search s to q: its left half
// (node 2v) and, with deep, the left half of each of its halves (nodes 4v
// and 4v+2) that is at least two bits long and neither known nor made of
// sure bits (sureRange), so that the answers take the bisection down two
// levels (advance reads them from known). Every range is a node of the
// block's bisection tree.
func (b *Bob) ask(q []Range, s *search, deep bool) []Range {
	mid := s.lo + (s.hi-s.lo)/2
	q = append(q, Range{Pass: s.pass, Lo: s.lo, Hi: mid})
	b.asked = append(b.asked, treeRef{s.pass, s.block, 2 * s.node})
	if !deep {
		return q
	}
	for _, h := range [2]struct{ lo, hi, node int }{{s.lo, mid, 4 * s.node}, {mid, s.hi, 4*s.node + 2}} {
		hm := h.lo + (h.hi-h.lo)/2
		if _, ok := b.known.get(s.pass, s.block, h.node); ok || h.hi-h.lo < 2 ||
			b.sureRange(&b.passes[s.pass], h.lo, hm) || b.sureRange(&b.passes[s.pass], hm, h.hi) {
			continue
		}
		q = append(q, Range{Pass: s.pass, Lo: h.lo, Hi: hm})
		b.asked = append(b.asked, treeRef{s.pass, s.block, h.node})
	}
	return q
}

// activate compares the top-level blocks of pass p and opens a search on
// every odd one.
func (b *Bob) activate(p int) {
	ps := &b.passes[p]
	for k := 0; k < ps.blocks(b.n); k++ {
		b.checkBlock(p, k)
	}
}

// checkBlock opens a search on block k of pass p if it is odd and none is
// open on it.
func (b *Bob) checkBlock(p, k int) {
	if b.open[p][k] {
		return
	}
	ps := &b.passes[p]
	lo, hi := ps.bounds(k, b.n)
	a, _ := b.known.get(p, k, 1)
	if ps.parity(lo, hi) == a {
		return
	}
	if len(b.free) == 0 {
		b.free = make([]search, 64)
	}
	s := &b.free[0]
	b.free = b.free[1:]
	*s = search{pass: p, block: k, lo: lo, hi: hi, node: 1, alice: a}
	b.open[p][k] = true
	b.order = append(b.order, s)
}

// advanceAll moves every open search as far as known parities allow.
func (b *Bob) advanceAll() {
	for i := 0; i < len(b.order) && b.err == nil; i++ { // b.order grows while we walk it
		s := b.order[i]
		if !s.waiting {
			b.advance(s)
		}
	}
	b.compact()
}

// advance bisects s until it needs a parity nobody disclosed yet, finds
// the error, or finds its range no longer odd (another correction landed
// in it), in which case it closes.
func (b *Bob) advance(s *search) {
	ps := &b.passes[s.pass]
	for {
		if ps.parity(s.lo, s.hi) == s.alice {
			b.close(s) // even now: nothing to find here
			return
		}
		if s.hi-s.lo == 1 {
			b.close(s)
			b.flip(ps.position(s.lo))
			return
		}
		mid := s.lo + (s.hi-s.lo)/2
		left, okL := b.known.get(s.pass, s.block, 2*s.node)
		if !okL {
			right, okR := b.known.get(s.pass, s.block, 2*s.node+1)
			switch {
			case okR:
				left = s.alice ^ right
			case b.sureRange(ps, s.lo, mid):
				left = ps.parity(s.lo, mid)
			case b.sureRange(ps, mid, s.hi):
				left = s.alice ^ ps.parity(mid, s.hi)
			default:
				s.waiting = true
				return
			}
		}
		if b.sure != nil {
			// A one-bit half is Alice's bit: Bob's equals it once this
			// step flips the odd half's bit.
			if mid-s.lo == 1 {
				bitvec.Set(b.sure, ps.position(s.lo), 1)
			}
			if s.hi-mid == 1 {
				bitvec.Set(b.sure, ps.position(mid), 1)
			}
		}
		if ps.parity(s.lo, mid) != left {
			s.hi, s.alice, s.node = mid, left, 2*s.node
		} else {
			s.lo, s.alice, s.node = mid, s.alice^left, 2*s.node+1
		}
	}
}

// sureLen is the longest range sureRange looks at bit by bit: longer
// ones all of whose bits are sure made no measurable difference.
const sureLen = 2

// sureRange reports whether every bit of pass indices [lo, hi) of ps is
// known to equal Alice's (b.sure), so that Bob's parity of the range is
// hers and need not be asked. Only short ranges are looked at.
func (b *Bob) sureRange(ps *cascadePass, lo, hi int) bool {
	if b.sure == nil || hi-lo > sureLen {
		return false
	}
	for i := lo; i < hi; i++ {
		if bitvec.Get(b.sure, ps.position(i)) == 0 {
			return false
		}
	}
	return true
}

func (b *Bob) close(s *search) {
	s.waiting = false
	s.hi = -1 // marks it closed for compact
	b.open[s.pass][s.block] = false
}

func (b *Bob) compact() {
	out := b.order[:0]
	for _, s := range b.order {
		if s.hi >= 0 {
			out = append(out, s)
		}
	}
	clear(b.order[len(out):])
	b.order = out
}

// flip corrects key position x and opens searches on the blocks that
// became odd in the passes compared so far. The split passes read the key
// through pass 0, so flipping pass 0 corrects them too, and their block of
// x is its mask bit.
//
// Truthful parities make every flip correct a bit that differs from
// Alice's, so there are at most n. Parities that contradict each other
// could make the searches flip bits back and forth without end: past n
// flips Cascade stops with b.err.
func (b *Bob) flip(x int) {
	if b.corrected >= b.n {
		b.err = fmt.Errorf("cascade: the peer's parities contradict each other (more than %d corrections of a %d-bit key)", b.n, b.n)
		return
	}
	bitvec.Flip(b.key, x)
	b.corrected++
	if b.sure != nil {
		bitvec.Set(b.sure, x, 1)
	}
	for p := range b.passes {
		ps := &b.passes[p]
		if ps.split != nil {
			if p < b.active {
				b.checkBlock(p, ps.split.blockAt(x))
			}
			continue
		}
		i := ps.inv.at(x)
		bitvec.Flip(ps.shuf, i)
		if p < b.active {
			b.checkBlock(p, i/ps.k)
		}
	}
}

// Receive applies Alice's answers to the questions of the last call to
// Next.
func (b *Bob) Receive(q *Query, r *Reply) error {
	if len(q.Ranges) != len(b.asked) {
		return fmt.Errorf("cascade: answers to %d questions, %d asked", len(q.Ranges), len(b.asked))
	}
	if r.Count != len(q.Ranges) || len(r.Parities) != bitvec.Words(r.Count) {
		return fmt.Errorf("cascade: %d parities for %d questions", r.Count, len(q.Ranges))
	}
	for i, t := range b.asked {
		b.known.set(t.pass, t.block, t.node, bitvec.Get(r.Parities, i))
	}
	b.asked = b.asked[:0]
	for _, s := range b.order {
		s.waiting = false
	}
	b.advanceAll()
	return b.err
}

// Err returns why Cascade stopped early: Alice's parities contradict each
// other. It is nil after a normal end.
func (b *Bob) Err() error { return b.err }

// Leak returns the number of parities Bob has learnt.
func (b *Bob) Leak() int { return b.leak }

// Rounds returns the number of batches of questions Bob has asked.
func (b *Bob) Rounds() int { return b.rounds }

// Corrected returns the number of bits Bob has flipped.
func (b *Bob) Corrected() int { return b.corrected }
