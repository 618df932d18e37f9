package join

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"

	"qkdchat/node"
)

// TestExplain: every refusal, however deeply wrapped, gets its own plain
// sentence; an unknown error keeps its words.
func TestExplain(t *testing.T) {
	wrap := func(err error) error {
		return fmt.Errorf("join St Mary: %w", fmt.Errorf("127.0.0.1:7450: invite 12: %w", err))
	}
	cases := []struct {
		err  error
		want string
	}{
		{node.ErrNotInvite, "This is not an invite"},
		{wrap(node.ErrInviteDamaged), "This invite is damaged"},
		{wrap(node.ErrInviteNewer), "newer version"},
		{wrap(node.ErrInviteExpired), "This invite has expired"},
		{wrap(node.ErrInviteLapsed), "This invite has expired"},
		{wrap(node.ErrInviteUsed), "already used"},
		{wrap(node.ErrInviteRevoked), "withdrew it, or a wrong code burned it"},
		{wrap(node.ErrPairingFailed), "did not accept this invite's code"},
		{wrap(&node.RoleError{Action: "join", Reason: "wrong"}), "another role than this profile's: ask the hospital for an invite for a patient."},
		{wrap(syscall.ECONNREFUSED), "Could not join: connection refused"},
		{errors.New("disk full"), "Could not join: disk full"},
	}
	for _, c := range cases {
		if got := Explain(c.err, "not an invite", node.RolePatient); !strings.Contains(got, c.want) {
			t.Errorf("Explain(%v) = %q, want %q", c.err, got, c.want)
		}
	}
	if got := Explain(nil, "", node.RolePatient); got != "" {
		t.Errorf("Explain(nil) = %q", got)
	}
}
