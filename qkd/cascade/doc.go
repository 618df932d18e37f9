// Package cascade reconciles two keys that differ in a few bits: Cascade
// (Brassard & Salvail 1993) corrects Bob's sifted key towards
// Alice's by comparing parities of blocks and bisecting the blocks whose
// parities differ. Each pass shuffles the key with a public permutation
// and splits it into blocks; correcting an error in one pass makes the
// blocks containing that bit in every earlier pass odd again, and those
// are bisected in turn (the cascade).
//
// This implementation follows the block-size schedule of
// Martinez-Mateo et al., "Demystifying the information reconciliation
// protocol Cascade" (2015): a small first block, a medium second block and
// then several passes of large blocks. The large-block passes only cut the
// key in two, so they split it by a random mask (split.go) instead of
// shuffling it. Three things keep the number of round trips low without
// disclosing more:
//   - Alice's parities of every top-level block of every pass depend only
//     on her key and the shuffles, so she sends them all at once (but for
//     the last block of each pass after the first, whose parity follows
//     from the others and the whole key's, see sentParities);
//   - every bisection step of every open block, in every pass, is one
//     parity question, and all the questions of a step go in one message;
//   - each disclosed parity is remembered, so bisecting a block again after
//     a cascade reuses the parities already known (and the complement of a
//     known half) without asking;
//   - Bob also remembers the bits he knows to equal Alice's (those he
//     corrected, and one-bit halves of any bisection), and does not ask
//     about a half made of them; a lone open bisection asks two levels
//     per message (Querying). Alice answers any range, so this is Bob's
//     choice and no part of the protocol version.
//
// Both sides count every disclosed parity, including the top-level ones.
package cascade
