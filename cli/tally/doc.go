// Package tally accounts for the chat lines `qkdchat connect` reads, by
// message ID, until the peer acknowledges each one, and says in words which
// were not delivered: the exit status of connect comes from it. Send
// returning an ID and the delivery event for it may arrive in either order;
// the tally gives the same answer in both.
package tally
