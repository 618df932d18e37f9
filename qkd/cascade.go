package qkd

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
)

// Cascade (Brassard & Salvail 1993) corrects Bob's sifted key towards
// Alice's by comparing parities of blocks and bisecting the blocks whose
// parities differ. Each pass shuffles the key with a public permutation
// and splits it into blocks; correcting an error in one pass makes the
// blocks containing that bit in every earlier pass odd again, and those
// are bisected in turn (the cascade).
//
// This implementation follows the block-size schedule of
// Martinez-Mateo et al., "Demystifying the information reconciliation
// protocol Cascade" (2015): a small first block, a medium second block and
// then several passes of large blocks. Three things keep the number of
// round trips low without disclosing more:
//   - Alice's parities of every top-level block of every pass depend only
//     on her key and the shuffles, so she sends them all at once;
//   - every bisection step of every open block, in every pass, is one
//     parity question, and all the questions of a step go in one message;
//   - each disclosed parity is remembered, so bisecting a block again after
//     a cascade reuses the parities already known (and the complement of a
//     known half) without asking.
// Both sides count every disclosed parity, including the top-level ones.

// cascadeSchedule returns the block size of each pass for n bits at an
// estimated error rate q: a first block of about 0.65/q bits (0.6/q + 2.4,
// a little larger at high error rates), then 4 and 16 times that, then
// passes of n/2 that clean up the last pairs of errors. The constants were
// tuned by simulation (TestCascadeEfficiency reproduces them) for f <= 1.1
// with few round trips; see the package README.
var cascadeSchedule = func(n int, q float64) []int {
	q = math.Min(math.Max(q, 1e-4), 0.25)
	k1 := max(1, int(math.Ceil((0.6+2.4*q)/q)))
	sizes := []int{k1, 4 * k1, 16 * k1}
	for len(sizes) < cascadePasses {
		sizes = append(sizes, n/2)
	}
	for i := range sizes {
		sizes[i] = max(1, min(sizes[i], n))
	}
	return sizes
}

// cascadePasses is the number of Cascade passes.
const cascadePasses = 10

// cascadePass is one pass: its shuffle and the key as seen through it.
type cascadePass struct {
	k    int      // block size
	perm []int32  // shuffled index → key position
	inv  []int32  // key position → shuffled index
	shuf []uint64 // the key's bits in shuffled order
}

func newCascadePasses(key []uint64, n int, q float64, seed [32]byte) []cascadePass {
	sizes := cascadeSchedule(n, q)
	passes := make([]cascadePass, len(sizes))
	s0 := binary.LittleEndian.Uint64(seed[0:])
	s1 := binary.LittleEndian.Uint64(seed[8:])
	for p, k := range sizes {
		perm := make([]int32, n)
		for i := range perm {
			perm[i] = int32(i)
		}
		if p > 0 {
			shuffle(perm, rand.NewPCG(s0^uint64(p)*0x9e3779b97f4a7c15, s1+uint64(p)))
		}
		inv := make([]int32, n)
		shuf := make([]uint64, wordsFor(n))
		for i, x := range perm {
			inv[x] = int32(i)
			shuf[i>>6] |= uint64(key[x>>6]>>(uint(x)&63)&1) << (uint(i) & 63)
		}
		passes[p] = cascadePass{k: k, perm: perm, inv: inv, shuf: shuf}
	}
	return passes
}

// shuffle permutes v by Fisher-Yates, drawing two 32-bit indices per PCG
// output with Lemire's multiply-shift. The shuffles are public and only
// need to spread errors, so the bias of at most len(v)/2^32 is harmless.
func shuffle(v []int32, g *rand.PCG) {
	var spare uint64
	have := false
	for i := len(v) - 1; i > 0; i-- {
		var x uint64
		if have {
			x, have = spare, false
		} else {
			r := g.Uint64()
			x, spare, have = r&0xffffffff, r>>32, true
		}
		j := int(x * uint64(i+1) >> 32)
		v[i], v[j] = v[j], v[i]
	}
}

func (p *cascadePass) blocks(n int) int { return (n + p.k - 1) / p.k }

// topParities returns the parity of every top-level block of every pass,
// in pass order, and their number.
func topParities(passes []cascadePass, n int) (int, []uint64) {
	total := 0
	for i := range passes {
		total += passes[i].blocks(n)
	}
	out := make([]uint64, wordsFor(total))
	j := 0
	for i := range passes {
		p := &passes[i]
		for b := 0; b < p.blocks(n); b++ {
			if parityRange(p.shuf, b*p.k, min((b+1)*p.k, n)) == 1 {
				out[j>>6] |= 1 << (uint(j) & 63)
			}
			j++
		}
	}
	return total, out
}

// cascadeAlice answers Bob's parity questions about Alice's key.
type cascadeAlice struct {
	n      int
	passes []cascadePass
	leak   int // parities disclosed
	rounds int
}

func newCascadeAlice(key []uint64, n int, q float64, seed [32]byte) *cascadeAlice {
	return &cascadeAlice{n: n, passes: newCascadePasses(key, n, q, seed)}
}

// start returns the opening message with all top-level parities.
func (a *cascadeAlice) start(seed [32]byte) *CascadeStart {
	c, par := topParities(a.passes, a.n)
	a.leak += c
	return &CascadeStart{Seed: seed, Count: c, Parities: par}
}

// maxCascadeRounds bounds the parity exchanges Alice answers.
const maxCascadeRounds = 4096

// answer checks and answers one batch of questions. Bob may not learn more
// than n parities in total: by then the key would be fully disclosed.
func (a *cascadeAlice) answer(q *ParityQuery) (*ParityReply, error) {
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
	out := make([]uint64, wordsFor(len(q.Ranges)))
	for i, r := range q.Ranges {
		if r.Pass < 0 || r.Pass >= len(a.passes) || r.Lo < 0 || r.Lo >= r.Hi || r.Hi > a.n {
			return nil, fmt.Errorf("cascade: parity range %d (pass %d, [%d,%d)) out of bounds", i, r.Pass, r.Lo, r.Hi)
		}
		if parityRange(a.passes[r.Pass].shuf, r.Lo, r.Hi) == 1 {
			out[i>>6] |= 1 << (uint(i) & 63)
		}
	}
	a.leak += len(q.Ranges)
	return &ParityReply{Count: len(q.Ranges), Parities: out}, nil
}

// search is one bisection of an odd range of a pass: Bob's parity of
// [lo, hi) differs from Alice's, which is known.
type search struct {
	pass, block int
	lo, hi      int
	alice       uint8 // Alice's parity of [lo, hi)
	waiting     bool  // a question about the left half is out
}

// cascadeBob drives Cascade from Bob's side.
type cascadeBob struct {
	n         int
	key       []uint64
	passes    []cascadePass
	known     []map[uint64]uint8 // per pass: Alice's parity of [lo,hi), keyed lo<<32|hi
	active    int                // passes whose blocks have been compared
	open      map[[2]int]*search // open searches by (pass, block)
	order     []*search          // open searches in creation order
	leak      int
	rounds    int
	corrected int
}

func rangeKey(lo, hi int) uint64 { return uint64(lo)<<32 | uint64(hi) }

// newCascadeBob prepares Bob's side from Alice's opening message. key is
// corrected in place.
func newCascadeBob(key []uint64, n int, q float64, start *CascadeStart) (*cascadeBob, error) {
	b := &cascadeBob{n: n, key: key, passes: newCascadePasses(key, n, q, start.Seed), open: map[[2]int]*search{}}
	total := 0
	for i := range b.passes {
		total += b.passes[i].blocks(n)
	}
	if start.Count != total || len(start.Parities) != wordsFor(total) {
		return nil, fmt.Errorf("cascade: %d block parities, want %d", start.Count, total)
	}
	b.leak = total
	b.known = make([]map[uint64]uint8, len(b.passes))
	j := 0
	for i := range b.passes {
		p := &b.passes[i]
		b.known[i] = make(map[uint64]uint8, p.blocks(n)*4)
		for k := 0; k < p.blocks(n); k++ {
			b.known[i][rangeKey(k*p.k, min((k+1)*p.k, n))] = getBit(start.Parities, j)
			j++
		}
	}
	return b, nil
}

// next returns the next batch of questions, or nil when Cascade is done.
func (b *cascadeBob) next() *ParityQuery {
	for {
		var q []ParityRange
		for _, s := range b.order {
			if s.waiting && parityRange(b.passes[s.pass].shuf, s.lo, s.hi) == s.alice {
				b.close(s) // a later correction in this round made it even
			}
			if s.waiting {
				q = append(q, ParityRange{Pass: s.pass, Lo: s.lo, Hi: s.lo + (s.hi-s.lo)/2})
			}
		}
		b.compact()
		if len(q) > 0 {
			b.rounds++
			b.leak += len(q)
			return &ParityQuery{Ranges: q}
		}
		if b.active == len(b.passes) {
			return nil
		}
		b.activate(b.active)
		b.active++
		b.advanceAll()
	}
}

// activate compares the top-level blocks of pass p and opens a search on
// every odd one.
func (b *cascadeBob) activate(p int) {
	ps := &b.passes[p]
	for k := 0; k < ps.blocks(b.n); k++ {
		b.checkBlock(p, k)
	}
}

// checkBlock opens a search on block k of pass p if it is odd and none is
// open on it.
func (b *cascadeBob) checkBlock(p, k int) {
	if _, ok := b.open[[2]int{p, k}]; ok {
		return
	}
	ps := &b.passes[p]
	lo, hi := k*ps.k, min((k+1)*ps.k, b.n)
	a := b.known[p][rangeKey(lo, hi)]
	if parityRange(ps.shuf, lo, hi) == a {
		return
	}
	s := &search{pass: p, block: k, lo: lo, hi: hi, alice: a}
	b.open[[2]int{p, k}] = s
	b.order = append(b.order, s)
}

// advanceAll moves every open search as far as known parities allow.
func (b *cascadeBob) advanceAll() {
	for i := 0; i < len(b.order); i++ { // b.order grows while we walk it
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
func (b *cascadeBob) advance(s *search) {
	ps := &b.passes[s.pass]
	known := b.known[s.pass]
	for {
		if parityRange(ps.shuf, s.lo, s.hi) == s.alice {
			b.close(s) // even now: nothing to find here
			return
		}
		if s.hi-s.lo == 1 {
			b.close(s)
			b.flip(int(ps.perm[s.lo]))
			return
		}
		mid := s.lo + (s.hi-s.lo)/2
		left, okL := known[rangeKey(s.lo, mid)]
		if !okL {
			right, okR := known[rangeKey(mid, s.hi)]
			if !okR {
				s.waiting = true
				return
			}
			left = s.alice ^ right
		}
		if parityRange(ps.shuf, s.lo, mid) != left {
			s.hi, s.alice = mid, left
		} else {
			s.lo, s.alice = mid, s.alice^left
		}
	}
}

func (b *cascadeBob) close(s *search) {
	s.waiting = false
	s.hi = -1 // marks it closed for compact
	delete(b.open, [2]int{s.pass, s.block})
}

func (b *cascadeBob) compact() {
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
// became odd in the passes compared so far.
func (b *cascadeBob) flip(x int) {
	flipBit(b.key, x)
	b.corrected++
	for p := range b.passes {
		ps := &b.passes[p]
		i := int(ps.inv[x])
		flipBit(ps.shuf, i)
		if p < b.active {
			b.checkBlock(p, i/ps.k)
		}
	}
}

// receive applies Alice's answers to the last questions.
func (b *cascadeBob) receive(q *ParityQuery, r *ParityReply) error {
	if r.Count != len(q.Ranges) || len(r.Parities) != wordsFor(r.Count) {
		return fmt.Errorf("cascade: %d parities for %d questions", r.Count, len(q.Ranges))
	}
	for i, rg := range q.Ranges {
		b.known[rg.Pass][rangeKey(rg.Lo, rg.Hi)] = getBit(r.Parities, i)
	}
	for _, s := range b.order {
		s.waiting = false
	}
	b.advanceAll()
	return nil
}

// binaryEntropy is h(p) = -p log2 p - (1-p) log2 (1-p).
func binaryEntropy(p float64) float64 {
	if p <= 0 || p >= 1 {
		return 0
	}
	return -p*math.Log2(p) - (1-p)*math.Log2(1-p)
}

// efficiency is f = leaked / (n h(q)), the ratio of disclosed parities to
// the Shannon limit; 0 when q is 0.
func efficiency(leak, n int, q float64) float64 {
	h := binaryEntropy(q)
	if n == 0 || h == 0 {
		return 0
	}
	return float64(leak) / (float64(n) * h)
}
