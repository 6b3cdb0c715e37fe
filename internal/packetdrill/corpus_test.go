package packetdrill

import (
	"bufio"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// corpusDefines are the defines upstream's batch runner passes for IPv4
// runs (TIERS.md).
var corpusDefines = map[string]string{
	"TFO_COOKIE":        "3021b9d889017eeb",
	"CODE":              "host_unreachable",
	"CMSG_LEVEL_IP":     "SOL_IP",
	"CMSG_TYPE_RECVERR": "IP_RECVERR",
}

// corpusDir finds ../shared/packetdrill/corpus next to the repository
// root (the directory holding go.mod). It skips the test when the corpus
// is absent, unless CI=true, where that is a failure.
func corpusDir(t testing.TB) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root := wd
	for {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(root)
		if parent == root {
			t.Fatalf("no go.mod above %s", wd)
		}
		root = parent
	}
	dir := filepath.Join(root, "..", "shared", "packetdrill", "corpus")
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("packetdrill corpus not found at %s (needed with CI=true): %v", dir, err)
		}
		t.Skipf("packetdrill corpus not found at %s; skipping (it is test data kept outside the checkout)", dir)
	}
	return dir
}

// corpusScripts lists the corpus's *.pkt files, as paths relative to dir
// with forward slashes.
func corpusScripts(t testing.TB, dir string) []string {
	t.Helper()
	var list []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".pkt") {
			rel, err := filepath.Rel(dir, p)
			if err != nil {
				return err
			}
			list = append(list, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(list)
	if len(list) == 0 {
		t.Fatalf("no .pkt scripts under %s", dir)
	}
	return list
}

// readExpected reads testdata/parse-expected.txt: one "path  reason" per
// line for corpus scripts that are expected not to parse; "#" starts a
// comment.
func readExpected(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "parse-expected.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		path, reason, _ := strings.Cut(line, " ")
		if strings.TrimSpace(reason) == "" {
			t.Fatalf("parse-expected.txt:%d: %s has no reason", n, path)
		}
		m[path] = strings.TrimSpace(reason)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestCorpusParses parses every corpus script and requires success except
// for the scripts listed in testdata/parse-expected.txt.
func TestCorpusParses(t *testing.T) {
	dir := corpusDir(t)
	expected := readExpected(t)
	scripts := corpusScripts(t, dir)
	parsed := 0
	for _, rel := range scripts {
		s, err := ParseFile(filepath.Join(dir, filepath.FromSlash(rel)), corpusDefines)
		reason, listed := expected[rel]
		delete(expected, rel)
		switch {
		case err == nil && listed:
			t.Errorf("%s parses now; remove it from testdata/parse-expected.txt (%s)", rel, reason)
		case err != nil && !listed:
			t.Errorf("%s: %v", rel, err)
		case err != nil:
			var pe *ParseError
			if !errors.As(err, &pe) || !pe.Pos().IsValid() {
				t.Errorf("%s: error without position: %v", rel, err)
			}
		default:
			parsed++
			if len(s.Lines) == 0 {
				t.Errorf("%s: no lines", rel)
			}
		}
	}
	for rel := range expected {
		t.Errorf("testdata/parse-expected.txt lists %s, which is not in the corpus", rel)
	}
	t.Logf("corpus: parsed %d of %d scripts", parsed, len(scripts))
}

// TestCorpusRoundTrip checks parse -> format -> parse on the corpus.
func TestCorpusRoundTrip(t *testing.T) {
	dir := corpusDir(t)
	for _, rel := range corpusScripts(t, dir) {
		path := filepath.Join(dir, filepath.FromSlash(rel))
		s, err := ParseFile(path, corpusDefines)
		if err != nil {
			continue // reported by TestCorpusParses
		}
		checkPositions(t, path, s)
		checkRoundTrip(t, rel, s, corpusDefines)
	}
}

// TestCorpusPython checks that every python statement in the corpus
// falls inside the supported subset.
func TestCorpusPython(t *testing.T) {
	dir := corpusDir(t)
	n := 0
	for _, rel := range corpusScripts(t, dir) {
		s, err := ParseFile(filepath.Join(dir, filepath.FromSlash(rel)), corpusDefines)
		if err != nil {
			continue
		}
		for _, l := range s.Lines {
			py, ok := l.(*PythonLine)
			if !ok {
				continue
			}
			for _, st := range py.Stmts {
				n++
				if u, ok := st.(*PyUnsupported); ok {
					t.Errorf("%s: unsupported python statement %q: %s", u.Pos, u.Text, u.Reason)
				}
			}
		}
	}
	t.Logf("corpus: %d python statements", n)
}
