package party

// Role is the workflow role a party presents at pairing.
type Role string
