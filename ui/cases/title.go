package cases

import (
	"strings"
	"time"
	"unicode"

	"qkdchat/node"
)

// maxTopic is the longest the symptom part of a case title grows.
const maxTopic = 32

// CaseTitle names a case from its content: the patient, the day it was
// opened and the first of the symptoms, "Alice Patel · 30 Nov · fever".
// A part that is unknown is left out; a case with none of them is named
// "Case opened <day>" or, failing that, "Case".
func CaseTitle(c node.Case) string {
	var parts []string
	name := strings.TrimSpace(c.PatientName)
	if c.PHR != nil && strings.TrimSpace(c.PHR.PatientName) != "" {
		name = strings.TrimSpace(c.PHR.PatientName)
	}
	if name != "" {
		parts = append(parts, name)
	}
	if !c.Opened.IsZero() {
		parts = append(parts, c.Opened.Local().Format("2 Jan"))
	}
	if c.PHR != nil {
		if t := topic(c.PHR.Symptoms); t != "" {
			parts = append(parts, t)
		}
	}
	if len(parts) == 0 || (len(parts) == 1 && name == "") {
		if !c.Opened.IsZero() {
			return "Case opened " + c.Opened.Local().Format("2 Jan")
		}
		return "Case"
	}
	return strings.Join(parts, " · ")
}

// topic is the first symptom of a free-text list: up to the first comma,
// semicolon, full stop or line break, cut at a word boundary to maxTopic.
func topic(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, ",;.\n"); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	s = strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " ")
	if len([]rune(s)) <= maxTopic {
		return s
	}
	r := []rune(s)[:maxTopic]
	if i := strings.LastIndex(string(r), " "); i > maxTopic/2 {
		return string(r)[:i] + "…"
	}
	return string(r) + "…"
}

// statusText says where a case is, in words.
func statusText(c node.Case) string {
	switch c.Status {
	case node.CaseSubmitted:
		return "waiting for referral"
	case node.CaseReferred:
		if c.DoctorName != "" {
			return "referred to " + c.DoctorName
		}
		return "referred"
	case node.CaseReported:
		return "report received"
	}
	return c.Status
}

// openedText is when a case was opened, for its details.
func openedText(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return t.Local().Format("2 Jan 2006 15:04")
}
