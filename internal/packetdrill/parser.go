package packetdrill

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// ParseFile reads and parses the script at path. defines maps names to
// replacement text, as the upstream tool's "-D NAME=value" flags do (see
// Parse). An error reading the file is returned as is; a syntax error is
// a *ParseError.
func ParseFile(path string, defines map[string]string) (*Script, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, src, defines)
}

// Parse parses the script src; name is used as Script.Path and as the
// file name of positions. Every bare word of the script equal to a key of
// defines is replaced by the tokens of its value before parsing (not
// inside strings, shell commands or python blocks); for example
// {"TFO_COOKIE": "3021b9d889017eeb"} turns "FOEXP TFO_COOKIE" into
// "FOEXP 3021b9d889017eeb". Errors are *ParseError.
func Parse(name string, src []byte, defines map[string]string) (*Script, error) {
	for k := range defines {
		if !isIdent(k) {
			return nil, &ParseError{File: name, Line: 1, Col: 1, Msg: fmt.Sprintf("define name %q is not an identifier", k)}
		}
	}
	p := &parser{lx: newLexer(name, string(src), defines)}
	return p.parseScript()
}

// ParseDefines turns "NAME=value" strings (the argument of the upstream
// tool's -D flag) into a defines map for Parse. A later entry overrides
// an earlier one.
func ParseDefines(list []string) (map[string]string, error) {
	m := make(map[string]string, len(list))
	for _, d := range list {
		k, v, ok := strings.Cut(d, "=")
		if !ok || !isIdent(k) {
			return nil, fmt.Errorf("packetdrill: bad define %q: want NAME=value", d)
		}
		m[k] = v
	}
	return m, nil
}

func isIdent(s string) bool {
	if s == "" || !isLetter(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isAlnum(s[i]) {
			return false
		}
	}
	return true
}

// bailout carries a *ParseError up the recursive descent via panic.
type bailout struct{ err *ParseError }

type parser struct {
	lx     *lexer
	tok    token
	hasTok bool
}

func (p *parser) fail(err error) {
	if pe, ok := err.(*ParseError); ok {
		panic(bailout{pe})
	}
	panic(err)
}

func (p *parser) errorf(pos Pos, format string, args ...any) {
	panic(bailout{errorAt(pos, format, args...)})
}

func (p *parser) peek() token {
	if !p.hasTok {
		t, err := p.lx.next()
		if err != nil {
			p.fail(err)
		}
		p.tok, p.hasTok = t, true
	}
	return p.tok
}

func (p *parser) next() token {
	t := p.peek()
	p.hasTok = false
	return t
}

// accept consumes the next token if it is the punctuation s.
func (p *parser) accept(s string) bool {
	if p.peek().is(s) {
		p.next()
		return true
	}
	return false
}

func (p *parser) expect(s, context string) token {
	t := p.next()
	if !t.is(s) {
		p.errorf(t.pos, "expected %q %s, found %s", s, context, t.describe())
	}
	return t
}

func (p *parser) parseScript() (s *Script, err error) {
	defer func() {
		if r := recover(); r != nil {
			b, ok := r.(bailout)
			if !ok {
				panic(r)
			}
			s, err = nil, b.err
		}
	}()
	s = &Script{Path: p.lx.file}
	for p.peek().kind == tokOption {
		t := p.next()
		s.Options = append(s.Options, &Option{Pos: t.pos, Name: t.text, Value: t.val, HasValue: t.hasVal})
	}
	var cleanup *CommandLine
	for {
		t := p.peek()
		if t.kind == tokEOF {
			return s, nil
		}
		if cleanup != nil {
			p.errorf(t.pos, "unexpected %s after the untimed cleanup command at line %d (an untimed shell command must come before the first event or after the last one)", t.describe(), cleanup.Pos.Line)
		}
		switch t.kind {
		case tokOption:
			p.errorf(t.pos, "option --%s must come before the first command or event", t.text)
		case tokCommand:
			p.next()
			c := &CommandLine{Pos: t.pos, Time: TimeSpec{Pos: t.pos}, Command: t.text}
			if len(s.Lines) > 0 {
				cleanup = c
			}
			s.Lines = append(s.Lines, c)
			continue
		}
		s.Lines = append(s.Lines, p.parseEvent())
	}
}

// parseEvent parses "<time> <action>".
func (p *parser) parseEvent() Line {
	start := p.peek()
	tm, block := p.parseTime()
	t := p.peek()
	if block != nil {
		if t.kind != tokIdent {
			p.errorf(block.Pos, `only a system call can block ("...")`)
		}
		if block.End < tm.Start {
			p.errorf(block.Pos, "blocking call ends at %s, before it starts at %s", fmtSeconds(block.End), tm.String())
		}
	}
	var l Line
	switch {
	case t.is("<") || t.is(">"):
		l = p.parsePacket(start.pos, tm)
	case t.kind == tokCommand:
		p.next()
		l = &CommandLine{Pos: start.pos, Time: tm, Command: t.text}
	case t.kind == tokPython:
		p.next()
		l = &PythonLine{Pos: start.pos, Time: tm, Code: t.text, Stmts: ParsePython(t.codePos, t.text)}
	case t.kind == tokIdent:
		sc := p.parseSyscall(start.pos, tm)
		sc.Block = block
		l = sc
	default:
		p.errorf(t.pos, "expected a packet (< or >), system call, shell command or python block after the time, found %s", t.describe())
	}
	return l
}

// parseTime parses a time spec and an optional "...end" blocking suffix.
func (p *parser) parseTime() (TimeSpec, *BlockSpec) {
	t := p.peek()
	ts := TimeSpec{Pos: t.pos}
	if p.accept("*") {
		ts.Kind = TimeAny
		if e := p.peek(); e.kind == tokEllipsis || e.is("~") {
			p.errorf(e.pos, `the any-time "*" cannot take %s`, e.describe())
		}
		return ts, nil
	}
	if !t.is("+") && t.kind != tokNumber {
		p.errorf(t.pos, "expected a time (such as 0.1, +0.1 or *) at the start of an event, found %s", t.describe())
	}
	var rel bool
	rel, ts.Start = p.parseTimeValue()
	ts.End = ts.Start
	ts.Kind = TimeAbsolute
	if rel {
		ts.Kind = TimeRelative
	}
	if w := p.peek(); w.is("~") {
		p.next()
		e := p.peek()
		rel2, end := p.parseTimeValue()
		if rel2 != rel {
			p.errorf(e.pos, "both ends of a time window must be relative (+a~+b) or both absolute (a~b)")
		}
		if end < ts.Start {
			p.errorf(e.pos, "time window ends (%s) before it starts (%s)", fmtSeconds(end), fmtSeconds(ts.Start))
		}
		ts.End, ts.Window = end, true
	}
	e := p.peek()
	if e.kind != tokEllipsis {
		return ts, nil
	}
	p.next()
	if ts.Window {
		p.errorf(e.pos, "a blocking call cannot start in a time window")
	}
	bt := p.peek()
	if bt.is("+") {
		p.errorf(bt.pos, `the end of a blocking call is written without "+": it uses the start's time base`)
	}
	_, end := p.parseTimeValue()
	return ts, &BlockSpec{Pos: bt.pos, End: end}
}

// parseTimeValue parses "[+]seconds".
func (p *parser) parseTimeValue() (rel bool, d time.Duration) {
	rel = p.accept("+")
	t := p.next()
	if t.kind != tokNumber {
		p.errorf(t.pos, "expected a time in seconds, found %s", t.describe())
	}
	d, err := parseSeconds(t.text)
	if err != "" {
		p.errorf(t.pos, "bad time %q: %s", t.text, err)
	}
	return rel, d
}

// maxSeconds keeps times well inside time.Duration.
const maxSeconds = 1_000_000_000

// parseSeconds parses decimal seconds with up to 9 fractional digits.
func parseSeconds(s string) (time.Duration, string) {
	ip, fp, _ := strings.Cut(s, ".")
	if fp == "" && strings.HasSuffix(s, ".") || len(fp) > 9 {
		return 0, "at most 9 decimal places"
	}
	if ip == "" {
		ip = "0"
	}
	for _, c := range []byte(ip + fp) {
		if !isDigit(c) {
			return 0, "not a decimal number"
		}
	}
	sec, err := strconv.ParseUint(ip, 10, 64)
	if err != nil || sec > maxSeconds {
		return 0, "too large"
	}
	ns := uint64(0)
	if fp != "" {
		n, _ := strconv.ParseUint(fp+strings.Repeat("0", 9-len(fp)), 10, 64)
		ns = n
	}
	return time.Duration(sec)*time.Second + time.Duration(ns), ""
}

// parseSyscall parses "name(args) = result [ERRNO] [(note)]".
func (p *parser) parseSyscall(pos Pos, tm TimeSpec) *SyscallLine {
	name := p.next()
	sc := &SyscallLine{Pos: pos, Time: tm, Name: name.text}
	p.expect("(", "after the system call name "+name.text)
	sc.Args = p.parseExprList(")", "system call arguments")
	p.expect("=", "before the result of "+name.text+"()")
	sc.Result = p.parseResult()
	if t := p.peek(); t.kind == tokIdent {
		p.next()
		sc.Errno = t.text
	}
	if t := p.peek(); t.is("(") {
		if t.define != "" {
			p.errorf(t.pos, "the note after a system call result cannot come from define %s", t.define)
		}
		p.next()
		text, err := p.lx.rawParen(t.pos)
		if err != nil {
			p.fail(err)
		}
		sc.Note = strings.TrimSpace(text)
	}
	return sc
}

// parseResult parses a result: an integer, a symbol, or an OR of those.
func (p *parser) parseResult() Expr {
	x := p.parseResultTerm()
	for p.peek().is("|") {
		op := p.next()
		x = &BinaryExpr{Pos: op.pos, Op: "|", X: x, Y: p.parseResultTerm()}
	}
	return x
}

func (p *parser) parseResultTerm() Expr {
	t := p.peek()
	switch {
	case t.is("-") || t.kind == tokNumber:
		return p.parseInt()
	case t.kind == tokIdent:
		p.next()
		if t.text == "NULL" {
			return &Null{Pos: t.pos}
		}
		return &Ident{Pos: t.pos, Name: t.text}
	}
	p.errorf(t.pos, "expected a result value, found %s", t.describe())
	return nil
}

// parseExprList parses comma-separated expressions up to the closing
// punctuation, which it consumes.
func (p *parser) parseExprList(closing, what string) []Expr {
	var list []Expr
	if p.accept(closing) {
		return list
	}
	for {
		list = append(list, p.parseExpr())
		t := p.next()
		if t.is(closing) {
			return list
		}
		if !t.is(",") {
			p.errorf(t.pos, "expected \",\" or %q in %s, found %s", closing, what, t.describe())
		}
	}
}

// parseExpr parses an argument: terms joined by "|".
func (p *parser) parseExpr() Expr {
	x := p.parseUnary()
	for p.peek().is("|") {
		op := p.next()
		x = &BinaryExpr{Pos: op.pos, Op: "|", X: x, Y: p.parseUnary()}
	}
	return x
}

func (p *parser) parseUnary() Expr {
	t := p.peek()
	switch {
	case t.is("-") || t.kind == tokNumber:
		return p.parseInt()
	case t.is("&"):
		p.next()
		return &AddrOf{Pos: t.pos, X: p.parseUnary()}
	case t.kind == tokString:
		p.next()
		return &StringLit{Pos: t.pos, Value: t.text}
	case t.kind == tokEllipsis:
		p.next()
		return &Ellipsis{Pos: t.pos}
	case t.is("["):
		p.next()
		return &ListExpr{Pos: t.pos, Elems: p.parseExprList("]", "list")}
	case t.is("{"):
		return p.parseStruct()
	case t.kind == tokIdent:
		p.next()
		if t.text == "NULL" {
			return &Null{Pos: t.pos}
		}
		if p.accept("(") {
			if t.text == "sizeof" {
				return p.parseSizeof(t)
			}
			return &CallExpr{Pos: t.pos, Fun: t.text, Args: p.parseExprList(")", t.text+"() arguments")}
		}
		return &Ident{Pos: t.pos, Name: t.text}
	}
	p.errorf(t.pos, "expected an argument, found %s", t.describe())
	return nil
}

// parseSizeof parses the rest of "sizeof(type)" after the "(": the type
// is one or more words ("int", "struct sockaddr_in"), kept as one Ident.
func (p *parser) parseSizeof(fun token) Expr {
	t := p.next()
	if t.kind != tokIdent {
		p.errorf(t.pos, "expected a type name in sizeof(), found %s", t.describe())
	}
	name := t.text
	for p.peek().kind == tokIdent {
		name += " " + p.next().text
	}
	p.expect(")", "after the type name in sizeof()")
	return &CallExpr{Pos: fun.pos, Fun: "sizeof", Args: []Expr{&Ident{Pos: t.pos, Name: name}}}
}

// parseInt parses an optionally negative integer, decimal or 0x hex.
func (p *parser) parseInt() *IntLit {
	start := p.peek()
	neg := p.accept("-")
	t := p.next()
	if t.kind != tokNumber {
		p.errorf(t.pos, "expected a number after \"-\", found %s", t.describe())
	}
	v, hex, ok := parseUint(t.text)
	if !ok {
		p.errorf(t.pos, "bad number %q", t.text)
	}
	if v > 1<<63-1 && !(neg && v == 1<<63) {
		p.errorf(t.pos, "number %s out of range", t.text)
	}
	x := int64(v)
	if neg {
		x = -x
	}
	return &IntLit{Pos: start.pos, Value: x, Hex: hex}
}

// parseUint parses a decimal or "0x" hex unsigned integer.
func parseUint(s string) (v uint64, hex, ok bool) {
	base := 10
	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		s, base, hex = s[2:], 16, true
	}
	if s == "" || s[0] == '+' || s[0] == '-' || strings.ContainsRune(s, '_') {
		return 0, false, false
	}
	v, err := strconv.ParseUint(s, base, 64)
	return v, hex, err == nil
}

// parseStruct parses "{field, ...}".
func (p *parser) parseStruct() Expr {
	open := p.next()
	st := &StructExpr{Pos: open.pos}
	if p.accept("}") {
		return st
	}
	for {
		st.Fields = append(st.Fields, p.parseField())
		t := p.next()
		if t.is("}") {
			return st
		}
		if !t.is(",") {
			p.errorf(t.pos, `expected "," or "}" in struct, found %s`, t.describe())
		}
	}
}

// parseField parses "name=value", "name(index)=value" or "value".
func (p *parser) parseField() *Field {
	t := p.peek()
	if t.kind != tokIdent || t.text == "NULL" || t.text == "sizeof" {
		return &Field{Pos: t.pos, Value: p.parseExpr()}
	}
	p.next()
	f := &Field{Pos: t.pos, Name: t.text}
	if p.accept("=") {
		f.Value = p.parseExpr()
		return f
	}
	if !p.accept("(") {
		// A positional symbol, possibly OR-ed with more.
		var x Expr = &Ident{Pos: t.pos, Name: t.text}
		for p.peek().is("|") {
			op := p.next()
			x = &BinaryExpr{Pos: op.pos, Op: "|", X: x, Y: p.parseUnary()}
		}
		return &Field{Pos: t.pos, Value: x}
	}
	args := p.parseExprList(")", t.text+"(...)")
	if !p.accept("=") {
		// A positional call such as htons(8080).
		var x Expr = &CallExpr{Pos: t.pos, Fun: t.text, Args: args}
		for p.peek().is("|") {
			op := p.next()
			x = &BinaryExpr{Pos: op.pos, Op: "|", X: x, Y: p.parseUnary()}
		}
		return &Field{Pos: t.pos, Value: x}
	}
	if len(args) != 1 {
		p.errorf(t.pos, "struct member %s(...) takes exactly one value in parentheses, found %d", t.text, len(args))
	}
	f.Index = args[0]
	f.Value = p.parseExpr()
	return f
}
