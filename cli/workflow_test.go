package cli

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"qkdchat/cli/eventline"
	"qkdchat/node"
)

func TestSplitArgsAndFields(t *testing.T) {
	got, err := splitArgs(`St\ Mary name="Pat Doe" symptoms='fever, cough' notes="say \"hi\"" --attach a.csv`)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`St\`, `Mary`, `name=Pat Doe`, `symptoms=fever, cough`, `notes=say "hi"`, `--attach`, `a.csv`}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("splitArgs = %q, want %q", got, want)
	}
	if _, err := splitArgs(`name="Pat`); err == nil {
		t.Fatal("unterminated quote accepted")
	}
	f, files, err := fieldArgs(got[2:], "name", "symptoms", "notes")
	if err != nil || f["name"] != "Pat Doe" || f["notes"] != `say "hi"` || !reflect.DeepEqual(files, []string{"a.csv"}) {
		t.Fatalf("fieldArgs = %v %v %v", f, files, err)
	}
	for _, bad := range [][]string{{"bogus=1"}, {"novalue"}, {"--attach"}} {
		if _, _, err := fieldArgs(bad, "name"); err == nil {
			t.Fatalf("fieldArgs accepted %q", bad)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a poller.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func waitOutput(t *testing.T, b *syncBuffer, re string) []string {
	t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(60 * time.Second)
	for {
		if m := rx.FindStringSubmatch(b.String()); m != nil {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q in output:\n%s", re, b.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestPHRSlashCommands runs a hospital (listen) and a patient (connect)
// in-process: the patient submits a PHR with an attachment through stdin
// and leaves once it is delivered; the hospital lists the case.
func TestPHRSlashCommands(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hdir, pdir := t.TempDir(), t.TempDir()
	csv := filepath.Join(t.TempDir(), "labs.csv")
	if err := os.WriteFile(csv, []byte("test,value\nCRP,12\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	hin, hinw := io.Pipe()
	defer hinw.Close()
	hout := new(syncBuffer)
	hdone := make(chan int)
	go func() {
		hdone <- Main(ctx, &Env{Stdin: hin, Stdout: hout, Stderr: io.Discard},
			[]string{"listen", "--data", hdir, "--name", "St Mary", "--role", "hospital", "--addr", "127.0.0.1:0", "--code", "7-amber-falcon"})
	}()
	addr := waitOutput(t, hout, `listening on (\S+),`)[1]

	pout := new(syncBuffer)
	script := `/phr "St Mary" name="Pat Doe" dob=1980-02-29 symptoms="fever, cough" --attach ` + csv + "\n"
	perr := new(syncBuffer)
	code := Main(ctx, &Env{Stdin: strings.NewReader(script), Stdout: pout, Stderr: perr},
		[]string{"connect", "--data", pdir, "--name", "Pat", "--role", "patient", "--code", "7-amber-falcon", addr})
	if code != 0 {
		t.Fatalf("connect exited %d:\n%s\n%s", code, pout.String(), perr.String())
	}
	id := waitOutput(t, pout, `case (case-[0-9a-f]{12}) opened`)[1]
	waitOutput(t, pout, `phr \S+ delivered and recorded`)

	waitOutput(t, hout, `case `+id+`: PHR received from Pat`)
	fhirPath := filepath.Join(t.TempDir(), "phr.json")
	io.WriteString(hinw, "/cases\n/case "+id+"\n/refer "+id+" nobody\n/report "+id+" findings=x\n/fhir "+id+" "+fhirPath+"\n")
	waitOutput(t, hout, id+`  submitted  patient Pat  hospital St Mary`)
	waitOutput(t, hout, `attachment \(phr\): labs.csv · 18 bytes, sha256 [0-9a-f]{64} \(for /save\)`)
	waitOutput(t, hout, `symptoms "fever, cough"`)
	waitOutput(t, hout, `error: no contact "nobody"`)
	waitOutput(t, hout, `error: a hospital cannot write a report: only a doctor writes reports`)
	waitOutput(t, hout, `wrote FHIR bundle`)
	if b, err := os.ReadFile(fhirPath); err != nil || !strings.Contains(string(b), `"birthDate":"1980-02-29"`) {
		t.Fatalf("FHIR bundle: %v\n%s", err, b)
	}
	cancel()
	<-hdone
}

// Issue 15: the console names attachments in human units; the digest
// stays, as /save needs it.
func TestAttachmentLinesInHumanUnits(t *testing.T) {
	digest := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		part, name string
		size       int64
		want       string
	}{
		{"phr", "labs.csv", 18, "attachment (phr): labs.csv · 18 bytes, sha256 " + digest + " (for /save)"},
		{"report", "xray.png", 5 << 20, "attachment (report): xray.png · 5.0 MB, sha256 " + digest + " (for /save)"},
		{"phr", "notes.txt", 1536, "attachment (phr): notes.txt · 1.5 KB, sha256 " + digest + " (for /save)"},
	} {
		if got := attachmentLine(tc.part, tc.name, tc.size, digest); got != tc.want {
			t.Errorf("attachmentLine(%q, %d) = %q, want %q", tc.name, tc.size, got, tc.want)
		}
	}
	for _, tc := range []struct {
		done, total int64
		want        string
	}{
		{0, 5 << 20, "attachment xray.png: 0 bytes of 5.0 MB"},
		{5 << 20, 5 << 20, "attachment xray.png: 5.0 MB of 5.0 MB"},
	} {
		e := node.Event{Type: node.EventTransfer, Name: "xray.png", Done: tc.done, Total: tc.total}
		if got := eventline.Line(e); got != tc.want {
			t.Errorf("eventline.Line(transfer %d of %d) = %q, want %q", tc.done, tc.total, got, tc.want)
		}
	}
}
