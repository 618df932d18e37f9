package node

import "qkdchat/telehealth"

// Case statuses, in order, for the front ends that show them.
const (
	CaseSubmitted = telehealth.CaseSubmitted // the patient sent the PHR to a hospital
	CaseReferred  = telehealth.CaseReferred  // the hospital referred it to a doctor
	CaseReported  = telehealth.CaseReported  // the doctor's report is in
)
