package packetdrill

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// fuzzSeeds returns the project's own small scripts used as fuzz seeds:
// the sample scripts, the one-line cases and the error cases.
func fuzzSeeds() map[string]string {
	seeds := map[string]string{}
	for name, src := range sampleScripts {
		seeds["sample-"+strings.TrimSuffix(name, ".pkt")] = src
	}
	for _, c := range lineCases {
		seeds[fmt.Sprintf("line-%x", sha256.Sum256([]byte(c.src)))[:13]] = c.src
	}
	for _, c := range errorCases {
		if c.defines == nil {
			seeds[fmt.Sprintf("error-%x", sha256.Sum256([]byte(c.src)))[:14]] = c.src
		}
	}
	return seeds
}

// FuzzParse checks that Parse never panics, that every error is a
// *ParseError pointing into the input, and that whatever parses has
// valid positions everywhere and survives a format/parse round trip.
func FuzzParse(f *testing.F) {
	for _, src := range fuzzSeeds() {
		f.Add([]byte(src))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		const name = "fuzz.pkt"
		s, err := Parse(name, src, sampleDefines)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *ParseError: %v", err, err)
			}
			if s != nil {
				t.Fatal("script returned with an error")
			}
			lines := bytes.Split(src, []byte("\n"))
			if pe.File != name || pe.Line < 1 || pe.Line > len(lines) || pe.Col < 1 || pe.Col > len(lines[pe.Line-1])+1 {
				t.Fatalf("error position outside the input: %v", err)
			}
			return
		}
		checkPositions(t, name, s)
		checkRoundTrip(t, name, s, sampleDefines)
	})
}

// TestWriteFuzzSeeds regenerates the seed-* files of
// testdata/fuzz/FuzzParse from fuzzSeeds when
// PACKETDRILL_WRITE_FUZZ_SEEDS=1, and otherwise checks that they are up
// to date.
func TestWriteFuzzSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzParse")
	seeds := fuzzSeeds()
	names := make([]string, 0, len(seeds))
	for n := range seeds {
		names = append(names, n)
	}
	sort.Strings(names)
	write := os.Getenv("PACKETDRILL_WRITE_FUZZ_SEEDS") == "1"
	old, _ := filepath.Glob(filepath.Join(dir, "seed-*"))
	stale := map[string]bool{}
	for _, o := range old {
		stale[filepath.Base(o)] = true
	}
	if write {
		for _, o := range old {
			if err := os.Remove(o); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range names {
		want := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", seeds[n])
		path := filepath.Join(dir, "seed-"+n)
		delete(stale, "seed-"+n)
		if write {
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != want {
			t.Errorf("%s is missing or stale; run PACKETDRILL_WRITE_FUZZ_SEEDS=1 go test -run TestWriteFuzzSeeds", path)
		}
	}
	if !write {
		for n := range stale {
			t.Errorf("%s is no longer a seed; run PACKETDRILL_WRITE_FUZZ_SEEDS=1 go test -run TestWriteFuzzSeeds", filepath.Join(dir, n))
		}
	}
}
