package session

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestRefusalFitsItsLimit: a refusal whose reason JSON must escape (each
// '<' becomes six bytes) or that holds multi-byte characters is still sent
// within maxRefusalLen, which the peer enforces by ending the session, and
// its shortened reason is valid UTF-8 and a prefix of the original.
func TestRefusalFitsItsLimit(t *testing.T) {
	for _, reason := range []string{
		"short",
		strings.Repeat("<", 3000),
		strings.Repeat("é", 3000),
		strings.Repeat("a&", 200) + strings.Repeat("日本", 1000),
	} {
		b, err := encodeRefusal(checkpointRefusal{Conflict: true, Kind: "fork", Size: 12, Reason: reason})
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > maxRefusalLen {
			t.Errorf("reason of %d bytes: refusal of %d bytes, over the %d the peer accepts", len(reason), len(b), maxRefusalLen)
		}
		var got checkpointRefusal
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		if got.Reason == "" || !utf8.ValidString(got.Reason) || !strings.HasPrefix(reason, got.Reason) {
			t.Errorf("reason of %d bytes sent as %q", len(reason), got.Reason)
		}
		if len(reason) < 100 && got.Reason != reason {
			t.Errorf("short reason changed to %q", got.Reason)
		}
	}
}
