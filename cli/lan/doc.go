// Package lan is the part of the headless CLI that is about reaching
// peers on the local network: the `nearby` command's listing, `connect
// --nearby`, and the lines that say where a listener can be reached and
// when a peer went offline or came back. Package cli parses the command
// lines and calls it; like cli it imports only the node facade.
package lan
