package node

import "qkdchat/node/audit"

// Auditor returns the auditor of the node's ledger (package node/audit):
// verify, browse, export, prove, and open the node's own content. Its
// Close does not close the node's ledger.
func (n *Node) Auditor() *audit.Auditor { return audit.New(n.ledger, n.openTransaction) }
