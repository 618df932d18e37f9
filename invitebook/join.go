package invitebook

import (
	"context"
	"errors"
	"fmt"
	"time"

	"qkdchat/invite"
	"qkdchat/party"
	"qkdchat/telehealth"
	"qkdchat/transport"
)

// Check reads the invite s and refuses it before any dialling when it is
// damaged, expired at now, or for another role than profile (the
// joiner's own).
func Check(s string, profile party.Role, now time.Time) (invite.Invite, error) {
	inv, err := invite.Parse(s)
	if err != nil {
		return invite.Invite{}, err
	}
	if err := inv.Check(now); err != nil {
		return invite.Invite{}, err
	}
	if err := telehealth.CheckJoinRole(profile, party.Role(inv.Role)); err != nil {
		return invite.Invite{}, err
	}
	return inv, nil
}

// Dial tries the invite's addresses in order with dial until one pairs.
// The inviter's answer (used, expired, revoked, wrong code) ends the
// attempt: its other addresses lead to the same listener, and trying
// them could only spend guesses. An address that does not answer, or
// answers with another key, is skipped for the next.
func Dial[S any](ctx context.Context, inv invite.Invite, dial func(ctx context.Context, addr string) (S, error)) (S, error) {
	var errs []error
	var zero S
	for _, addr := range inv.Addrs {
		if err := ctx.Err(); err != nil {
			return zero, err
		}
		s, err := dial(ctx, addr)
		if err == nil {
			return s, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", addr, err))
		if final(err) {
			break
		}
	}
	return zero, fmt.Errorf("join %s: %w", inv.Name, errors.Join(errs...))
}

func final(err error) bool {
	for _, target := range []error{transport.ErrInviteUsed, transport.ErrInviteExpired, transport.ErrInviteRevoked,
		transport.ErrPairingFailed, context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}
