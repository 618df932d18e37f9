package party

// Role is the workflow role a party presents at pairing.
type Role string

// RoleBasis says how a contact's role was established: "invite" (granted
// by an invite the local node issued), "approved" (the local user
// approved it), "claimed" (the peer's own claim, paired with a plain
// listener code). Empty is a contact pinned before roles were granted,
// which counts as claimed. Package telehealth gives the values meaning.
type RoleBasis string
