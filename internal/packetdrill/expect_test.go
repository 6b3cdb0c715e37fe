package packetdrill

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

func TestExpectationsRoundTrip(t *testing.T) {
	list := []Expectation{
		{Outcome: Unsupported, Path: "b.pkt", Reason: "shell: x"},
		{Outcome: Pass, Path: "a.pkt"},
		{Outcome: Fail, Path: "c.pkt", Reason: "socket(...) = -1 ESOCKTNOSUPPORT,\n expected 3"},
	}
	var buf bytes.Buffer
	if err := WriteExpectations(&buf, []string{"header"}, list); err != nil {
		t.Fatal(err)
	}
	want := "# header\n\npass a.pkt\nunsupported b.pkt # shell: x\nfail c.pkt # socket(...) = -1 ESOCKTNOSUPPORT, expected 3\n"
	if buf.String() != want {
		t.Fatalf("wrote:\n%s\nwant:\n%s", buf.String(), want)
	}
	got, err := ParseExpectations(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0] != (Expectation{Pass, "a.pkt", ""}) || got[2].Reason != "socket(...) = -1 ESOCKTNOSUPPORT, expected 3" {
		t.Errorf("parsed %+v", got)
	}
}

func TestParseExpectationsErrors(t *testing.T) {
	for _, in := range []string{"pass\n", "passed a.pkt\n", "pass a.pkt\nfail a.pkt\n", "pass a b\n"} {
		if _, err := ParseExpectations(strings.NewReader(in)); err == nil {
			t.Errorf("%q parsed", in)
		}
	}
}

func TestCompareExpectations(t *testing.T) {
	want := []Expectation{
		{Outcome: Pass, Path: "keeps.pkt"},
		{Outcome: Pass, Path: "regressed.pkt"},
		{Outcome: Fail, Path: "improved.pkt"},
		{Outcome: Fail, Path: "changed.pkt"},
		{Outcome: Fail, Path: "gone.pkt"},
	}
	got := []Expectation{
		{Outcome: Pass, Path: "keeps.pkt"},
		{Outcome: Fail, Path: "regressed.pkt", Reason: "win"},
		{Outcome: Pass, Path: "improved.pkt"},
		{Outcome: Unsupported, Path: "changed.pkt"},
		{Outcome: Fail, Path: "new.pkt"},
	}
	problems := CompareExpectations(want, got)
	var paths []string
	for _, p := range problems {
		paths = append(paths, p[:strings.Index(p, ":")])
	}
	if !reflect.DeepEqual(paths, []string{"gone.pkt", "improved.pkt", "new.pkt", "regressed.pkt"}) {
		t.Errorf("problems:\n%s", strings.Join(problems, "\n"))
	}
	if !strings.Contains(strings.Join(problems, "\n"), "update the expectations file") {
		t.Errorf("no hint to update the file:\n%s", strings.Join(problems, "\n"))
	}
}

func TestCount(t *testing.T) {
	tally := Count([]Expectation{
		{Outcome: Pass}, {Outcome: Fail, Reason: "a"}, {Outcome: Fail, Reason: "b"},
		{Outcome: Fail, Reason: "b"}, {Outcome: Unsupported, Reason: "a"},
	})
	if tally.String() != "packetdrill: 1 passed, 3 failed, 1 unsupported" {
		t.Errorf("%s", tally)
	}
	if len(tally.Groups) != 3 || tally.Groups[0] != (TallyGroup{Fail, "b", 2}) {
		t.Errorf("groups %+v", tally.Groups)
	}
}
