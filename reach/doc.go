// Package reach keeps a node reachable and its contacts reached. It wires
// package redial's Keeper to a node: a pinned contact the node can dial
// is wanted while anything is queued for it (or while a connect holds it),
// redialled with back-off when its session ends, and let go once its
// queue is empty; presence changes become node events. It also holds the
// rules of reachability that need no I/O: which node announces itself on
// the LAN (a hospital listening beyond loopback), which addresses to hand
// out, and which nearby hospital a name picks.
//
// It knows the node only through the functions in Config, so it imports
// neither package node nor the transport.
package reach
