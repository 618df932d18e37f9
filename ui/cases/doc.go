// Package cases is the role tab of QKD Chat: the telehealth workflow over
// the node's cases. A patient sends a health record to a hospital, a
// hospital refers a case to one of its doctors, a doctor writes a report
// that goes to both the hospital and the patient; every role sees its
// cases and the progress of their attachments.
//
// The pane is built from only what it uses: a Workflow (the node's Clinic), Jobs to run them off the UI goroutine, and Peers for names and
// who is online. Package ui composes it into the shell and feeds it the
// node's events.
package cases
