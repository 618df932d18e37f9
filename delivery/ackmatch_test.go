package delivery

import (
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/fernet/fernet-go"

	"qkdchat/identity"
	"qkdchat/ledger"
	"qkdchat/session"
	"qkdchat/store"
)

func seededIdentity(seed byte) *identity.Identity {
	return identity.New(ed25519.NewKeyFromSeed([]byte(strings.Repeat(string(rune('a'+seed)), ed25519.SeedSize))))
}

// signedTx is from's attempt at message id, sealed under key k.
func signedTx(t *testing.T, from, to *identity.Identity, k *fernet.Key, id string, kind ledger.Kind, caseID, text string) (*ledger.Transaction, []byte) {
	t.Helper()
	tok, err := session.SealMessage(k, session.Sealed{ID: id, Kind: kind.String(), CaseID: caseID, Text: text}, time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	tx := &ledger.Transaction{Kind: kind, Sender: from.Public(), Recipient: to.Public(), CaseID: caseID,
		Time: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC), Token: tok}
	if err := tx.Sign(from); err != nil {
		t.Fatal(err)
	}
	raw, err := tx.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return tx, raw
}

// TestAckedTransaction: an acknowledgement completes a delivery only with
// a transaction this node provably sent for the message: one of the
// attempts it keeps, or its own signed attempt returned by the peer.
func TestAckedTransaction(t *testing.T) {
	self, peer, other := seededIdentity(0), seededIdentity(1), seededIdentity(2)
	selfFP, peerFP := self.Fingerprint(), peer.Fingerprint()
	oldKey, newKey, lostKey := fernet.Key{1}, fernet.Key{2}, fernet.Key{3}
	keys := func() []*fernet.Key { return []*fernet.Key{&newKey, &oldKey} }
	const msg, another = "00112233445566778899aabbccddeeff", "ffeeddccbbaa99887766554433221100"
	kept, keptRaw := signedTx(t, self, peer, &newKey, msg, ledger.KindChat, "case-1", "attempt 65")
	trimmed, trimmedRaw := signedTx(t, self, peer, &oldKey, msg, ledger.KindChat, "case-1", "attempt 1")
	_, peersRaw := signedTx(t, peer, self, &oldKey, msg, ledger.KindChat, "case-1", "the peer's own")
	_, toOtherRaw := signedTx(t, self, other, &oldKey, msg, ledger.KindChat, "case-1", "to someone else")
	_, otherCaseRaw := signedTx(t, self, peer, &oldKey, msg, ledger.KindChat, "case-2", "another case")
	_, reportRaw := signedTx(t, self, peer, &oldKey, msg, ledger.KindReport, "case-1", "another kind")
	_, anotherRaw := signedTx(t, self, peer, &oldKey, another, ledger.KindChat, "case-1", "another message in the case")
	_, lostRaw := signedTx(t, self, peer, &lostKey, msg, ledger.KindChat, "case-1", "under a key not kept")
	forged := append([]byte(nil), trimmedRaw...)
	forged[len(forged)-1] ^= 1 // the signature's last byte
	it := &store.OutboxItem{ID: msg, Kind: ledger.KindChat, CaseID: "case-1", Attempts: [][]byte{keptRaw}}

	id := func(raw []byte) string {
		tx := new(ledger.Transaction)
		if err := tx.UnmarshalBinary(raw); err != nil {
			t.Fatal(err)
		}
		return tx.ID().String()
	}
	cases := []struct {
		name string
		ack  reliableAck
		want *ledger.Transaction // nil: not proven
		why  string
	}{
		{"an attempt kept", reliableAck{TxID: kept.ID().String()}, kept, ""},
		{"a kept attempt, whatever copy comes with it", reliableAck{TxID: kept.ID().String(), Tx: peersRaw}, kept, ""},
		{"an attempt no longer kept, no copy (an older peer, or a lie)", reliableAck{TxID: trimmed.ID().String()}, nil, "does not hold"},
		{"an attempt no longer kept, returned by the peer", reliableAck{TxID: trimmed.ID().String(), Tx: trimmedRaw}, trimmed, ""},
		{"a copy that is another transaction", reliableAck{TxID: trimmed.ID().String(), Tx: keptRaw}, nil, "another transaction"},
		{"the peer's own transaction", reliableAck{TxID: id(peersRaw), Tx: peersRaw}, nil, "not sent by this node"},
		{"ours, to another contact", reliableAck{TxID: id(toOtherRaw), Tx: toOtherRaw}, nil, "not sent by this node to this peer"},
		{"ours, in another case", reliableAck{TxID: id(otherCaseRaw), Tx: otherCaseRaw}, nil, "case-2"},
		{"ours, of another kind", reliableAck{TxID: id(reportRaw), Tx: reportRaw}, nil, "report"},
		{"ours, in the case, but another message", reliableAck{TxID: id(anotherRaw), Tx: anotherRaw}, nil, "another message"},
		{"ours, sealed under a key not kept", reliableAck{TxID: id(lostRaw), Tx: lostRaw}, nil, "no message key"},
		{"a forged signature", reliableAck{TxID: id(forged), Tx: forged}, nil, "signature"},
		{"garbage", reliableAck{TxID: trimmed.ID().String(), Tx: []byte("not a transaction")}, nil, "malformed"},
		{"too large", reliableAck{TxID: trimmed.ID().String(), Tx: make([]byte, maxAckTx+1)}, nil, "bytes"},
	}
	for _, c := range cases {
		got, err := ackedTransaction(it, c.ack, selfFP, peerFP, keys)
		if c.want != nil {
			if err != nil || got == nil || got.ID() != c.want.ID() {
				t.Errorf("%s: got %v, %v; want transaction %s", c.name, got, err, c.want.ID())
			}
			continue
		}
		if got != nil || !errors.Is(err, errAckUnproven) || !strings.Contains(err.Error(), c.why) {
			t.Errorf("%s: got %v, %v; want errAckUnproven saying %q", c.name, got, err, c.why)
		}
	}
}
