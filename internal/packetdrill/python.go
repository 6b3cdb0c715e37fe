package packetdrill

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// PyStmt is one statement of an inline python block: *PyAssert,
// *PyAssign, *PyExprStmt or *PyUnsupported.
type PyStmt interface {
	Position() Pos
	// Source is the statement's source text.
	Source() string
	// String prints the statement (canonical form for the supported
	// statements, the source text for unsupported ones).
	String() string
	pyStmt()
}

// PyAssert is "assert Cond[, Msg]".
type PyAssert struct {
	Pos  Pos
	Text string
	Cond PyExpr
	Msg  PyExpr // nil if absent
}

// PyAssign is "Name Op Value" where Op is "=" or an augmented assignment
// such as "+=".
type PyAssign struct {
	Pos   Pos
	Text  string
	Name  string
	Op    string
	Value PyExpr
}

// PyExprStmt is an expression used as a statement, such as print(x).
type PyExprStmt struct {
	Pos  Pos
	Text string
	X    PyExpr
}

// PyUnsupported is a statement outside the supported subset, kept as
// text. A compound statement (if, for, ...) makes the rest of the block
// one PyUnsupported.
type PyUnsupported struct {
	Pos    Pos
	Text   string
	Reason string
}

// PyExpr is an expression of the python subset: *PyName, *PyInt,
// *PyStr, *PyUnary, *PyBinary, *PyCompare, *PyCall or *PyTuple.
type PyExpr interface {
	Position() Pos
	String() string
	pyExpr()
}

// PyName is a variable such as tcpi_snd_cwnd or TCP_CA_Open.
type PyName struct {
	Pos  Pos
	Name string
}

// PyInt is an integer literal.
type PyInt struct {
	Pos   Pos
	Value int64
}

// PyStr is a string literal (adjacent literals are joined).
type PyStr struct {
	Pos   Pos
	Value string
}

// PyUnary is "-X", "+X", "~X" or "not X".
type PyUnary struct {
	Pos Pos
	Op  string
	X   PyExpr
}

// PyBinary is "X Op Y" for the arithmetic, bitwise and boolean ("and",
// "or") operators.
type PyBinary struct {
	Pos Pos
	Op  string
	X   PyExpr
	Y   PyExpr
}

// PyCompare is a comparison chain "a < b <= c": len(Ops) ==
// len(Operands)-1, each op one of == != < <= > >=.
type PyCompare struct {
	Pos      Pos
	Operands []PyExpr
	Ops      []string
}

// PyCall is "Func(Args...)".
type PyCall struct {
	Pos  Pos
	Func string
	Args []PyExpr
}

// PyTuple is "(a, b, ...)".
type PyTuple struct {
	Pos   Pos
	Elems []PyExpr
}

// Position implements PyStmt.
func (s *PyAssert) Position() Pos { return s.Pos }

// Position implements PyStmt.
func (s *PyAssign) Position() Pos { return s.Pos }

// Position implements PyStmt.
func (s *PyExprStmt) Position() Pos { return s.Pos }

// Position implements PyStmt.
func (s *PyUnsupported) Position() Pos { return s.Pos }

// Source implements PyStmt.
func (s *PyAssert) Source() string { return s.Text }

// Source implements PyStmt.
func (s *PyAssign) Source() string { return s.Text }

// Source implements PyStmt.
func (s *PyExprStmt) Source() string { return s.Text }

// Source implements PyStmt.
func (s *PyUnsupported) Source() string { return s.Text }

func (*PyAssert) pyStmt()      {}
func (*PyAssign) pyStmt()      {}
func (*PyExprStmt) pyStmt()    {}
func (*PyUnsupported) pyStmt() {}

// Position implements PyExpr.
func (e *PyName) Position() Pos { return e.Pos }

// Position implements PyExpr.
func (e *PyInt) Position() Pos { return e.Pos }

// Position implements PyExpr.
func (e *PyStr) Position() Pos { return e.Pos }

// Position implements PyExpr.
func (e *PyUnary) Position() Pos { return e.Pos }

// Position implements PyExpr.
func (e *PyBinary) Position() Pos { return e.Pos }

// Position implements PyExpr.
func (e *PyCompare) Position() Pos { return e.Pos }

// Position implements PyExpr.
func (e *PyCall) Position() Pos { return e.Pos }

// Position implements PyExpr.
func (e *PyTuple) Position() Pos { return e.Pos }

func (*PyName) pyExpr()    {}
func (*PyInt) pyExpr()     {}
func (*PyStr) pyExpr()     {}
func (*PyUnary) pyExpr()   {}
func (*PyBinary) pyExpr()  {}
func (*PyCompare) pyExpr() {}
func (*PyCall) pyExpr()    {}
func (*PyTuple) pyExpr()   {}

// ParsePython parses the code of a "%{ ... }%" block into statements;
// start is the position of the code's first byte. Statements are
// separated by newlines and ";"; "\" joins lines, as do open
// parentheses; "#" starts a comment. It never fails: what falls outside
// the subset becomes a *PyUnsupported.
func ParsePython(start Pos, code string) []PyStmt {
	pc := &pyCode{code: code, start: start}
	var out []PyStmt
	for _, seg := range pc.split() {
		toks, err := pc.tokenize(seg[0], seg[1])
		if len(toks) == 0 && err == nil {
			continue // blank or comment only
		}
		first := seg[0]
		if len(toks) > 0 {
			first = toks[0].off
		}
		if len(toks) > 0 && pyCompound[toks[0].text] && toks[0].kind == pyTokName {
			out = append(out, &PyUnsupported{Pos: pc.pos(first), Text: strings.TrimSpace(code[first:]),
				Reason: fmt.Sprintf("compound statement %q", toks[0].text)})
			return out
		}
		text := strings.TrimSpace(code[first:seg[1]])
		if len(toks) > 0 && err == nil {
			text = code[first:toks[len(toks)-1].end]
		}
		if err != nil {
			out = append(out, &PyUnsupported{Pos: pc.pos(first), Text: text, Reason: err.Error()})
			continue
		}
		out = append(out, pc.parseStmt(toks, text))
	}
	return out
}

var pyCompound = map[string]bool{
	"if": true, "elif": true, "else": true, "for": true, "while": true, "def": true,
	"class": true, "try": true, "except": true, "finally": true, "with": true, "async": true,
}

type pyCode struct {
	code  string
	start Pos
	nl    []int // offsets of the code's newlines
}

// pos maps a byte offset of the code to a file position.
func (pc *pyCode) pos(off int) Pos {
	if pc.nl == nil {
		pc.nl = []int{}
		for i := 0; i < len(pc.code); i++ {
			if pc.code[i] == '\n' {
				pc.nl = append(pc.nl, i)
			}
		}
	}
	line := sort.SearchInts(pc.nl, off) // newlines before off
	p := pc.start
	if line == 0 {
		p.Col += off
		return p
	}
	p.Line += line
	p.Col = off - pc.nl[line-1]
	return p
}

// split cuts the code into statement segments [start, end).
func (pc *pyCode) split() [][2]int {
	var segs [][2]int
	c := pc.code
	depth, start := 0, 0
	for i := 0; i < len(c); i++ {
		switch ch := c[i]; ch {
		case '#':
			for i+1 < len(c) && c[i+1] != '\n' {
				i++
			}
		case '\'', '"':
			i = skipPyString(c, i) - 1
		case '\\':
			if i+1 < len(c) && c[i+1] == '\n' {
				i++
			} else if i+2 < len(c) && c[i+1] == '\r' && c[i+2] == '\n' {
				i += 2
			}
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			if depth > 0 {
				depth--
			}
		case '\n', ';':
			if depth == 0 {
				segs = append(segs, [2]int{start, i})
				start = i + 1
			}
		}
	}
	return append(segs, [2]int{start, len(c)})
}

// skipPyString returns the offset just past the string literal at i
// (or the end of the line if it is unterminated).
func skipPyString(c string, i int) int {
	q := c[i]
	if strings.HasPrefix(c[i:], strings.Repeat(string(q), 3)) {
		if j := strings.Index(c[i+3:], strings.Repeat(string(q), 3)); j >= 0 {
			return i + 3 + j + 3
		}
		return len(c)
	}
	for j := i + 1; j < len(c); j++ {
		switch c[j] {
		case '\\':
			j++
		case q:
			return j + 1
		case '\n':
			return j
		}
	}
	return len(c)
}

type pyTokKind uint8

const (
	pyTokEOF pyTokKind = iota
	pyTokName
	pyTokInt
	pyTokStr
	pyTokOp
)

type pyTok struct {
	kind     pyTokKind
	text     string // name, operator, or the decoded string
	val      int64
	off, end int
}

var pyOps = []string{
	"**=", "//=", ">>=", "<<=", "**", "//", "==", "!=", "<=", ">=", "<<", ">>",
	"+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "->", ":=",
	"+", "-", "*", "/", "%", "&", "|", "^", "~", "<", ">", "(", ")", "[", "]",
	"{", "}", ",", ":", ".", "=", "@",
}

// tokenize splits code[from:to] into tokens.
func (pc *pyCode) tokenize(from, to int) ([]pyTok, error) {
	c := pc.code[:to]
	var toks []pyTok
	for i := from; i < len(c); {
		ch := c[i]
		switch {
		case ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == '\f':
			i++
		case ch == '\\' && i+1 < len(c) && (c[i+1] == '\n' || c[i+1] == '\r'):
			i += 2
		case ch == '#':
			for i < len(c) && c[i] != '\n' {
				i++
			}
		case isLetter(ch):
			j := i
			for j < len(c) && isAlnum(c[j]) {
				j++
			}
			if j < len(c) && (c[j] == '\'' || c[j] == '"') {
				return toks, fmt.Errorf("prefixed string literals are not supported")
			}
			toks = append(toks, pyTok{kind: pyTokName, text: c[i:j], off: i, end: j})
			i = j
		case isDigit(ch) || ch == '.' && i+1 < len(c) && isDigit(c[i+1]):
			j := i
			for j < len(c) && (isAlnum(c[j]) || c[j] == '.') {
				j++
			}
			v, err := strconv.ParseInt(c[i:j], 0, 64)
			if err != nil || j-i > 1 && c[i] == '0' && isDigit(c[i+1]) {
				return toks, fmt.Errorf("unsupported number %q", c[i:j])
			}
			toks = append(toks, pyTok{kind: pyTokInt, text: c[i:j], val: v, off: i, end: j})
			i = j
		case ch == '\'' || ch == '"':
			j := skipPyString(c, i)
			lit := c[i:j]
			if strings.HasPrefix(lit, strings.Repeat(string(ch), 3)) {
				return toks, fmt.Errorf("triple-quoted strings are not supported")
			}
			if len(lit) < 2 || lit[len(lit)-1] != ch {
				return toks, fmt.Errorf("unterminated string literal %s", lit)
			}
			s := pyUnquote(lit[1 : len(lit)-1])
			toks = append(toks, pyTok{kind: pyTokStr, text: s, off: i, end: j})
			i = j
		default:
			op := ""
			for _, o := range pyOps {
				if strings.HasPrefix(c[i:], o) {
					op = o
					break
				}
			}
			if op == "" {
				return toks, fmt.Errorf("unexpected character %q", ch)
			}
			toks = append(toks, pyTok{kind: pyTokOp, text: op, off: i, end: i + len(op)})
			i += len(op)
		}
	}
	return toks, nil
}

// pyParser parses one statement's tokens.
type pyParser struct {
	pc   *pyCode
	toks []pyTok
	i    int
}

type pyError struct{ msg string }

func (p *pyParser) peek() pyTok {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	end := 0
	if len(p.toks) > 0 {
		end = p.toks[len(p.toks)-1].end
	}
	return pyTok{kind: pyTokEOF, off: end, end: end}
}

func (p *pyParser) next() pyTok {
	t := p.peek()
	if p.i < len(p.toks) {
		p.i++
	}
	return t
}

func (p *pyParser) isOp(s string) bool {
	t := p.peek()
	return t.kind == pyTokOp && t.text == s
}

func (p *pyParser) isKw(s string) bool {
	t := p.peek()
	return t.kind == pyTokName && t.text == s
}

func (p *pyParser) fail(format string, args ...any) {
	panic(pyError{fmt.Sprintf(format, args...)})
}

func (pc *pyCode) parseStmt(toks []pyTok, text string) (st PyStmt) {
	pos := pc.pos(toks[0].off)
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(pyError)
			if !ok {
				panic(r)
			}
			st = &PyUnsupported{Pos: pos, Text: text, Reason: e.msg}
		}
	}()
	p := &pyParser{pc: pc, toks: toks}
	switch {
	case p.isKw("assert"):
		p.next()
		a := &PyAssert{Pos: pos, Text: text, Cond: p.test()}
		if p.isOp(",") {
			p.next()
			a.Msg = p.test()
		}
		p.end()
		return a
	case len(toks) > 1 && toks[0].kind == pyTokName && toks[1].kind == pyTokOp && isPyAssignOp(toks[1].text):
		if pyKeywords[toks[0].text] {
			p.fail("cannot assign to keyword %q", toks[0].text)
		}
		p.i = 2
		a := &PyAssign{Pos: pos, Text: text, Name: toks[0].text, Op: toks[1].text, Value: p.test()}
		p.end()
		return a
	case toks[0].kind == pyTokName && pyKeywords[toks[0].text] && !pyExprKeywords[toks[0].text]:
		p.fail("statement %q is not supported", toks[0].text)
	}
	s := &PyExprStmt{Pos: pos, Text: text, X: p.test()}
	p.end()
	return s
}

func (p *pyParser) end() {
	if t := p.peek(); t.kind != pyTokEOF {
		p.fail("unexpected %q", p.pc.code[t.off:t.end])
	}
}

func isPyAssignOp(s string) bool {
	switch s {
	case "=", "+=", "-=", "*=", "/=", "//=", "%=", "&=", "|=", "^=", "<<=", ">>=", "**=":
		return true
	}
	return false
}

var pyKeywords = map[string]bool{
	"False": true, "None": true, "True": true, "and": true, "as": true, "assert": true,
	"async": true, "await": true, "break": true, "class": true, "continue": true, "def": true,
	"del": true, "elif": true, "else": true, "except": true, "finally": true, "for": true,
	"from": true, "global": true, "if": true, "import": true, "in": true, "is": true,
	"lambda": true, "nonlocal": true, "not": true, "or": true, "pass": true, "raise": true,
	"return": true, "try": true, "while": true, "with": true, "yield": true,
}

// pyExprKeywords are keywords that may start an expression.
var pyExprKeywords = map[string]bool{"not": true, "True": true, "False": true, "None": true}

func (p *pyParser) test() PyExpr { return p.orTest() }

func (p *pyParser) orTest() PyExpr {
	x := p.andTest()
	for p.isKw("or") {
		t := p.next()
		x = &PyBinary{Pos: p.pc.pos(t.off), Op: "or", X: x, Y: p.andTest()}
	}
	return x
}

func (p *pyParser) andTest() PyExpr {
	x := p.notTest()
	for p.isKw("and") {
		t := p.next()
		x = &PyBinary{Pos: p.pc.pos(t.off), Op: "and", X: x, Y: p.notTest()}
	}
	return x
}

func (p *pyParser) notTest() PyExpr {
	if p.isKw("not") {
		t := p.next()
		return &PyUnary{Pos: p.pc.pos(t.off), Op: "not", X: p.notTest()}
	}
	return p.comparison()
}

func (p *pyParser) comparison() PyExpr {
	x := p.binary(0)
	var c *PyCompare
	for {
		t := p.peek()
		if t.kind == pyTokName && (t.text == "in" || t.text == "is" || t.text == "not") {
			p.fail("operator %q is not supported", t.text)
		}
		if t.kind != pyTokOp {
			break
		}
		switch t.text {
		case "==", "!=", "<", "<=", ">", ">=":
		default:
			if c != nil {
				return c
			}
			return x
		}
		p.next()
		if c == nil {
			c = &PyCompare{Pos: x.Position(), Operands: []PyExpr{x}}
		}
		c.Ops = append(c.Ops, t.text)
		c.Operands = append(c.Operands, p.binary(0))
	}
	if c != nil {
		return c
	}
	return x
}

// pyBinLevels lists the binary operators from the loosest binding.
var pyBinLevels = [][]string{{"|"}, {"^"}, {"&"}, {"<<", ">>"}, {"+", "-"}, {"*", "/", "//", "%"}}

func (p *pyParser) binary(level int) PyExpr {
	if level == len(pyBinLevels) {
		return p.factor()
	}
	x := p.binary(level + 1)
	for {
		t := p.peek()
		found := false
		for _, op := range pyBinLevels[level] {
			found = found || t.kind == pyTokOp && t.text == op
		}
		if !found {
			return x
		}
		p.next()
		x = &PyBinary{Pos: p.pc.pos(t.off), Op: t.text, X: x, Y: p.binary(level + 1)}
	}
}

func (p *pyParser) factor() PyExpr {
	if t := p.peek(); t.kind == pyTokOp && (t.text == "-" || t.text == "+" || t.text == "~") {
		p.next()
		return &PyUnary{Pos: p.pc.pos(t.off), Op: t.text, X: p.factor()}
	}
	x := p.atom()
	if p.isOp("**") {
		t := p.next()
		return &PyBinary{Pos: p.pc.pos(t.off), Op: "**", X: x, Y: p.factor()}
	}
	return x
}

func (p *pyParser) atom() PyExpr {
	t := p.next()
	pos := p.pc.pos(t.off)
	switch t.kind {
	case pyTokInt:
		return &PyInt{Pos: pos, Value: t.val}
	case pyTokStr:
		s := t.text
		for p.peek().kind == pyTokStr {
			s += p.next().text
		}
		return &PyStr{Pos: pos, Value: s}
	case pyTokName:
		if pyKeywords[t.text] && !pyExprKeywords[t.text] {
			p.fail("keyword %q is not supported here", t.text)
		}
		if t.text == "not" {
			p.fail("unexpected \"not\"")
		}
		if !p.isOp("(") {
			return &PyName{Pos: pos, Name: t.text}
		}
		p.next()
		call := &PyCall{Pos: pos, Func: t.text}
		for !p.isOp(")") {
			call.Args = append(call.Args, p.test())
			if !p.isOp(",") {
				break
			}
			p.next()
		}
		p.expectOp(")")
		return call
	case pyTokOp:
		if t.text == "(" {
			if p.isOp(")") {
				p.next()
				return &PyTuple{Pos: pos}
			}
			x := p.test()
			if !p.isOp(",") {
				p.expectOp(")")
				return x
			}
			tup := &PyTuple{Pos: pos, Elems: []PyExpr{x}}
			for p.isOp(",") {
				p.next()
				if p.isOp(")") {
					break
				}
				tup.Elems = append(tup.Elems, p.test())
			}
			p.expectOp(")")
			return tup
		}
	case pyTokEOF:
		p.fail("unexpected end of statement")
	}
	p.fail("unexpected %q", p.pc.code[t.off:t.end])
	return nil
}

func (p *pyParser) expectOp(s string) {
	t := p.next()
	if t.kind != pyTokOp || t.text != s {
		if t.kind == pyTokEOF {
			p.fail("expected %q, found end of statement", s)
		}
		p.fail("expected %q, found %q", s, p.pc.code[t.off:t.end])
	}
}

// pyUnquote decodes the escapes of a python string literal's body.
// Unknown escapes are kept as written, as python does.
func pyUnquote(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch e := s[i]; e {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case '\\', '\'', '"':
			b.WriteByte(e)
		case '\n':
		case 'x':
			if i+2 < len(s) && hexVal(s[i+1]) >= 0 && hexVal(s[i+2]) >= 0 {
				b.WriteByte(byte(hexVal(s[i+1])*16 + hexVal(s[i+2])))
				i += 2
				break
			}
			b.WriteString("\\x")
		default:
			b.WriteByte('\\')
			b.WriteByte(e)
		}
	}
	return b.String()
}
