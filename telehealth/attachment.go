package telehealth

import (
	"encoding/hex"
	"errors"
	"fmt"

	"qkdchat/ledger"
)

// Parts of a case an attachment belongs to.
const (
	PartPHR    = "phr"
	PartReport = "report"
)

// Attachment describes a file of a case: its name (as the sender named
// it), size and SHA-256 digest in hex. The ledger commits to the size and
// digest; the name travels only inside the sealed body. It has the fields
// and JSON encoding of the node's attachment store entries, so that the
// node converts one to the other.
type Attachment struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	Part   string `json:"part,omitempty"` // "phr" or "report": what it came with
}

// digest decodes the attachment's hex SHA-256.
func (a Attachment) digest() ([32]byte, error) {
	var d [32]byte
	b, err := hex.DecodeString(a.SHA256)
	if err != nil || len(b) != len(d) {
		return d, fmt.Errorf("attachment digest %q is not 64 hex digits", clip(a.SHA256, 80))
	}
	copy(d[:], b)
	return d, nil
}

// check reports an attachment a message cannot carry.
func (a Attachment) check() error {
	if a.Name == "" || len(a.Name) > ledger.MaxAttachNameLen || a.Size < 0 {
		return errors.New("attachment: bad name or size")
	}
	_, err := a.digest()
	return err
}

func checkAttachments(what string, as []Attachment) error {
	if len(as) > ledger.MaxAttachments-1 {
		return fmt.Errorf("%s: too many attachments", what)
	}
	for _, a := range as {
		if err := a.check(); err != nil {
			return err
		}
	}
	return nil
}

// PHRFiles returns the attachments that came with the PHR.
func PHRFiles(all []Attachment) []Attachment {
	var out []Attachment
	for _, a := range all {
		if a.Part != PartReport {
			out = append(out, a)
		}
	}
	return out
}
