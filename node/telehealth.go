package node

import (
	"qkdchat/identity"
	"qkdchat/telehealth"
)

// The domain types of the telehealth workflow live in package telehealth;
// the front ends (ui, cli) see them through the node facade only, so the
// ones they name are re-exported here.

// Role is what a party does in the telehealth workflow.
type Role = telehealth.Role

// The three roles of the paper's system model (Section III).
const (
	RolePatient  = telehealth.RolePatient
	RoleHospital = telehealth.RoleHospital
	RoleDoctor   = telehealth.RoleDoctor
)

// ParseRole accepts a role name in any case.
func ParseRole(s string) (Role, error) { return telehealth.ParseRole(s) }

// PHR is a patient's personal health record, as submitted to a hospital.
type PHR = telehealth.PHR

// MedicalReport is a doctor's report on a case.
type MedicalReport = telehealth.MedicalReport

// Case is one telehealth case as this node sees it.
type Case = telehealth.Case

// reportDigestRef names the ledger reference of a report transaction
// that commits to the signed report rather than to a file (reliable
// delivery does not wait for a file of that name).
const reportDigestRef = telehealth.ReportDigestRef

// actorOf is the workflow party that profile p with identity key id is.
func actorOf(p Profile, id *identity.Identity) telehealth.Actor {
	return telehealth.Actor{Role: p.Role, Fingerprint: id.Fingerprint(), Name: p.Name, Key: id.Public()}
}

// contactActor is the workflow party that pinned contact c is.
func contactActor(c Contact) telehealth.Actor {
	return telehealth.Actor{Role: c.Role, Fingerprint: c.Fingerprint, Name: c.Name, Key: c.PublicKey, Basis: c.RoleBasis}
}

// caseFiles converts stored attachments to the domain's.
func caseFiles(in []AttachmentInfo) []telehealth.Attachment {
	var out []telehealth.Attachment
	for _, a := range in {
		out = append(out, telehealth.Attachment(a))
	}
	return out
}

// storeFiles converts the domain's attachments to stored ones.
func storeFiles(in []telehealth.Attachment) []AttachmentInfo {
	var out []AttachmentInfo
	for _, a := range in {
		out = append(out, AttachmentInfo(a))
	}
	return out
}
