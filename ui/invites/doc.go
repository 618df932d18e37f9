// Package invites is a hospital's Invite pane in QKD Chat: "Invite a
// patient" and "Invite a doctor" (with an optional name and lifetime)
// show the invite to hand over, with Copy buttons for the string and its
// qkdchat: link; below, every invite issued with what became of it (open,
// used by whom, burned by a wrong guess, expired, revoked) and Revoke for
// the open ones, and the doctors who paired with the plain listener code,
// each with Approve (only invited or approved doctors are offered cases).
//
// Status is the hospital's listening line, meant to stay visible on every
// tab: where it listens and the addresses to hand out.
//
// The pane is built from only what it uses of the node: Book (Node.Invites),
// Roster (Node.Clinic) and Jobs to run calls off the UI goroutine. Package
// ui calls Reload when an invite, pairing or approval event arrives.
package invites
