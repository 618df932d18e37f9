package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"qkdchat/node"
)

// The telehealth workflow on the listen/connect console: slash commands
// that submit a PHR, list cases, refer, report, and show the outbox.

const workflowHelp = `workflow commands:
  /phr HOSPITAL name=NAME [dob=YYYY-MM-DD] [symptoms=...] [medications=...] [allergies=...] [notes=...] [--attach FILE]...
  /cases                      the cases this node may see
  /case ID                    one case in full
  /doctors                    the hospital's roster (pinned doctors)
  /refer CASE DOCTOR          refer a case to a doctor (hospital)
  /report CASE findings=... [recommendations=...] [prescriptions=...] [--attach FILE]...   (doctor)
  /send PEER TEXT             queue a chat message, delivered once the peer is connected
  /outbox                     messages waiting for delivery
  /save SHA256 FILE           write a received attachment to FILE
  /fhir CASE FILE             export the case's PHR as an HL7 FHIR R4 Bundle (JSON)
  /violations                 refused actions recorded here
Quote values with spaces: symptoms="fever, cough".`

// workflowCommand runs a workflow slash command; handled is false for a
// word that is not one.
func (c *console) workflowCommand(ctx context.Context, word, rest string) (handled bool, err error) {
	switch word {
	case "phr", "cases", "case", "doctors", "refer", "report", "send", "outbox", "save", "violations", "fhir":
	default:
		return false, nil
	}
	args, err := splitArgs(rest)
	if err != nil {
		return true, err
	}
	n := c.n
	switch word {
	case "phr":
		if len(args) < 1 {
			return true, errors.New("usage: /phr HOSPITAL name=NAME [field=value ...] [--attach FILE]")
		}
		fields, files, err := fieldArgs(args[1:], "name", "dob", "symptoms", "medications", "allergies", "notes")
		if err != nil {
			return true, err
		}
		phr := node.PHR{PatientName: fields["name"], DateOfBirth: fields["dob"], Symptoms: fields["symptoms"],
			Medications: fields["medications"], Allergies: fields["allergies"], Notes: fields["notes"]}
		cs, err := n.Clinic().SubmitPHR(ctx, args[0], phr, files)
		if err != nil {
			return true, err
		}
		c.note("case %s opened: PHR queued for %s", cs.ID, cs.HospitalName)
	case "cases":
		cs, err := n.Clinic().Cases()
		if err != nil {
			return true, err
		}
		if len(cs) == 0 {
			c.note("no cases")
		}
		for _, x := range cs {
			c.note("%s  %-9s  patient %s  hospital %s  doctor %s  %d attachment(s)", x.ID, x.Status, x.PatientName,
				x.HospitalName, orDash(x.DoctorName), len(x.Attachments))
		}
	case "case":
		if len(args) != 1 {
			return true, errors.New("usage: /case ID")
		}
		x, err := n.Clinic().Case(args[0])
		if err != nil {
			return true, err
		}
		c.printCase(x)
	case "doctors":
		ds := n.Clinic().Doctors()
		if len(ds) == 0 {
			c.note("no doctors: a doctor has to pair with this node first")
		}
		for _, d := range ds {
			c.note("%s  %s", d.Name, d.Fingerprint)
		}
	case "refer":
		if len(args) != 2 {
			return true, errors.New("usage: /refer CASE DOCTOR")
		}
		if err := n.Clinic().Refer(ctx, args[0], args[1]); err != nil {
			return true, err
		}
		c.note("case %s referred to %s", args[0], args[1])
	case "report":
		if len(args) < 2 {
			return true, errors.New("usage: /report CASE findings=... [recommendations=...] [prescriptions=...] [--attach FILE]")
		}
		fields, files, err := fieldArgs(args[1:], "findings", "recommendations", "prescriptions")
		if err != nil {
			return true, err
		}
		r := node.MedicalReport{Findings: fields["findings"], Recommendations: fields["recommendations"], Prescriptions: fields["prescriptions"]}
		if err := n.Clinic().SubmitReport(ctx, args[0], r, files); err != nil {
			return true, err
		}
		c.note("report on %s signed and queued", args[0])
	case "send":
		peer, text, _ := strings.Cut(strings.TrimSpace(rest), " ")
		if peer == "" || strings.TrimSpace(text) == "" {
			return true, errors.New("usage: /send PEER TEXT")
		}
		m, err := n.Send(ctx, peer, node.KindChat, "chat", strings.TrimSpace(text), nil)
		if err != nil {
			return true, err
		}
		c.note("queued %s for %s", m.ID[:8], peer)
	case "outbox":
		q, err := n.Outbox()
		if err != nil {
			return true, err
		}
		if len(q) == 0 {
			c.note("outbox empty")
		}
		for _, m := range q {
			c.note("%s  to %s  %-8s %-9s  %s  (%d attempt(s))", m.ID[:8], m.PeerName, m.Kind, m.State, m.Text, m.Attempts)
		}
	case "save":
		if len(args) != 2 {
			return true, errors.New("usage: /save SHA256 FILE")
		}
		if err := n.Clinic().SaveAttachment(args[0], args[1]); err != nil {
			return true, err
		}
		c.note("saved %s", args[1])
	case "fhir":
		if len(args) != 2 {
			return true, errors.New("usage: /fhir CASE FILE")
		}
		if err := n.Clinic().ExportFHIRFile(args[0], args[1]); err != nil {
			return true, err
		}
		c.note("wrote FHIR bundle of %s to %s", args[0], args[1])
	case "violations":
		vs, err := n.Clinic().Violations()
		if err != nil {
			return true, err
		}
		if len(vs) == 0 {
			c.note("no refused actions")
		}
		for _, v := range vs {
			dir := "here"
			if v.Incoming {
				dir = "from " + v.PeerName
			}
			c.note("%s  %s  %s: %s", v.Time.Format(time.DateTime), dir, v.Action, v.Reason)
		}
	}
	return true, nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (c *console) printCase(x node.Case) {
	c.note("case %s (%s), opened %s", x.ID, x.Status, x.Opened.Format(time.DateTime))
	c.note("  patient:  %s %s", x.PatientName, x.Patient)
	c.note("  hospital: %s %s", x.HospitalName, x.Hospital)
	c.note("  doctor:   %s %s", orDash(x.DoctorName), x.Doctor)
	if p := x.PHR; p != nil {
		c.note("  PHR: name %q, born %q, symptoms %q, medications %q, allergies %q, notes %q",
			p.PatientName, p.DateOfBirth, p.Symptoms, p.Medications, p.Allergies, p.Notes)
	}
	for _, a := range x.Attachments {
		c.note("  %s", attachmentLine(a.Part, a.Name, a.Size, a.SHA256))
	}
	if r := x.Report; r != nil {
		how := "direct from the doctor"
		if x.ReportRelayed {
			how = "relayed by the hospital"
		}
		c.note("  report (%s, doctor's signature verified: %v, digest %s):", how, x.ReportVerified, x.ReportDigest)
		c.note("    findings: %s", r.Findings)
		c.note("    recommendations: %s", r.Recommendations)
		c.note("    prescriptions: %s", r.Prescriptions)
	}
}

// attachmentLine is how /case names an attachment: in human units, with
// the digest that /save takes.
func attachmentLine(part, name string, size int64, digest string) string {
	return fmt.Sprintf("attachment (%s): %s · %s, sha256 %s (for /save)", part, name, node.HumanSize(size), digest)
}

// fieldArgs splits key=value arguments (keys among allowed) from
// "--attach FILE" pairs.
func fieldArgs(args []string, allowed ...string) (map[string]string, []string, error) {
	fields := map[string]string{}
	var files []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--attach" || a == "-attach" {
			if i+1 == len(args) {
				return nil, nil, errors.New("--attach needs a file")
			}
			files = append(files, args[i+1])
			i++
			continue
		}
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			return nil, nil, fmt.Errorf("%q is not field=value (fields: %s)", a, strings.Join(allowed, ", "))
		}
		known := false
		for _, x := range allowed {
			known = known || x == k
		}
		if !known {
			return nil, nil, fmt.Errorf("unknown field %q (fields: %s)", k, strings.Join(allowed, ", "))
		}
		fields[k] = v
	}
	return fields, files, nil
}

// splitArgs splits a command line into words, honouring double and single
// quotes (anywhere in a word, as in key="a b") and backslash escapes
// inside double quotes.
func splitArgs(s string) ([]string, error) {
	var out []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == ' ' || ch == '\t':
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
		case ch == '"' || ch == '\'':
			inWord = true
			j := i + 1
			for ; j < len(s) && s[j] != ch; j++ {
				if ch == '"' && s[j] == '\\' && j+1 < len(s) {
					j++
				}
				cur.WriteByte(s[j])
			}
			if j == len(s) {
				return nil, fmt.Errorf("unterminated %c quote", ch)
			}
			i = j
		default:
			inWord = true
			cur.WriteByte(ch)
		}
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out, nil
}

// queuedIDs returns the IDs of the messages waiting in this node's outbox,
// so that a console that ends with its input waits for them too.
func (c *console) queuedIDs() []string {
	q, err := c.n.Outbox()
	if err != nil {
		return nil
	}
	ids := make([]string, len(q))
	for i, m := range q {
		ids[i] = m.ID
	}
	return ids
}
