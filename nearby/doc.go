// Package nearby finds QKD Chat hospitals on the local network. A hospital
// announces itself with multicast DNS service discovery (RFC 6762/6763,
// service type _qkdchat._tcp) and a patient's or doctor's app lists the
// hospitals that answer, so joining takes just the pairing code.
//
// An announcement is not authenticated: anyone on the network can announce
// any name. It only says where to dial. Who answers there is decided by
// the pairing code (the PAKE) or an invite's pinned key, never by what
// the announcement claims; the fingerprint it carries is shown so a person
// can compare it, not trusted.
package nearby
