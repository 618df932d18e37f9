// Package party names the role a party presents at pairing (patient,
// hospital or doctor) as a type the lower layers (store, session) can
// carry as a label without importing the telehealth rules that give it
// meaning: package telehealth defines the roles and their rules over this
// type.
package party
