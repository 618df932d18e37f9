package ledger

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestTransactionRoundTrip(t *testing.T) {
	r := seeded(1)
	a, b := testIdentity(1), testIdentity(2)
	for i := range 20 {
		tx := newTx(t, r, a, b, i)
		enc, err := tx.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var got Transaction
		if err := got.UnmarshalBinary(enc); err != nil {
			t.Fatal(err)
		}
		if err := got.Verify(); err != nil {
			t.Fatalf("decoded transaction does not verify: %v", err)
		}
		enc2, _ := got.MarshalBinary()
		if !bytes.Equal(enc, enc2) {
			t.Fatal("re-encoding differs")
		}
		if got.ID() != tx.ID() || got.ID() == (TxID{}) {
			t.Fatal("ID changed across encoding")
		}
		if !got.Time.Equal(tx.Time) || got.CaseID != tx.CaseID || got.Kind != tx.Kind || len(got.Attachments) != len(tx.Attachments) {
			t.Fatalf("fields differ: %+v vs %+v", got, tx)
		}
	}
}

func TestTransactionSignatureCoversEveryField(t *testing.T) {
	r := seeded(2)
	a, b := testIdentity(1), testIdentity(2)
	mutations := map[string]func(*Transaction){
		"kind":       func(t *Transaction) { t.Kind = KindPHR },
		"recipient":  func(t *Transaction) { t.Recipient = a.Public() },
		"case":       func(t *Transaction) { t.CaseID = "case-2" },
		"time":       func(t *Transaction) { t.Time = t.Time.Add(time.Nanosecond) },
		"token":      func(t *Transaction) { t.Token = fakeFernet(r, 40) },
		"attachment": func(t *Transaction) { t.Attachments = []AttachmentRef{{Name: "x", Size: 1}} },
		"sender":     func(t *Transaction) { t.Sender = b.Public() },
	}
	for name, mutate := range mutations {
		tx := newTx(t, r, a, b, 1)
		if err := tx.Verify(); err != nil {
			t.Fatal(err)
		}
		mutate(tx)
		if err := tx.Verify(); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s changed: Verify = %v, want ErrBadSignature", name, err)
		}
	}
}

func TestTransactionRejectsPlaintext(t *testing.T) {
	a, b := testIdentity(1), testIdentity(2)
	for _, tok := range []string{"hello doctor", "", "gAAAAA"} {
		tx := &Transaction{Kind: KindChat, Recipient: b.Public(), Time: time.Now(), Token: []byte(tok)}
		if err := tx.Sign(a); err == nil || !strings.Contains(err.Error(), "Fernet") {
			t.Errorf("token %q: Sign = %v, want a Fernet error", tok, err)
		}
	}
	// Key events may carry other data.
	tx := &Transaction{Kind: KindKeyEvent, Recipient: b.Public(), Time: time.Now(), Token: []byte("rekey 7")}
	if err := tx.Sign(a); err != nil {
		t.Fatal(err)
	}
	if err := tx.Verify(); err != nil {
		t.Fatal(err)
	}
}

func TestTransactionDecodeRejects(t *testing.T) {
	r := seeded(3)
	tx := newTx(t, r, testIdentity(1), testIdentity(2), 5)
	enc, _ := tx.MarshalBinary()
	cases := map[string][]byte{
		"empty":     nil,
		"truncated": enc[:len(enc)-1],
		"trailing":  append(bytes.Clone(enc), 0),
		"version":   append([]byte{2}, enc[1:]...),
		"kind":      append([]byte{1, 0}, enc[2:]...),
	}
	for name, b := range cases {
		var got Transaction
		if err := got.UnmarshalBinary(b); err == nil {
			t.Errorf("%s: decoded without error", name)
		}
	}
}

func TestKindNames(t *testing.T) {
	for k := KindChat; k <= KindCheckpoint; k++ {
		got, err := ParseKind(k.String())
		if err != nil || got != k {
			t.Errorf("ParseKind(%q) = %v, %v", k.String(), got, err)
		}
	}
	if KindKeyEvent.String() != "key-event" || Kind(0).Valid() || Kind(7).Valid() {
		t.Fatal("kind names or validity wrong")
	}
	if _, err := ParseKind("gossip"); err == nil {
		t.Fatal("ParseKind accepted an unknown kind")
	}
}

func TestTxIDParse(t *testing.T) {
	id := newTx(t, seeded(4), testIdentity(1), testIdentity(2), 0).ID()
	got, err := ParseTxID(id.String())
	if err != nil || got != id {
		t.Fatalf("ParseTxID round trip: %v %v", got, err)
	}
	for _, s := range []string{"", "abc", strings.ToUpper(id.String()), id.String() + "00", strings.Repeat("zz", 32)} {
		if _, err := ParseTxID(s); err == nil {
			t.Errorf("ParseTxID(%q) accepted", s)
		}
	}
}

func FuzzTransactionUnmarshal(f *testing.F) {
	r := seeded(5)
	for i := range 6 {
		tx := newTx(f, r, testIdentity(1), testIdentity(2), i)
		enc, _ := tx.MarshalBinary()
		f.Add(enc)
	}
	f.Add([]byte{1, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		var tx Transaction
		if err := tx.UnmarshalBinary(data); err != nil {
			return
		}
		enc, err := tx.MarshalBinary()
		if err != nil {
			t.Fatalf("decoded transaction does not encode: %v", err)
		}
		if !bytes.Equal(enc, data) {
			t.Fatalf("decoding is not canonical:\n in %x\nout %x", data, enc)
		}
		_ = tx.Verify()
	})
}
