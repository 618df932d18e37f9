// Package bench measures QKD Chat's performance, each figure next to a
// baseline measured in the same run on the same machine, so that results
// compare like with like: [Chat] (key establishment, message rate and
// latency between nodes on loopback, against the same sealed message
// stream over bare transport sessions), [Ledger] (durable appends, full
// verification and inclusion proofs against raw bbolt and bare Ed25519),
// [Workflow] (outbox delivery and attachments against the direct chat
// path) and [QKD] (the BB84 pipeline against its reference
// implementation, and Cascade's efficiency).
//
// Each benchmark takes an options struct and returns a report whose JSON
// field names are those of `qkdchat bench NAME --json`; the command line
// only parses flags and prints. Options out of range give an
// *[OptionError] naming the option as the command's flag spells it.
package bench
