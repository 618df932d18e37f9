// Package redial keeps wanted peers connected: it dials each peer that
// someone wants reachable (a contact with messages queued for it, the
// hospital a patient joined), and when a dial fails or a connection drops
// it tries again after an exponential back-off with jitter, so a restarted
// hospital is found again without anyone pressing Reconnect and a hospital
// that is down is not hammered. It also keeps each peer's presence (online,
// offline, last seen) as it really is.
//
// It knows nothing of sessions or contacts: the node hands it a Dialer and
// tells it which peers are wanted and when a peer connected by itself.
package redial
