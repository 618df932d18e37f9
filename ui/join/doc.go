// Package join is the "Join a hospital" pane of QKD Chat, a patient's and
// a doctor's first pane: one field takes the invite the hospital gave
// (the qkdchat-invite- string or the qkdchat: link) and Join pairs with
// the hospital it names, pinning its key from the first contact, in the
// role the invite grants. Refusals are said in plain words (Explain):
// damaged, expired, for another role than this profile, already used,
// withdrawn or burned, or the hospital cannot be reached. SetFinder adds
// a Nearby card: the hospitals that announce themselves on the LAN, each
// as "Nearby: NAME" with a field for just the code.
//
// The pane is built from only what it uses of the node: a Joiner
// (Node.Invites) and Jobs to run the join off the UI goroutine.
package join
