package packetdrill

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strings"
)

// An expectations file records the outcome each script of a corpus had
// when it was last brought up to date, one line per script:
//
//	pass gtests/net/tcp/blocking/blocking-read.pkt
//	fail gtests/net/tcp/mss/mss-getsockopt-tcp_maxseg-server.pkt # reason
//	unsupported gtests/net/tcp/mtu_probe/basic-v4.pkt # reason
//
// Paths are relative to the corpus root, with forward slashes; the text
// after " # " is informational. Blank lines and lines starting with "#"
// are comments. CompareExpectations lets the file only gain passes: a
// listed pass must keep passing, and a new pass must be recorded.

// Expectation is one line of an expectations file.
type Expectation struct {
	Outcome Outcome
	Path    string
	Reason  string
}

// ParseExpectations reads an expectations file.
func ParseExpectations(r io.Reader) ([]Expectation, error) {
	var out []Expectation
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	seen := map[string]int{}
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		body, reason, _ := strings.Cut(line, " # ")
		fields := strings.Fields(body)
		if len(fields) != 2 {
			return nil, fmt.Errorf("line %d: want \"OUTCOME PATH [# reason]\", found %q", n, line)
		}
		o, err := ParseOutcome(fields[0])
		if err != nil {
			return nil, fmt.Errorf("line %d: %v", n, err)
		}
		if prev, dup := seen[fields[1]]; dup {
			return nil, fmt.Errorf("line %d: %s is already listed on line %d", n, fields[1], prev)
		}
		seen[fields[1]] = n
		out = append(out, Expectation{Outcome: o, Path: fields[1], Reason: strings.TrimSpace(reason)})
	}
	return out, sc.Err()
}

// WriteExpectations writes an expectations file, sorted by path, after
// a header of comment lines.
func WriteExpectations(w io.Writer, header []string, list []Expectation) error {
	sorted := append([]Expectation(nil), list...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Path < sorted[j].Path })
	bw := bufio.NewWriter(w)
	for _, h := range header {
		fmt.Fprintf(bw, "# %s\n", h)
	}
	if len(header) > 0 {
		fmt.Fprintln(bw)
	}
	for _, e := range sorted {
		reason := strings.Join(strings.Fields(e.Reason), " ")
		if reason == "" {
			fmt.Fprintf(bw, "%s %s\n", e.Outcome, e.Path)
		} else {
			fmt.Fprintf(bw, "%s %s # %s\n", e.Outcome, e.Path, reason)
		}
	}
	return bw.Flush()
}

// CompareExpectations checks actual outcomes against the recorded ones
// and returns the problems: a recorded pass that no longer passes, a
// pass that is not recorded as one (the file must be updated), a script
// missing from either side. Changes between fail and unsupported are
// not problems.
func CompareExpectations(want, got []Expectation) []string {
	wantBy := make(map[string]Expectation, len(want))
	for _, e := range want {
		wantBy[e.Path] = e
	}
	var problems []string
	gotPaths := make(map[string]bool, len(got))
	for _, g := range got {
		gotPaths[g.Path] = true
		w, ok := wantBy[g.Path]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("%s: not in the expectations file (now %s); regenerate the file", g.Path, g.Outcome))
		case w.Outcome == Pass && g.Outcome != Pass:
			problems = append(problems, fmt.Sprintf("%s: regression: expected to pass, now %s: %s", g.Path, g.Outcome, g.Reason))
		case w.Outcome != Pass && g.Outcome == Pass:
			problems = append(problems, fmt.Sprintf("%s: now passes but is recorded as %s; update the expectations file", g.Path, w.Outcome))
		}
	}
	for _, w := range want {
		if !gotPaths[w.Path] {
			problems = append(problems, fmt.Sprintf("%s: in the expectations file but not in the corpus", w.Path))
		}
	}
	sort.Strings(problems)
	return problems
}

// Tally counts outcomes and groups the reasons of the scripts that did
// not pass, most frequent first.
type Tally struct {
	Passed, Failed, Unsupported int
	// Groups are "outcome: reason" with their counts.
	Groups []TallyGroup
}

// TallyGroup is one reason shared by scripts with the same outcome.
type TallyGroup struct {
	Outcome Outcome
	Reason  string
	Count   int
}

// Count tallies a list of expectations (or results turned into them).
func Count(list []Expectation) Tally {
	var t Tally
	idx := map[[2]string]int{}
	for _, e := range list {
		switch e.Outcome {
		case Pass:
			t.Passed++
			continue
		case Fail:
			t.Failed++
		case Unsupported:
			t.Unsupported++
		}
		k := [2]string{e.Outcome.String(), e.Reason}
		if i, ok := idx[k]; ok {
			t.Groups[i].Count++
			continue
		}
		idx[k] = len(t.Groups)
		t.Groups = append(t.Groups, TallyGroup{Outcome: e.Outcome, Reason: e.Reason, Count: 1})
	}
	sort.SliceStable(t.Groups, func(i, j int) bool {
		if t.Groups[i].Count != t.Groups[j].Count {
			return t.Groups[i].Count > t.Groups[j].Count
		}
		return t.Groups[i].Reason < t.Groups[j].Reason
	})
	return t
}

// String prints the closing line of a run:
// "packetdrill: N passed, N failed, N unsupported".
func (t Tally) String() string {
	return fmt.Sprintf("packetdrill: %d passed, %d failed, %d unsupported", t.Passed, t.Failed, t.Unsupported)
}

// Expect turns a result into an expectation line for path.
func (r *Result) Expect(path string) Expectation {
	return Expectation{Outcome: r.Outcome, Path: path, Reason: r.Reason}
}
