package ledger

import (
	"strings"
	"testing"

	"qkdchat/node/audit"
)

// Issue 15: the Ledger tab names attachments in human units; the digest
// is for the detail view only.
func TestAttachmentsInHumanUnits(t *testing.T) {
	xray := audit.LedgerAttachment{Name: "file-1", Size: 5 << 20, SHA256: [32]byte{0xab, 0xcd}}
	note := audit.LedgerAttachment{Name: "file-2", Size: 1536, SHA256: [32]byte{0x12}}
	for _, tc := range []struct {
		name      string
		refs      []audit.LedgerAttachment
		row       string
		detail    []string
		notInRow  []string
		notInBoth []string
	}{
		{name: "none", refs: nil, row: "", detail: nil},
		{name: "one", refs: []audit.LedgerAttachment{xray}, row: "file-1 · 5.0 MB",
			detail:    []string{"Attachment: file-1 · 5.0 MB\n", "SHA-256 abcd00"},
			notInRow:  []string{"abcd", "SHA"},
			notInBoth: []string{"5242880", "bytes"}},
		{name: "two", refs: []audit.LedgerAttachment{xray, note}, row: "2 attachments · 5.0 MB",
			detail:    []string{"Attachment: file-1 · 5.0 MB\n", "Attachment: file-2 · 1.5 KB\n", "SHA-256 1200"},
			notInRow:  []string{"SHA"},
			notInBoth: []string{"1536", "bytes"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			row, detail := attachmentsRow(tc.refs), attachmentsDetail(tc.refs)
			if row != tc.row {
				t.Errorf("row = %q, want %q", row, tc.row)
			}
			for _, w := range tc.detail {
				if !strings.Contains(detail, w) {
					t.Errorf("detail %q lacks %q", detail, w)
				}
			}
			for _, w := range tc.notInRow {
				if strings.Contains(row, w) {
					t.Errorf("row %q shows %q", row, w)
				}
			}
			for _, w := range tc.notInBoth {
				if strings.Contains(row, w) || strings.Contains(detail, w) {
					t.Errorf("row %q or detail %q shows %q", row, detail, w)
				}
			}
			if len(tc.refs) == 0 && detail != "" {
				t.Errorf("detail = %q for no attachments", detail)
			}
		})
	}
}
