package app

import "qkdchat/session"

// UserError phrases err in words a user understands, for the UI and the
// CLI. The full error stays in the log.
func UserError(err error) string { return session.UserError(err) }
