package node

// Clinic is the telehealth workflow as this node takes part in it: its
// cases, the PHRs, referrals and reports it sends, the refused actions it
// recorded and the attachments it holds. The rules are package
// telehealth's; Clinic does the I/O around them. Node.Clinic returns it.
type Clinic struct{ n *Node }

// Clinic returns the node's part in the telehealth workflow.
func (n *Node) Clinic() *Clinic { return n.clinic }

// Contacts lists the pinned contacts, the parties the workflow can
// address (as Node.Contacts).
func (cl *Clinic) Contacts() ([]Contact, error) { return cl.n.Contacts() }

// Profile is this node's name and role, the party the workflow acts as
// (as Node.Profile).
func (cl *Clinic) Profile() Profile { return cl.n.Profile() }
