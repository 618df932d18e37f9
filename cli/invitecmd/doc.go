// Package invitecmd is the command line's part in invites: the
// 'qkdchat invite' command, the /invite, /invites, /revoke and /approve
// lines of a running listen, how an invite event prints, and the checks
// 'connect INVITE' makes before opening the node. Package cli wires it
// in; it uses only the node facade.
package invitecmd
