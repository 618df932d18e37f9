package app

import (
	"context"
	"errors"
	"fmt"

	"qkdchat/ledger"
	"qkdchat/telehealth"
)

// The receive side of the workflow. The receiver checks a message before
// it records it (checkWorkflow) and applies it after (acceptWorkflow), so
// a case never refers to a transaction the ledger lacks. Both call the
// same pure rule, telehealth.Accept; only acceptWorkflow stores what it
// returns. A refusal is a *telehealth.RoleError (or a content error) and
// changes nothing.

// workflowInput decodes what a workflow message says: its body and the
// envelope of the transaction that carried it. A chat message has no
// body (nil) and no rule.
func workflowInput(tx *ledger.Transaction, m *Message) (*telehealth.Body, telehealth.Envelope, error) {
	if tx.Kind == ledger.KindChat {
		return nil, telehealth.Envelope{}, nil
	}
	w, err := telehealth.ParseBody(m.Body)
	if err != nil {
		return nil, telehealth.Envelope{}, err
	}
	return w, telehealth.Envelope{Kind: tx.Kind, CaseID: tx.CaseID, Refs: tx.Attachments, TxID: m.TxID}, nil
}

// checkWorkflow reports whether acceptWorkflow would accept the workflow
// message m that peer sent in tx, changing nothing (a dry run).
func (n *Node) checkWorkflow(_ context.Context, peer Contact, tx *ledger.Transaction, m *Message) error {
	w, env, err := workflowInput(tx, m)
	if w == nil {
		return err
	}
	var cur *Case
	c, err := n.store.getCase(n.recordKey(), w.CaseID)
	switch {
	case err == nil:
		cur = &c
	case !errors.Is(err, ErrNoCase):
		return err
	}
	_, err = telehealth.Accept(actorOf(n.profile, n.id), contactActor(peer), env, w, cur)
	return err
}

// acceptWorkflow applies the role rules to a workflow message received
// from peer and, if it is allowed, updates this node's case (and queues a
// relay). It is idempotent, because a resend after a crash may apply it
// twice.
func (n *Node) acceptWorkflow(_ context.Context, peer Contact, tx *ledger.Transaction, m *Message) error {
	w, env, err := workflowInput(tx, m)
	if w == nil {
		return err
	}
	var out telehealth.Outcome
	c, err := n.store.updateCase(n.recordKey(), w.CaseID, func(c *Case, found bool) error {
		var cur *Case
		if found {
			cur = c
		}
		o, err := telehealth.Accept(actorOf(n.profile, n.id), contactActor(peer), env, w, cur)
		out, *c = o, o.Case
		return err
	})
	if err != nil {
		return err
	}
	reason := out.Reason
	if w.Type == telehealth.BodyReferral {
		n.log.Info("case referred", "case", w.CaseID)
	}
	if out.Relay != nil {
		// The relay's message ID derives from the doctor's message, so a
		// redelivery of that message yields no second report at the
		// patient.
		if err := n.relay(c, out.Relay, m.ID); err != nil {
			n.log.Warn("could not queue the report for the patient", "case", c.ID, "err", err)
		} else {
			reason += "; relaying it to " + c.PatientName
		}
	}
	n.publish(caseEvent(c, reason))
	return nil
}

// relay queues body w, unchanged, for the patient of case c.
func (n *Node) relay(c Case, w *telehealth.Body, causeID string) error {
	p, ok := n.store.Contact(c.Patient)
	if !ok {
		return fmt.Errorf("the patient of %s is not a contact", c.ID)
	}
	it, err := newWorkflowItem(derivedMessageID("relay", causeID), w.Kind(), "Report on "+c.ID+" (relayed)", w)
	if err != nil {
		return err
	}
	return n.enqueue(p, it)
}
