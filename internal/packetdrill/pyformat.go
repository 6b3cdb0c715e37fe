package packetdrill

import (
	"strconv"
	"strings"
)

// String prints "assert cond[, msg]".
func (s *PyAssert) String() string {
	if s.Msg == nil {
		return "assert " + s.Cond.String()
	}
	return "assert " + s.Cond.String() + ", " + s.Msg.String()
}

// String prints "name op value".
func (s *PyAssign) String() string { return s.Name + " " + s.Op + " " + s.Value.String() }

// String prints the expression.
func (s *PyExprStmt) String() string { return s.X.String() }

// String returns the statement's source text.
func (s *PyUnsupported) String() string { return s.Text }

// Binding strengths of python expressions, loosest first.
const (
	pyPrecOr = iota + 1
	pyPrecAnd
	pyPrecNot
	pyPrecCompare
	pyPrecBitOr
	pyPrecBitXor
	pyPrecBitAnd
	pyPrecShift
	pyPrecArith
	pyPrecTerm
	pyPrecUnary
	pyPrecPower
	pyPrecAtom
)

func pyPrec(e PyExpr) int {
	switch e := e.(type) {
	case *PyBinary:
		switch e.Op {
		case "or":
			return pyPrecOr
		case "and":
			return pyPrecAnd
		case "|":
			return pyPrecBitOr
		case "^":
			return pyPrecBitXor
		case "&":
			return pyPrecBitAnd
		case "<<", ">>":
			return pyPrecShift
		case "+", "-":
			return pyPrecArith
		case "**":
			return pyPrecPower
		}
		return pyPrecTerm
	case *PyUnary:
		if e.Op == "not" {
			return pyPrecNot
		}
		return pyPrecUnary
	case *PyCompare:
		return pyPrecCompare
	}
	return pyPrecAtom
}

// pyWrap prints e, in parentheses if it binds looser than min.
func pyWrap(e PyExpr, min int) string {
	if pyPrec(e) < min {
		return "(" + e.String() + ")"
	}
	return e.String()
}

// String returns the name.
func (e *PyName) String() string { return e.Name }

// String prints the integer in decimal.
func (e *PyInt) String() string { return strconv.FormatInt(e.Value, 10) }

// String prints the string as a python literal.
func (e *PyStr) String() string {
	var b strings.Builder
	b.WriteByte('\'')
	for i := 0; i < len(e.Value); i++ {
		c := e.Value[i]
		switch {
		case c == '\'' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c >= 0x20 && c < 0x7f:
			b.WriteByte(c)
		default:
			b.WriteString(`\x`)
			b.WriteString(strconv.FormatUint(uint64(c)>>4, 16))
			b.WriteString(strconv.FormatUint(uint64(c)&15, 16))
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// String prints the unary expression.
func (e *PyUnary) String() string {
	if e.Op == "not" {
		return "not " + pyWrap(e.X, pyPrecNot)
	}
	return e.Op + pyWrap(e.X, pyPrecUnary)
}

// String prints the binary expression, adding parentheses as needed.
func (e *PyBinary) String() string {
	p := pyPrec(e)
	left, right := p, p+1
	if e.Op == "**" {
		left, right = p+1, pyPrecUnary // right-associative; -x binds inside
	}
	return pyWrap(e.X, left) + " " + e.Op + " " + pyWrap(e.Y, right)
}

// String prints the comparison chain.
func (e *PyCompare) String() string {
	var b strings.Builder
	for i, x := range e.Operands {
		if i > 0 {
			b.WriteString(" " + e.Ops[i-1] + " ")
		}
		b.WriteString(pyWrap(x, pyPrecBitOr))
	}
	return b.String()
}

// String prints the call.
func (e *PyCall) String() string {
	parts := make([]string, len(e.Args))
	for i, a := range e.Args {
		parts[i] = a.String()
	}
	return e.Func + "(" + strings.Join(parts, ", ") + ")"
}

// String prints the tuple, with a trailing comma when it has one element.
func (e *PyTuple) String() string {
	parts := make([]string, len(e.Elems))
	for i, a := range e.Elems {
		parts[i] = a.String()
	}
	if len(parts) == 1 {
		return "(" + parts[0] + ",)"
	}
	return "(" + strings.Join(parts, ", ") + ")"
}
