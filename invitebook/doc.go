// Package invitebook keeps the invites a node issued: each one's record
// in state.db (sealed, as the node's other records), its life from open
// to used, burned by a wrong guess, expired or revoked, the addresses a
// new invite names, and the line that tells the inviter what became of
// it. It registers the open invites with a transport listener and dials
// an invite's addresses in order when joining. Package node exposes it
// as Node.Invites.
package invitebook
