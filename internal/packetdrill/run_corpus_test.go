package packetdrill

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// expectedFile records every corpus script's outcome.
const expectedFile = "testdata/packetdrill-expected.txt"

// TestCorpusOutcomes runs every script of ../shared/packetdrill/corpus
// and compares the outcomes with testdata/packetdrill-expected.txt: a
// recorded pass must keep passing, and a new pass must be recorded.
// PACKETDRILL_UPDATE=1 rewrites the file from this run.
func TestCorpusOutcomes(t *testing.T) {
	dir := corpusDir(t)
	scripts := corpusScripts(t, dir)
	r := NewRunner(Options{})
	var got []Expectation
	var slowest *Result
	for _, s := range scripts {
		res := r.RunFile(filepath.Join(dir, filepath.FromSlash(s)))
		if slowest == nil || res.Elapsed > slowest.Elapsed {
			slowest = res
		}
		if res.Outcome != Pass && testing.Verbose() {
			t.Logf("%s %s:%d: %s", res.Outcome, s, res.Pos.Line, res.Reason)
		}
		got = append(got, res.Expect(s))
	}
	// The virtual clock keeps every script fast, whatever its waits.
	if slowest.Elapsed > 5*time.Second {
		t.Errorf("slowest script took %v of wall-clock time: %s", slowest.Elapsed, slowest.Path)
	}
	tally := Count(got)
	t.Log(tally)
	for _, g := range tally.Groups {
		t.Logf("%4d %s: %s", g.Count, g.Outcome, g.Reason)
	}
	if os.Getenv("PACKETDRILL_UPDATE") == "1" {
		var buf bytes.Buffer
		header := []string{
			"Outcome of every script of ../shared/packetdrill/corpus under the gosock runner.",
			"Format: OUTCOME PATH [# reason]. TestCorpusOutcomes fails when a recorded pass",
			"stops passing, or when a script passes that is not recorded as a pass.",
			"Regenerate: PACKETDRILL_UPDATE=1 go test ./internal/packetdrill -run TestCorpusOutcomes",
			tally.String(),
		}
		if err := WriteExpectations(&buf, header, got); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(expectedFile, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", expectedFile)
		return
	}
	f, err := os.Open(expectedFile)
	if err != nil {
		t.Fatalf("%v (generate it with PACKETDRILL_UPDATE=1)", err)
	}
	defer f.Close()
	want, err := ParseExpectations(f)
	if err != nil {
		t.Fatalf("%s: %v", expectedFile, err)
	}
	if problems := CompareExpectations(want, got); len(problems) > 0 {
		t.Errorf("%d scripts differ from %s:\n%s\n(if the changes are improvements, regenerate the file with PACKETDRILL_UPDATE=1)",
			len(problems), expectedFile, strings.Join(problems, "\n"))
	}
}

// TestCorpusSelfTests checks the upstream runner self-tests: scripts
// that must fail at the event after their "// Failure:" comment
// (GRAMMAR.md section 9).
func TestCorpusSelfTests(t *testing.T) {
	dir := corpusDir(t)
	r := NewRunner(Options{})
	for _, s := range []string{
		"gtests/net/packetdrill/tests/linux/packetdrill/socket_err.pkt",
		"gtests/net/packetdrill/tests/linux/packetdrill/socket_wrong_err.pkt",
		"gtests/net/packetdrill/tests/packet-timeout.pkt",
	} {
		path := filepath.Join(dir, filepath.FromSlash(s))
		res := r.RunFile(path)
		if res.Outcome == Pass {
			t.Errorf("%s passed; it is a runner self-test that must fail", s)
			continue
		}
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if want := failureLine(src); res.Outcome != Fail || res.Pos.Line != want {
			t.Errorf("%s: %s at line %d, want a failure at line %d", s, res.Outcome, res.Pos.Line, want)
		}
	}
}

// failureLine returns the line of the first event after a
// "// Failure:" comment, 0 if none.
func failureLine(src []byte) int {
	lines := strings.Split(string(src), "\n")
	for i, l := range lines {
		if !strings.Contains(l, "// Failure:") {
			continue
		}
		for j := i + 1; j < len(lines); j++ {
			if s := strings.TrimSpace(lines[j]); s != "" && !strings.HasPrefix(s, "//") {
				return j + 1
			}
		}
	}
	return 0
}
