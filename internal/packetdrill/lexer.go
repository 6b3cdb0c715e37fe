package packetdrill

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// ParseError is a syntax error with its source position.
type ParseError struct {
	File string
	Line int
	Col  int
	Msg  string
}

// Error formats the error as "file:line:col: msg".
func (e *ParseError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

// Pos returns the error's position.
func (e *ParseError) Pos() Pos { return Pos{File: e.File, Line: e.Line, Col: e.Col} }

func errorAt(p Pos, format string, args ...any) *ParseError {
	return &ParseError{File: p.File, Line: p.Line, Col: p.Col, Msg: fmt.Sprintf(format, args...)}
}

type tokKind uint8

const (
	tokEOF      tokKind = iota
	tokIdent            // [A-Za-z_][A-Za-z0-9_]*
	tokNumber           // starts with a digit, or "." and a digit
	tokString           // "..." (text holds the decoded bytes)
	tokCommand          // `...` (text holds the raw contents)
	tokPython           // %{ ... }% (text holds the raw contents)
	tokOption           // --name[=value]
	tokEllipsis         // ...
	tokPunct            // one character of <>()[]{},:=|&~*+-.
)

type token struct {
	kind tokKind
	text string
	pos  Pos
	// For tokOption: the value after "=" and whether "=" was present.
	val    string
	hasVal bool
	// For tokPython: where the code starts (just after "%{").
	codePos Pos
	// define is the name of the define this token came from, if any.
	define string
}

func (t token) is(punct string) bool { return t.kind == tokPunct && t.text == punct }

func (t token) isWord(w string) bool { return t.kind == tokIdent && t.text == w }

// describe names a token for error messages.
func (t token) describe() string {
	switch t.kind {
	case tokEOF:
		return "end of file"
	case tokString:
		return "string"
	case tokCommand:
		return "shell command"
	case tokPython:
		return "python block"
	case tokOption:
		return fmt.Sprintf("option %q", "--"+t.text)
	case tokEllipsis:
		return `"..."`
	}
	return fmt.Sprintf("%q", t.text)
}

// maxExpansion bounds the number of tokens one define use may produce.
const maxExpansion = 10000

type lexer struct {
	file    string
	src     string
	off     int
	line    int
	col     int
	defines map[string]string
	// active holds the defines being expanded (to reject recursion).
	active map[string]bool
	queue  []token
}

func newLexer(file, src string, defines map[string]string) *lexer {
	return &lexer{file: file, src: src, line: 1, col: 1, defines: defines}
}

func (lx *lexer) pos() Pos { return Pos{File: lx.file, Line: lx.line, Col: lx.col} }

// advance moves over n bytes, keeping line and column up to date.
func (lx *lexer) advance(n int) {
	for i := 0; i < n && lx.off < len(lx.src); i++ {
		if lx.src[lx.off] == '\n' {
			lx.line++
			lx.col = 1
		} else {
			lx.col++
		}
		lx.off++
	}
}

func (lx *lexer) peekByte(i int) byte {
	if lx.off+i < len(lx.src) {
		return lx.src[lx.off+i]
	}
	return 0
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isAlnum(c byte) bool  { return isLetter(c) || isDigit(c) }
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// skipSpace skips white space and comments.
func (lx *lexer) skipSpace() error {
	for lx.off < len(lx.src) {
		c := lx.src[lx.off]
		switch {
		case isSpace(c):
			lx.advance(1)
		case c == '/' && lx.peekByte(1) == '/':
			for lx.off < len(lx.src) && lx.src[lx.off] != '\n' {
				lx.advance(1)
			}
		case c == '/' && lx.peekByte(1) == '*':
			start := lx.pos()
			end := strings.Index(lx.src[lx.off+2:], "*/")
			if end < 0 {
				return errorAt(start, "unterminated /* comment")
			}
			lx.advance(end + 4)
		default:
			return nil
		}
	}
	return nil
}

// next returns the next token, expanding defines.
func (lx *lexer) next() (token, error) {
	if len(lx.queue) > 0 {
		t := lx.queue[0]
		lx.queue = lx.queue[1:]
		return t, nil
	}
	t, err := lx.scan()
	if err != nil || t.kind != tokIdent {
		return t, err
	}
	val, ok := lx.defines[t.text]
	if !ok {
		return t, nil
	}
	if lx.active[t.text] {
		return t, errorAt(t.pos, "define %s refers to itself", t.text)
	}
	toks, err := lx.expand(t, val)
	if err != nil {
		return t, err
	}
	lx.queue = append(lx.queue, toks...)
	return lx.next()
}

// expand lexes the value of the define used at t. The tokens take t's
// position.
func (lx *lexer) expand(t token, val string) ([]token, error) {
	sub := newLexer(t.pos.File, val, lx.defines)
	sub.active = map[string]bool{t.text: true}
	for k := range lx.active {
		sub.active[k] = true
	}
	var toks []token
	for {
		st, err := sub.next()
		if err != nil {
			msg := err.Error()
			if pe, ok := err.(*ParseError); ok {
				msg = pe.Msg
			}
			return nil, errorAt(t.pos, "in define %s=%q: %s", t.text, val, msg)
		}
		if st.kind == tokEOF {
			return toks, nil
		}
		switch st.kind {
		case tokCommand, tokPython, tokOption:
			return nil, errorAt(t.pos, "define %s expands to a %s, which is not allowed", t.text, st.describe())
		}
		st.pos = t.pos
		if st.define == "" {
			st.define = t.text
		}
		toks = append(toks, st)
		if len(toks) > maxExpansion {
			return nil, errorAt(t.pos, "define %s expands to more than %d tokens", t.text, maxExpansion)
		}
	}
}

// scan returns the next raw token (no define expansion).
func (lx *lexer) scan() (token, error) {
	if err := lx.skipSpace(); err != nil {
		return token{}, err
	}
	p := lx.pos()
	if lx.off >= len(lx.src) {
		return token{kind: tokEOF, pos: p}, nil
	}
	c := lx.src[lx.off]
	start := lx.off
	switch {
	case isLetter(c):
		for lx.off < len(lx.src) && isAlnum(lx.src[lx.off]) {
			lx.advance(1)
		}
		return token{kind: tokIdent, text: lx.src[start:lx.off], pos: p}, nil
	case isDigit(c) || c == '.' && isDigit(lx.peekByte(1)):
		return lx.scanNumber(p), nil
	case c == '.' && lx.peekByte(1) == '.' && lx.peekByte(2) == '.':
		lx.advance(3)
		return token{kind: tokEllipsis, text: "...", pos: p}, nil
	case c == '"':
		return lx.scanString(p)
	case c == '`':
		end := strings.IndexByte(lx.src[lx.off+1:], '`')
		if end < 0 {
			return token{}, errorAt(p, "unterminated shell command (missing closing `)")
		}
		text := lx.src[lx.off+1 : lx.off+1+end]
		lx.advance(end + 2)
		return token{kind: tokCommand, text: text, pos: p}, nil
	case c == '%':
		if lx.peekByte(1) != '{' {
			return token{}, errorAt(p, `unexpected "%%" (python blocks are written %%{ ... }%%)`)
		}
		end := strings.Index(lx.src[lx.off+2:], "}%")
		if end < 0 {
			return token{}, errorAt(p, "unterminated python block (missing }%%)")
		}
		text := lx.src[lx.off+2 : lx.off+2+end]
		lx.advance(2)
		cp := lx.pos()
		lx.advance(end + 2)
		return token{kind: tokPython, text: text, pos: p, codePos: cp}, nil
	case c == '-' && lx.peekByte(1) == '-' && isLetter(lx.peekByte(2)):
		return lx.scanOption(p), nil
	case strings.IndexByte("<>()[]{},:=|&~*+-.", c) >= 0:
		lx.advance(1)
		return token{kind: tokPunct, text: string(c), pos: p}, nil
	case c == '#':
		return token{}, errorAt(p, `unexpected "#": comments are // or /* */ (# only starts a comment inside shell commands and python blocks)`)
	}
	r, _ := utf8.DecodeRuneInString(lx.src[lx.off:])
	if r == utf8.RuneError {
		return token{}, errorAt(p, "unexpected byte 0x%02x", c)
	}
	return token{}, errorAt(p, "unexpected character %q", r)
}

// scanNumber scans a number-like word: digits and letters ("10",
// "0x541B", "1234abcd" cookies), with an optional decimal fraction
// ("0.100", ".01").
func (lx *lexer) scanNumber(p Pos) token {
	start := lx.off
	for lx.off < len(lx.src) && isAlnum(lx.src[lx.off]) {
		lx.advance(1)
	}
	allDigits := true
	for i := start; i < lx.off; i++ {
		allDigits = allDigits && isDigit(lx.src[i])
	}
	if allDigits && lx.peekByte(0) == '.' && isDigit(lx.peekByte(1)) {
		lx.advance(1)
		for lx.off < len(lx.src) && isDigit(lx.src[lx.off]) {
			lx.advance(1)
		}
	}
	return token{kind: tokNumber, text: lx.src[start:lx.off], pos: p}
}

// scanOption scans "--name" or "--name=value"; the value runs to the
// next white space or comment.
func (lx *lexer) scanOption(p Pos) token {
	lx.advance(2)
	start := lx.off
	for lx.off < len(lx.src) && (isAlnum(lx.src[lx.off]) || lx.src[lx.off] == '-') {
		lx.advance(1)
	}
	t := token{kind: tokOption, text: lx.src[start:lx.off], pos: p}
	if lx.peekByte(0) != '=' {
		return t
	}
	lx.advance(1)
	t.hasVal = true
	start = lx.off
	for lx.off < len(lx.src) && !isSpace(lx.src[lx.off]) {
		if lx.src[lx.off] == '/' && (lx.peekByte(1) == '/' || lx.peekByte(1) == '*') {
			break
		}
		lx.advance(1)
	}
	t.val = lx.src[start:lx.off]
	return t
}

// scanString scans a C string literal. Escapes: \n \t \r \a \b \f \v
// \\ \" \' \? \xHH (one or two hex digits) and \ooo (one to three octal
// digits).
func (lx *lexer) scanString(p Pos) (token, error) {
	lx.advance(1)
	var b strings.Builder
	for {
		if lx.off >= len(lx.src) || lx.src[lx.off] == '\n' {
			return token{}, errorAt(p, "unterminated string")
		}
		c := lx.src[lx.off]
		if c == '"' {
			lx.advance(1)
			return token{kind: tokString, text: b.String(), pos: p}, nil
		}
		if c != '\\' {
			b.WriteByte(c)
			lx.advance(1)
			continue
		}
		ep := lx.pos()
		if lx.off+1 >= len(lx.src) || lx.src[lx.off+1] == '\n' {
			return token{}, errorAt(p, "unterminated string")
		}
		e := lx.src[lx.off+1]
		lx.advance(2)
		switch e {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'a':
			b.WriteByte('\a')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'v':
			b.WriteByte('\v')
		case '\\', '"', '\'', '?':
			b.WriteByte(e)
		case 'x':
			v, n := 0, 0
			for n < 2 && hexVal(lx.peekByte(0)) >= 0 {
				v = v*16 + hexVal(lx.peekByte(0))
				lx.advance(1)
				n++
			}
			if n == 0 {
				return token{}, errorAt(ep, `\x escape without hex digits`)
			}
			b.WriteByte(byte(v))
		case '0', '1', '2', '3', '4', '5', '6', '7':
			v, n := int(e-'0'), 1
			for n < 3 && lx.peekByte(0) >= '0' && lx.peekByte(0) <= '7' {
				v = v*8 + int(lx.peekByte(0)-'0')
				lx.advance(1)
				n++
			}
			if v > 0xff {
				return token{}, errorAt(ep, "octal escape out of range")
			}
			b.WriteByte(byte(v))
		default:
			return token{}, errorAt(ep, "unknown escape sequence %q", "\\"+string(rune(e)))
		}
	}
}

// rawParen reads the raw text up to the ")" matching an already consumed
// "(" at open, allowing nested parentheses. It must be called with no
// pending lookahead.
func (lx *lexer) rawParen(open Pos) (string, error) {
	depth := 0
	start := lx.off
	for lx.off < len(lx.src) {
		switch lx.src[lx.off] {
		case '(':
			depth++
		case ')':
			if depth == 0 {
				text := lx.src[start:lx.off]
				lx.advance(1)
				return text, nil
			}
			depth--
		}
		lx.advance(1)
	}
	return "", errorAt(open, `unterminated "(" (missing ")")`)
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
