package bench

import (
	"strings"
	"testing"

	"github.com/fernet/fernet-go"

	"qkdchat/identity"
)

// sealedPair is two baseline ends that share a Fernet key, without a
// session: what seal and open need.
func sealedPair(t *testing.T) (a, b *sealedEnd) {
	t.Helper()
	ida, err := identity.LoadOrCreate(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	idb, err := identity.LoadOrCreate(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	key := new(fernet.Key)
	if err := key.Generate(); err != nil {
		t.Fatal(err)
	}
	return &sealedEnd{id: ida, peer: idb.Public(), key: key}, &sealedEnd{id: idb, peer: ida.Public(), key: key}
}

// The baseline's receiver does a node's checks, so the baseline costs what
// they cost: it opens what the peer sealed and refuses a frame under
// another key, a flipped bit, a frame from someone else and a short frame.
func TestSealedOpenChecks(t *testing.T) {
	a, b := sealedPair(t)
	frame, err := a.seal("bench 0 7")
	if err != nil {
		t.Fatal(err)
	}
	env, err := b.open(frame)
	if err != nil || env.Text != "bench 0 7" || env.Seq != 1 || len(env.ID) != 32 {
		t.Fatalf("open = %+v, %v", env, err)
	}

	other, _ := sealedPair(t)
	otherKey := &sealedEnd{id: b.id, peer: b.peer, key: other.key}
	flipped := append([]byte(nil), frame...)
	flipped[len(flipped)/2] ^= 1
	stranger, _ := sealedPair(t)
	strangerFrame, err := stranger.seal("bench 0 8")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		end   *sealedEnd
		frame []byte
		want  string
	}{
		{"another key", otherKey, frame, "token"},
		{"flipped bit", b, flipped, ""},
		{"from a stranger", b, strangerFrame, "not from this peer"},
		{"short", b, frame[:3], "too short"},
	} {
		if _, err := c.end.open(c.frame); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: open gave %v, want a refusal mentioning %q", c.name, err, c.want)
		}
	}
}
