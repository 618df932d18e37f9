// Package telehealth holds the clinic's rules: who may do what in the
// telehealth workflow of the paper (Section III), and what a case looks
// like before and after each step.
//
// A patient submits a personal health record (PHR) to a hospital, which
// opens a case; the hospital refers the case to a doctor of its roster and
// tells the patient which doctor; the doctor writes a report, signed by its
// identity key, that reaches the patient directly or relayed by the
// hospital. The package defines the domain types (Role, PHR,
// MedicalReport, Case, the workflow message Body and its Parties, the
// SignedReport and its canonical form), their validation, the export of a
// PHR as an HL7 FHIR R4 Bundle, and the role rules as pure functions:
//
//   - the send side (Permit, SubmitPHR, CheckRefer, Refer, CheckReport,
//     FileReport) decides whether this node may start an action, and
//     returns the case as it becomes and the bodies to send;
//   - the receive side (Accept) decides whether a workflow message from a
//     peer is allowed, given who this node is, who sent it, the
//     transaction that carries it and the current case, and returns the
//     new case and what the caller must do next (relay a report).
//
// Nothing here touches the network, the disk or a clock: the node (package
// app) loads the case, calls the rule, stores the result and sends what it
// says. A refusal is a *RoleError (errors.Is(err, ErrRoleViolation)) or a
// content error.
package telehealth
