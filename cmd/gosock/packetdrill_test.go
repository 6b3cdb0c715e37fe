package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeScripts(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"a/pass.pkt":  "0 socket(..., SOCK_DGRAM, IPPROTO_UDP) = 3\n+0 bind(3, ..., ...) = 0\n+0 < icmp echo_request\n+0 > icmp echo_reply\n",
		"a/fail.pkt":  "0 socket(..., SOCK_DGRAM, IPPROTO_UDP) = 3\n+0 fcntl(3, F_SETFL, O_NONBLOCK) = 0\n+0 read(3, ..., 10) = -1 EBADF\n",
		"b/unsup.pkt": "0 `cat /etc/hosts`\n",
		"b/notes.txt": "not a script",
	}
	for name, src := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestPacketdrillCommand(t *testing.T) {
	dir := writeScripts(t)
	var out, errOut bytes.Buffer
	if code := run([]string{"packetdrill", "-v", dir}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	got := out.String()
	for _, want := range []string{
		"fail " + filepath.Join(dir, "a/fail.pkt") + ":3: read(3, ..., 10) = -1 EAGAIN, expected -1 EBADF",
		"    line: +0 read(3, ..., 10) = -1 EBADF",
		"pass " + filepath.Join(dir, "a/pass.pkt"),
		"unsupported " + filepath.Join(dir, "b/unsup.pkt") + ":1: shell: command \"cat /etc/hosts\" is not emulated",
		"packetdrill: 1 passed, 1 failed, 1 unsupported\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Index(got, "a/fail.pkt") > strings.Index(got, "a/pass.pkt") {
		t.Errorf("scripts not in lexical order:\n%s", got)
	}
	// -strict turns a failure into exit status 1.
	out.Reset()
	if code := run([]string{"packetdrill", "-strict", dir}, &out, &errOut); code != 1 {
		t.Errorf("-strict with a failure: exit %d", code)
	}
	if code := run([]string{"packetdrill", "-strict", filepath.Join(dir, "a/pass.pkt")}, &out, &errOut); code != 0 {
		t.Errorf("-strict without failures: exit %d", code)
	}
	if code := run([]string{"packetdrill", filepath.Join(dir, "missing.pkt")}, &out, &errOut); code != 1 {
		t.Errorf("missing path: exit %d", code)
	}
}

func TestPacketdrillCommandJSON(t *testing.T) {
	dir := writeScripts(t)
	var out, errOut bytes.Buffer
	if code := run([]string{"packetdrill", "--json", "-D", "X=1", filepath.Join(dir, "a")}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("want 2 results and a tally:\n%s", out.String())
	}
	var res struct {
		Path, Outcome, Reason string
		Line                  int
	}
	if err := json.Unmarshal([]byte(lines[0]), &res); err != nil {
		t.Fatal(err)
	}
	if res.Outcome != "fail" || res.Line != 3 || !strings.Contains(res.Reason, "EBADF") {
		t.Errorf("first result %+v", res)
	}
	var tally map[string]int
	if err := json.Unmarshal([]byte(lines[2]), &tally); err != nil || tally["passed"] != 1 || tally["failed"] != 1 {
		t.Errorf("tally %v %v", tally, err)
	}
}
