package ledger

import (
	"fmt"
	"strings"

	"qkdchat/node"
	"qkdchat/node/audit"
)

// attachmentsRow is how a transaction's attachments read in its one-line
// row: "file-1 · 5.0 MB", or "3 attachments · 7.2 MB"; "" for none.
func attachmentsRow(refs []audit.LedgerAttachment) string {
	switch len(refs) {
	case 0:
		return ""
	case 1:
		return refs[0].Name + " · " + node.HumanSize(refs[0].Size)
	}
	var total int64
	for _, a := range refs {
		total += max(a.Size, 0)
	}
	return fmt.Sprintf("%d attachments · %s", len(refs), node.HumanSize(total))
}

// attachmentsDetail is the attachments in a transaction's detail view:
// each one's name and size, then the digest the ledger commits to.
func attachmentsDetail(refs []audit.LedgerAttachment) string {
	var b strings.Builder
	for _, a := range refs {
		fmt.Fprintf(&b, "Attachment: %s · %s\n  SHA-256 %x\n", a.Name, node.HumanSize(a.Size), a.SHA256)
	}
	return b.String()
}
