package packetdrill

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// pyShape describes statements as "Type: String()" lines.
func pyShape(stmts []PyStmt) string {
	var b strings.Builder
	for _, s := range stmts {
		name := strings.TrimPrefix(fmt.Sprintf("%T", s), "*packetdrill.")
		fmt.Fprintf(&b, "%s: %s", name, s.String())
		if u, ok := s.(*PyUnsupported); ok {
			fmt.Fprintf(&b, " [%s]", u.Reason)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func TestParsePython(t *testing.T) {
	cases := []struct{ code, want string }{
		{" assert tcpi_snd_cwnd == 10, tcpi_snd_cwnd ", "PyAssert: assert tcpi_snd_cwnd == 10, tcpi_snd_cwnd\n"},
		{" assert (tcpi_options & TCPI_OPT_SYN_DATA) != 0, tcpi_options ",
			"PyAssert: assert tcpi_options & TCPI_OPT_SYN_DATA != 0, tcpi_options\n"},
		{" assert tcpi_options & (TCPI_OPT_SYN_DATA != 0)", "PyAssert: assert tcpi_options & (TCPI_OPT_SYN_DATA != 0)\n"},
		{" print(tcpi_snd_cwnd); cwnd += 10; assert tcpi_snd_cwnd == cwnd, tcpi_snd_cwnd ",
			"PyExprStmt: print(tcpi_snd_cwnd)\nPyAssign: cwnd += 10\nPyAssert: assert tcpi_snd_cwnd == cwnd, tcpi_snd_cwnd\n"},
		{"\nTCP_INFINITE_SSTHRESH = 0x7fffffff\n", "PyAssign: TCP_INFINITE_SSTHRESH = 2147483647\n"},
		{" assert 98000 <= tcpi_rwnd_limited <= 110000, tcpi_rwnd_limited ",
			"PyAssert: assert 98000 <= tcpi_rwnd_limited <= 110000, tcpi_rwnd_limited\n"},
		{" assert tcpi_ca_state == TCP_CA_Recovery, 'ca: %d rtt: %d' % (tcpi_ca_state, tcpi_rtt) ",
			"PyAssert: assert tcpi_ca_state == TCP_CA_Recovery, 'ca: %d rtt: %d' % (tcpi_ca_state, tcpi_rtt)\n"},
		{" assert 19000 <= x <= 21000, x;\\\n\t assert y == 1, y; \\\n}",
			"PyAssert: assert 19000 <= x <= 21000, x\nPyAssert: assert y == 1, y\nPyUnsupported: } [unexpected \"}\"]\n"},
		{"\nassert a == 1\n\n# Since \"x\" in Linux 3.7,\n# we use PRR.\nassert b == 4, b\n",
			"PyAssert: assert a == 1\nPyAssert: assert b == 4, b\n"},
		{"assert a == 1 and b != 2 or not c", "PyAssert: assert a == 1 and b != 2 or not c\n"},
		{"assert (a or b) and not (c and d)", "PyAssert: assert (a or b) and not (c and d)\n"},
		{"assert not not a", "PyAssert: assert not not a\n"},
		{"x = -(1 + 2) * 3 ** -2 // 4 % 5 - ~6 << 1 >> 2 ^ 7 | 8 & 9",
			"PyAssign: x = -(1 + 2) * 3 ** -2 // 4 % 5 - ~6 << 1 >> 2 ^ 7 | 8 & 9\n"},
		{"x = (a - b) - (c - d) + +e", "PyAssign: x = a - b - (c - d) + +e\n"},
		{"x = (2 ** 3) ** 2 * (a == b)", "PyAssign: x = (2 ** 3) ** 2 * (a == b)\n"},
		{"assert f(a, (b, c), (d,), (), g())", "PyAssert: assert f(a, (b, c), (d,), (), g())\n"},
		{"x = \"a\\'b\" 'c\\n\\x41\\q'", "PyAssign: x = 'a\\'bc\\x0aA\\\\q'\n"},
		{"print(a, b,)", "PyExprStmt: print(a, b)\n"},
		{"x = (1, 2,)", "PyAssign: x = (1, 2)\n"},
		{"assert x == True, None", "PyAssert: assert x == True, None\n"},
		{"x=1;;y=2", "PyAssign: x = 1\nPyAssign: y = 2\n"},
		{"assert x == 1 # trailing comment", "PyAssert: assert x == 1\n"},
		{"s = 'a;b#c'  ; t = \"(\"", "PyAssign: s = 'a;b#c'\nPyAssign: t = '('\n"},
		{"x = f(1,\n      2)", "PyAssign: x = f(1, 2)\n"},
		{"x |= 1 << 3", "PyAssign: x |= 1 << 3\n"},
		{"  ", ""},

		// Outside the subset.
		{"if x:\n    assert y\nz = 1", "PyUnsupported: if x:\n    assert y\nz = 1 [compound statement \"if\"]\n"},
		{"a = 1\nfor i in range(3): pass", "PyAssign: a = 1\nPyUnsupported: for i in range(3): pass [compound statement \"for\"]\n"},
		{"import os", "PyUnsupported: import os [statement \"import\" is not supported]\n"},
		{"x.y = 1", "PyUnsupported: x.y = 1 [unexpected \".\"]\n"},
		{"assert x in y", "PyUnsupported: assert x in y [operator \"in\" is not supported]\n"},
		{"assert x is not None", "PyUnsupported: assert x is not None [operator \"is\" is not supported]\n"},
		{"a, b = 1, 2", "PyUnsupported: a, b = 1, 2 [unexpected \",\"]\n"},
		{"x = 1.5", "PyUnsupported: x = 1.5 [unsupported number \"1.5\"]\n"},
		{"x = 017", "PyUnsupported: x = 017 [unsupported number \"017\"]\n"},
		{"x = f'{y}'", "PyUnsupported: x = f'{y}' [prefixed string literals are not supported]\n"},
		{"x = 'open", "PyUnsupported: x = 'open [unterminated string literal 'open]\n"},
		{"x = '''doc'''", "PyUnsupported: x = '''doc''' [triple-quoted strings are not supported]\n"},
		{"x = $", "PyUnsupported: x = $ [unexpected character '$']\n"},
		{"x = (1", "PyUnsupported: x = (1 [expected \")\", found end of statement]\n"},
		{"x = (1 2)", "PyUnsupported: x = (1 2) [expected \")\", found \"2\"]\n"},
		{"True = 1", "PyUnsupported: True = 1 [cannot assign to keyword \"True\"]\n"},
		{"assert", "PyUnsupported: assert [unexpected end of statement]\n"},
		{"f(x=1)", "PyUnsupported: f(x=1) [expected \")\", found \"=\"]\n"},
		{"x = lambda: 1", "PyUnsupported: x = lambda: 1 [keyword \"lambda\" is not supported here]\n"},
		{"x = 1 + not y", "PyUnsupported: x = 1 + not y [unexpected \"not\"]\n"},
		{"x = 99999999999999999999", "PyUnsupported: x = 99999999999999999999 [unsupported number \"99999999999999999999\"]\n"},
	}
	for _, tc := range cases {
		got := pyShape(ParsePython(Pos{"p", 1, 1}, tc.code))
		if got != tc.want {
			t.Errorf("%q:\n got %q\nwant %q", tc.code, got, tc.want)
		}
	}
}

func TestParsePythonAST(t *testing.T) {
	stmts := ParsePython(Pos{"p.pkt", 3, 9}, " cwnd += 1;\n  assert 1 <= x < 0x10, 'x=%d' % x")
	want := []PyStmt{
		&PyAssign{Pos: Pos{"p.pkt", 3, 10}, Text: "cwnd += 1", Name: "cwnd", Op: "+=", Value: &PyInt{Pos: Pos{"p.pkt", 3, 18}, Value: 1}},
		&PyAssert{Pos: Pos{"p.pkt", 4, 3}, Text: "assert 1 <= x < 0x10, 'x=%d' % x",
			Cond: &PyCompare{Pos: Pos{"p.pkt", 4, 10},
				Operands: []PyExpr{&PyInt{Pos: Pos{"p.pkt", 4, 10}, Value: 1}, &PyName{Pos: Pos{"p.pkt", 4, 15}, Name: "x"}, &PyInt{Pos: Pos{"p.pkt", 4, 19}, Value: 16}},
				Ops:      []string{"<=", "<"}},
			Msg: &PyBinary{Pos: Pos{"p.pkt", 4, 32}, Op: "%", X: &PyStr{Pos: Pos{"p.pkt", 4, 25}, Value: "x=%d"}, Y: &PyName{Pos: Pos{"p.pkt", 4, 34}, Name: "x"}}},
	}
	if !reflect.DeepEqual(stmts, want) {
		t.Errorf("got:\n%#v\nwant:\n%#v", stmts, want)
		for i := range stmts {
			t.Logf("%d: %s", i, pyShape(stmts[i:i+1]))
		}
	}
	for _, s := range stmts {
		if s.Source() == "" {
			t.Errorf("%T has no source", s)
		}
	}
	u := ParsePython(Pos{"p", 1, 1}, "del x")[0]
	if u.Source() != "del x" || u.Position() != (Pos{"p", 1, 1}) {
		t.Errorf("unsupported statement = %#v", u)
	}
	if e := ParsePython(Pos{"p", 1, 1}, "print(1)")[0]; e.Source() != "print(1)" {
		t.Errorf("expression statement source = %q", e.Source())
	}
}

// TestPyStringRoundTrip checks that printing a python expression and
// parsing it again gives the same tree.
func TestPyStringRoundTrip(t *testing.T) {
	exprs := []string{
		"a - (b - c)", "(a - b) - c", "a ** b ** c", "(a ** b) ** c", "-a ** b", "(-a) ** b",
		"not a == b", "(not a) == b", "a < b == c", "(a < b) == c", "a | b ^ c & d << e + f * g",
		"((a | b) ^ c) & d", "~-+a", "f((a, b), g(c))", "'\\x00\\'\\\\'", "a and (b or c)",
		"x % (y % z)", "(x // y) // z", "x // (y * z)",
	}
	for _, src := range exprs {
		a := ParsePython(Pos{}, "x = "+src)
		as, ok := a[0].(*PyAssign)
		if !ok {
			t.Errorf("%q: %s", src, pyShape(a))
			continue
		}
		printed := as.Value.String()
		b := ParsePython(Pos{}, "x = "+printed)
		bs, ok := b[0].(*PyAssign)
		if !ok {
			t.Errorf("%q printed as %q, which does not parse: %s", src, printed, pyShape(b))
			continue
		}
		clearPositions(reflect.ValueOf(as.Value))
		clearPositions(reflect.ValueOf(bs.Value))
		if !reflect.DeepEqual(as.Value, bs.Value) {
			t.Errorf("%q printed as %q changes the tree", src, printed)
		}
	}
}
