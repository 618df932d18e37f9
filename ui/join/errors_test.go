package join_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"qkdchat/node"
)

// TestJoinErrorsInPlainWords: pasting a damaged, expired, wrong-role,
// used or revoked invite (or something that is no invite, or nothing)
// into the Join pane says so in plain words, and the pane stays usable:
// the right invite still joins afterwards.
func TestJoinErrorsInPlainWords(t *testing.T) {
	a := test.NewTempApp(t)
	var mu sync.Mutex
	h := newHospital(t, a, &mu)
	pat := newJoiner(t, &mu, "Ann", node.RolePatient)
	doc := newJoiner(t, &mu, "Dr Bob", node.RoleDoctor)
	doc2 := newJoiner(t, &mu, "Dr Cat", node.RoleDoctor)
	clip := a.Clipboard()

	try := func(j *joinUI, text, want string) {
		t.Helper()
		clip.SetContent(text)
		got, failed := j.paste(t, a, &mu)
		if !failed || !strings.Contains(got, want) {
			t.Errorf("pasting %.40q: %q (failed %v), want %q", text, got, failed, want)
		}
	}
	try(pat, "", "Paste the invite the hospital gave you first.")
	try(pat, "192.168.1.20:7450", "This is not an invite")

	inv := h.invite(t, a, &mu, node.RolePatient, "Ann")
	mid := len(inv) / 2
	c := byte('a')
	if inv[mid] == c {
		c = 'b'
	}
	try(pat, inv[:mid]+string(c)+inv[mid+1:], "This invite is damaged")
	try(pat, inv[:len(inv)-3], "This invite is damaged")

	docInv := h.invite(t, a, &mu, node.RoleDoctor, "Dr Bob")
	try(pat, docInv, "This invite is for a doctor, and this profile is a patient: ask the hospital for a patient invite.")
	try(doc, inv, "This invite is for a patient, and this profile is a doctor")

	// The patient's invite still works after all that, once.
	clip.SetContent(inv)
	if got, failed := pat.paste(t, a, &mu); failed {
		t.Fatalf("the right invite after the refusals: %q", got)
	}
	clip.SetContent(docInv)
	if got, failed := doc.paste(t, a, &mu); failed {
		t.Fatalf("the doctor's invite: %q", got)
	}
	try(doc2, docInv, "This invite was already used: each invite works once.")

	rec, err := h.n.Invites().Create(node.RoleDoctor, "", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.n.Invites().Revoke(rec.Nameplate); err != nil {
		t.Fatal(err)
	}
	try(doc2, rec.Invite, "This invite is no longer valid: the hospital withdrew it, or a wrong code burned it.")

	short, err := h.n.Invites().Create(node.RoleDoctor, "", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Until(short.Expires) + 50*time.Millisecond)
	try(doc2, short.Link, "This invite has expired: ask the hospital for a new one.")
}

// TestJoinUnreachableSaysWhere: an invite whose hospital is not running
// names the hospital and the addresses tried.
func TestJoinUnreachableSaysWhere(t *testing.T) {
	a := test.NewTempApp(t)
	var mu sync.Mutex
	h := newHospital(t, a, &mu)
	pat := newJoiner(t, &mu, "Ann", node.RolePatient)
	h.invite(t, a, &mu, node.RolePatient, "Ann")
	h.n.Close() // the hospital's listener goes with it
	got, failed := pat.paste(t, a, &mu)
	if !failed || !strings.Contains(got, "Could not reach St Mary at 127.0.0.1:") || !strings.Contains(got, "check that you are on its network") {
		t.Errorf("joining a hospital that is gone: %q (failed %v)", got, failed)
	}
}
