package eventline

import (
	"fmt"
	"strings"

	"qkdchat/cli/bb84flags"
	"qkdchat/cli/invitecmd"
	"qkdchat/node"
)

// Line renders an event as one readable line of connect and listen ("" to
// skip it).
func Line(e node.Event) string {
	at := e.Time.Format("15:04:05")
	who := e.PeerName
	pct := func(q *float64) string {
		if q == nil {
			return "?"
		}
		return fmt.Sprintf("%.1f%%", *q*100)
	}
	switch e.Type {
	case node.EventListening:
		return fmt.Sprintf("listening on %s, pairing code: %s", e.Addr, e.Code)
	case node.EventConnecting:
		return fmt.Sprintf("connecting to %s ...", e.Addr)
	case node.EventPaired:
		return fmt.Sprintf("connected to %s (%s), key fingerprint %s: %s", who, e.PeerRole, e.Peer, e.Reason)
	case node.EventPairingFailed:
		return "pairing failed: " + strings.TrimPrefix(e.Reason, "pairing failed: ")
	case node.EventDisconnected:
		return fmt.Sprintf("%s disconnected: %s", who, e.Reason)
	case node.EventKeyEstablished:
		return fmt.Sprintf("BB84 with %s, epoch %d: key established, %d bits, QBER %s (Z %s, X %s), %d sifted%s", who, e.Epoch, e.KeyBits, pct(e.QBER), pct(e.QBERZ), pct(e.QBERX), e.Sifted, bb84flags.SourceLine(e))
	case node.EventKeyAborted:
		again := ""
		if Retrying(e) {
			again = "; trying again in " + node.WaitWords(e.Exchange.RetryIn)
		}
		return fmt.Sprintf("BB84 with %s, epoch %d: ABORTED, no key made: %s%s%s", who, e.Epoch, e.Reason, again, bb84flags.SourceLine(e))
	case node.EventMessage:
		return fmt.Sprintf("[%s] %s: %s", at, e.Message.FromName, e.Message.Text)
	case node.EventRejected:
		return fmt.Sprintf("refused from %s: %s", who, e.Reason)
	case node.EventCheckpoint:
		return fmt.Sprintf("ledger checkpoint with %s: %s", who, e.Reason)
	case node.EventConflict:
		return fmt.Sprintf("LEDGER CONFLICT with %s (%s): %s (see 'qkdchat ledger conflicts')", who, e.Peer, e.Reason)
	case node.EventCheckpointIncomplete:
		return fmt.Sprintf("ledger checkpoint with %s: %s", who, e.Reason)
	case node.EventError:
		return "error: " + e.Reason
	}
	if s := invitecmd.Describe(e); s != "" {
		return s
	}
	return workflowLine(e)
}

// Retrying reports whether an aborted exchange is followed by another that
// starts by itself (session's retries of bad luck).
func Retrying(e node.Event) bool { return e.Exchange != nil && e.Exchange.RetryIn > 0 }

// workflowLine renders the workflow's events ("" to skip one).
func workflowLine(e node.Event) string {
	switch e.Type {
	case node.EventCase:
		return fmt.Sprintf("case %s: %s", e.CaseID, e.Reason)
	case node.EventTransfer:
		if e.Total > 0 && (e.Done == e.Total || e.Done == 0) {
			return fmt.Sprintf("attachment %s: %s of %s", e.Name, node.HumanSize(e.Done), node.HumanSize(e.Total))
		}
	case node.EventDelivery:
		if e.Kind == "" || e.Kind == node.KindChat.String() {
			return "" // chat lines say "delivered to" (console.handle)
		}
		switch e.State {
		case node.Queued:
			return fmt.Sprintf("%s %s queued for %s", e.Kind, short(e.MessageID), e.PeerName)
		case node.Delivered:
			return fmt.Sprintf("%s %s delivered and recorded (tx %s)", e.Kind, short(e.MessageID), short(e.TxID))
		}
	}
	return ""
}

func short(s string) string {
	if len(s) > 8 {
		return s[:8]
	}
	return s
}
