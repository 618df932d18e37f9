// Package usererror phrases the errors a session meets (a refused or lost
// connection, a wrong pairing code, a changed identity key, a timeout) in
// words a user understands, on every operating system; session.UserError
// and the front ends use it.
package usererror
