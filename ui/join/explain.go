package join

import (
	"errors"
	"fmt"
	"strings"

	"qkdchat/node"
)

// Explain says in plain words why joining with the invite text failed,
// for a profile of role mine.
func Explain(err error, text string, mine node.Role) string {
	var re *node.RoleError
	switch {
	case err == nil:
		return ""
	case errors.Is(err, node.ErrNotInvite):
		return "This is not an invite: paste the whole text the hospital gave you, starting with qkdchat-invite- (or the qkdchat: link). To connect with an address and a code, use the Connect tab."
	case errors.Is(err, node.ErrInviteDamaged):
		return "This invite is damaged: a character is missing, wrong or extra. Copy it again, whole, from where you received it."
	case errors.Is(err, node.ErrInviteNewer):
		return "This invite was made by a newer version of QKD Chat: update the app to use it."
	case errors.Is(err, node.ErrInviteExpired), errors.Is(err, node.ErrInviteLapsed):
		return "This invite has expired: ask the hospital for a new one."
	case errors.As(err, &re):
		if inv, perr := node.ParseInvite(text); perr == nil {
			return fmt.Sprintf("This invite is for a %s, and this profile is a %s: ask the hospital for a %s invite.", inv.Role, mine, mine)
		}
		return "This invite is for another role than this profile's: ask the hospital for an invite for a " + string(mine) + "."
	case errors.Is(err, node.ErrInviteUsed):
		return "This invite was already used: each invite works once. Ask the hospital for a new one."
	case errors.Is(err, node.ErrInviteRevoked):
		return "This invite is no longer valid: the hospital withdrew it, or a wrong code burned it. Ask for a new one."
	case errors.Is(err, node.ErrPairingFailed):
		return "The hospital did not accept this invite's code (or someone is in the middle): ask for a new invite."
	}
	msg := node.UserError(err)
	if inv, perr := node.ParseInvite(text); perr == nil {
		return fmt.Sprintf("Could not reach %s at %s (%s): check that you are on its network and that its app is running, then try again.",
			orDefault(inv.Name, "the hospital"), strings.Join(inv.Addrs, ", "), lastLine(msg))
	}
	return "Could not join: " + msg
}

// lastLine is the last of the joined errors of every address, the reason
// the final attempt failed.
func lastLine(s string) string {
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return s
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
