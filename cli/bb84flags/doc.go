// Package bb84flags is the key exchange flags of `qkdchat listen` and
// `qkdchat connect`: the key length, the simulated channel (noise, fibre,
// an eavesdropper and her attack), the abort threshold and, for a laser
// link (issue 16), the light source, its mean photon number and the decoy
// states. It registers them on a flag set, checks them in words that name
// the flag, turns them into the node's BB84 settings, and words the light
// source of a key event. Package cli parses the command lines and calls
// it; like cli it imports only the node facade and qkd.
package bb84flags
