package packetdrill

import (
	"fmt"
	"reflect"
	"testing"
)

var posType = reflect.TypeOf(Pos{})

// clearPositions zeroes every Pos reachable from v (a pointer), so that
// ASTs can be compared without positions.
func clearPositions(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			clearPositions(v.Elem())
		}
	case reflect.Struct:
		if v.Type() == posType {
			if v.CanSet() {
				v.Set(reflect.Zero(posType))
			}
			return
		}
		for i := 0; i < v.NumField(); i++ {
			clearPositions(v.Field(i))
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			clearPositions(v.Index(i))
		}
	}
}

// stripped returns s with all positions zeroed (s itself is modified).
func stripped(s *Script) *Script {
	clearPositions(reflect.ValueOf(s))
	return s
}

// checkRoundTrip formats s, parses the result again and compares the two
// ASTs without positions.
func checkRoundTrip(t testing.TB, name string, s *Script, defines map[string]string) {
	t.Helper()
	text := s.String()
	s2, err := Parse(s.Path, []byte(text), defines)
	if err != nil {
		t.Errorf("%s: formatted script does not parse: %v\n%s", name, err, text)
		return
	}
	a, b := stripped(s), stripped(s2)
	if !reflect.DeepEqual(a, b) {
		t.Errorf("%s: round trip changed the AST\nfirst:\n%s\nsecond:\n%s", name, a, b)
		for i := range min(len(a.Lines), len(b.Lines)) {
			if !reflect.DeepEqual(a.Lines[i], b.Lines[i]) {
				t.Errorf("first differing line %d:\n  %s\n  %s", i, a.Lines[i], b.Lines[i])
				break
			}
		}
	}
}

// TestRoundTripSamples checks parse -> format -> parse on the sample
// scripts.
func TestRoundTripSamples(t *testing.T) {
	for name, src := range sampleScripts {
		s, err := Parse(name, []byte(src), sampleDefines)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		checkPositions(t, name, s)
		checkRoundTrip(t, name, s, sampleDefines)
	}
}

// checkPositions requires every position in the AST to be valid and in
// the parsed file.
func checkPositions(t testing.TB, name string, s *Script) {
	t.Helper()
	var walk func(v reflect.Value, path string)
	walk = func(v reflect.Value, path string) {
		switch v.Kind() {
		case reflect.Pointer, reflect.Interface:
			if !v.IsNil() {
				walk(v.Elem(), path)
			}
		case reflect.Struct:
			if v.Type() == posType {
				p := v.Interface().(Pos)
				if !p.IsValid() || p.Col < 1 || p.File != name {
					t.Errorf("%s: bad position %+v at %s", name, p, path)
				}
				return
			}
			for i := 0; i < v.NumField(); i++ {
				walk(v.Field(i), path+"."+v.Type().Field(i).Name)
			}
		case reflect.Slice:
			for i := 0; i < v.Len(); i++ {
				walk(v.Index(i), path)
			}
		}
	}
	for _, o := range s.Options {
		walk(reflect.ValueOf(o), "Options")
	}
	for _, l := range s.Lines {
		walk(reflect.ValueOf(l), fmt.Sprintf("%T", l))
	}
}
