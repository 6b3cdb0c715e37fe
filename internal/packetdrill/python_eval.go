package packetdrill

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
)

// Inline python blocks are evaluated on the spot, not by a python
// interpreter: the statements the corpus uses (GRAMMAR.md section 8) over
// the socket under test's TCP_INFO, decoded by field name from the bytes
// getsockopt returns in Linux's layout. Variables persist from block to
// block. Anything else makes the script unsupported.

// pyValue is an int, a string or a tuple.
type pyValue struct {
	i     int64
	s     string
	isStr bool
	tuple []pyValue
	isTup bool
}

// String prints the value as python's str() does.
func (v pyValue) String() string {
	switch {
	case v.isStr:
		return v.s
	case v.isTup:
		parts := make([]string, len(v.tuple))
		for i, t := range v.tuple {
			parts[i] = t.String()
		}
		return "(" + strings.Join(parts, ", ") + ")"
	}
	return strconv.FormatInt(v.i, 10)
}

// pyState holds the script's python variables.
type pyState struct {
	vars    map[string]pyValue
	defined map[string]bool // names assigned by blocks checked so far
}

func newPyState() *pyState {
	return &pyState{vars: make(map[string]pyValue), defined: make(map[string]bool)}
}

// pyAssignOps are the assignment operators supported, with the binary
// operator each applies.
var pyAssignOps = map[string]string{
	"=": "", "+=": "+", "-=": "-", "*=": "*", "//=": "//", "%=": "%",
	"&=": "&", "|=": "|", "^=": "^", "<<=": "<<", ">>=": ">>",
}

// check verifies, before the script runs, that a block stays inside the
// supported subset.
func (p *pyState) check(l *PythonLine) error {
	for _, st := range l.Stmts {
		switch st := st.(type) {
		case *PyUnsupported:
			return unsupported("python: %s: %s", st.Reason, firstLine(st.Text))
		case *PyAssert:
			if err := p.checkExpr(st.Cond); err != nil {
				return err
			}
			if st.Msg != nil {
				if err := p.checkExpr(st.Msg); err != nil {
					return err
				}
			}
		case *PyAssign:
			if _, ok := pyAssignOps[st.Op]; !ok {
				return unsupported("python: assignment %s", st.Op)
			}
			if st.Op != "=" && !p.defined[st.Name] {
				return unsupported("python: name %s is not defined", st.Name)
			}
			if err := p.checkExpr(st.Value); err != nil {
				return err
			}
			p.defined[st.Name] = true
		case *PyExprStmt:
			c, ok := st.X.(*PyCall)
			if !ok || c.Func != "print" {
				return unsupported("python: statement %s", firstLine(st.Text))
			}
			for _, a := range c.Args {
				if err := p.checkExpr(a); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// checkExpr verifies the names, operators and calls of an expression.
func (p *pyState) checkExpr(x PyExpr) error {
	switch x := x.(type) {
	case *PyName:
		if f, ok := strings.CutPrefix(x.Name, "tcpi_"); ok {
			if _, ok := tcpInfoLayout[f]; !ok {
				return unsupported("python: %s is not a field of struct tcp_info the runner decodes", x.Name)
			}
			return nil
		}
		if _, ok := pyConstants[x.Name]; ok || p.defined[x.Name] {
			return nil
		}
		return unsupported("python: name %s is not defined", x.Name)
	case *PyInt, *PyStr:
		return nil
	case *PyUnary:
		return p.checkExpr(x.X)
	case *PyBinary:
		switch x.Op {
		case "/", "**":
			return unsupported("python: operator %s", x.Op)
		}
		if err := p.checkExpr(x.X); err != nil {
			return err
		}
		return p.checkExpr(x.Y)
	case *PyCompare:
		for _, o := range x.Operands {
			if err := p.checkExpr(o); err != nil {
				return err
			}
		}
		return nil
	case *PyTuple:
		for _, o := range x.Elems {
			if err := p.checkExpr(o); err != nil {
				return err
			}
		}
		return nil
	case *PyCall:
		switch x.Func {
		case "int", "str", "hex", "abs":
			if len(x.Args) != 1 {
				return unsupported("python: %s() with %d arguments", x.Func, len(x.Args))
			}
			return p.checkExpr(x.Args[0])
		}
		return unsupported("python: function %s()", x.Func)
	}
	return unsupported("python: expression %s", x)
}

// usesTCPInfo reports whether a block names a tcpi_* field.
func usesTCPInfo(l *PythonLine) bool {
	return strings.Contains(l.Code, "tcpi_")
}

// python runs a block at its time against the socket under test.
func (e *executor) python(l *PythonLine, start time.Duration) error {
	if err := e.advanceTo(start); err != nil {
		return err
	}
	if err := e.completeReturned(); err != nil {
		return err
	}
	var info []byte
	if usesTCPInfo(l) {
		var err error
		if info, err = e.tcpInfo(); err != nil {
			return lineErr(l, err)
		}
	}
	e.tracef("python %s", strings.Join(strings.Fields(l.Code), " "))
	env := &pyEnv{st: e.py, info: info}
	for _, st := range l.Stmts {
		if err := env.exec(st); err != nil {
			if se, ok := err.(*stepError); ok {
				se.pos, se.line = st.Position(), l.String()
				return se
			}
			return lineErr(l, err)
		}
	}
	e.anchor = start
	return nil
}

// tcpInfo reads TCP_INFO of the socket under test.
func (e *executor) tcpInfo() ([]byte, error) {
	if e.childAwait {
		return nil, unsupported("python: the socket under test is a child not yet accepted, which has no descriptor")
	}
	fd, ok := e.fds[e.sut]
	if e.sut < 0 || !ok {
		return nil, unsupported("python: no socket under test to read TCP_INFO from")
	}
	buf := make([]byte, 512)
	n, err := e.proc.Getsockopt(fd, abi.SOL_TCP, abi.TCP_INFO, buf)
	if err != nil {
		en, _ := errno.Of(err)
		return nil, unsupported("python: tcpi_* needs TCP_INFO of the socket under test (getsockopt: %s)", en.Name())
	}
	return buf[:min(n, len(buf))], nil
}

// pyEnv evaluates statements with one TCP_INFO snapshot.
type pyEnv struct {
	st   *pyState
	info []byte
}

func (env *pyEnv) exec(st PyStmt) error {
	switch st := st.(type) {
	case *PyAssert:
		v, err := env.eval(st.Cond)
		if err != nil {
			return err
		}
		if v.truth() {
			return nil
		}
		detail := "assert " + st.Cond.String()
		if st.Msg != nil {
			if msg, err := env.eval(st.Msg); err == nil {
				detail += "\n  message: " + msg.String()
			}
		}
		if vals := env.namesIn(st.Cond); vals != "" {
			detail += "\n  values:  " + vals
		}
		return &stepError{outcome: Fail, reason: "python assertion failed: " + st.Cond.String(), detail: detail}
	case *PyAssign:
		v, err := env.eval(st.Value)
		if err != nil {
			return err
		}
		if op := pyAssignOps[st.Op]; op != "" {
			if v, err = pyArith(op, env.st.vars[st.Name], v); err != nil {
				return err
			}
		}
		env.st.vars[st.Name] = v
	case *PyExprStmt:
		// print(...): evaluated for errors, output dropped.
		_, err := env.eval(st.X)
		return err
	}
	return nil
}

// namesIn lists the values of the names an expression uses.
func (env *pyEnv) namesIn(x PyExpr) string {
	seen := map[string]string{}
	var walk func(PyExpr)
	walk = func(x PyExpr) {
		switch x := x.(type) {
		case *PyName:
			if v, err := env.eval(x); err == nil {
				seen[x.Name] = v.String()
			}
		case *PyUnary:
			walk(x.X)
		case *PyBinary:
			walk(x.X)
			walk(x.Y)
		case *PyCompare:
			for _, o := range x.Operands {
				walk(o)
			}
		case *PyCall:
			for _, a := range x.Args {
				walk(a)
			}
		}
	}
	walk(x)
	names := make([]string, 0, len(seen))
	for n := range seen {
		if _, isConst := pyConstants[n]; !isConst {
			names = append(names, n+"="+seen[n])
		}
	}
	sort.Strings(names)
	return strings.Join(names, " ")
}

func (v pyValue) truth() bool {
	switch {
	case v.isStr:
		return v.s != ""
	case v.isTup:
		return len(v.tuple) > 0
	}
	return v.i != 0
}

func pyInt(i int64) pyValue { return pyValue{i: i} }

func pyBool(b bool) pyValue {
	if b {
		return pyInt(1)
	}
	return pyInt(0)
}

func (env *pyEnv) eval(x PyExpr) (pyValue, error) {
	switch x := x.(type) {
	case *PyInt:
		return pyInt(x.Value), nil
	case *PyStr:
		return pyValue{s: x.Value, isStr: true}, nil
	case *PyName:
		if f, ok := strings.CutPrefix(x.Name, "tcpi_"); ok {
			v, ok := tcpInfoValue(env.info, tcpInfoLayout[f])
			if !ok {
				return pyValue{}, unsupported("python: %s lies beyond the %d bytes of tcp_info gosock returned", x.Name, len(env.info))
			}
			return pyInt(v), nil
		}
		if v, ok := env.st.vars[x.Name]; ok {
			return v, nil
		}
		if v, ok := pyConstants[x.Name]; ok {
			return pyInt(v), nil
		}
		return pyValue{}, fmt.Errorf("python: name %s is not defined", x.Name)
	case *PyUnary:
		v, err := env.eval(x.X)
		if err != nil {
			return v, err
		}
		switch x.Op {
		case "not":
			return pyBool(!v.truth()), nil
		case "-":
			return pyInt(-v.i), nil
		case "+":
			return v, nil
		case "~":
			return pyInt(^v.i), nil
		}
	case *PyBinary:
		a, err := env.eval(x.X)
		if err != nil {
			return a, err
		}
		switch x.Op {
		case "and":
			if !a.truth() {
				return a, nil
			}
			return env.eval(x.Y)
		case "or":
			if a.truth() {
				return a, nil
			}
			return env.eval(x.Y)
		}
		b, err := env.eval(x.Y)
		if err != nil {
			return b, err
		}
		return pyArith(x.Op, a, b)
	case *PyCompare:
		left, err := env.eval(x.Operands[0])
		if err != nil {
			return left, err
		}
		for i, op := range x.Ops {
			right, err := env.eval(x.Operands[i+1])
			if err != nil {
				return right, err
			}
			if !pyCompare(op, left, right) {
				return pyBool(false), nil
			}
			left = right
		}
		return pyBool(true), nil
	case *PyTuple:
		t := pyValue{isTup: true}
		for _, el := range x.Elems {
			v, err := env.eval(el)
			if err != nil {
				return v, err
			}
			t.tuple = append(t.tuple, v)
		}
		return t, nil
	case *PyCall:
		var vals []pyValue
		for _, a := range x.Args {
			v, err := env.eval(a)
			if err != nil {
				return v, err
			}
			vals = append(vals, v)
		}
		switch x.Func {
		case "print":
			return pyValue{}, nil
		case "int":
			return pyInt(vals[0].i), nil
		case "str":
			return pyValue{s: vals[0].String(), isStr: true}, nil
		case "hex":
			return pyValue{s: fmt.Sprintf("0x%x", vals[0].i), isStr: true}, nil
		case "abs":
			return pyInt(max(vals[0].i, -vals[0].i)), nil
		}
	}
	return pyValue{}, unsupported("python: expression %s", x)
}

// pyArith applies a binary operator; "%" with a string on the left
// formats, as python's printf-style operator.
func pyArith(op string, a, b pyValue) (pyValue, error) {
	if a.isStr {
		switch op {
		case "%":
			return pyValue{s: pyFormat(a.s, b), isStr: true}, nil
		case "+":
			return pyValue{s: a.s + b.String(), isStr: true}, nil
		}
		return pyValue{}, fmt.Errorf("python: unsupported operand types for %s: str", op)
	}
	if b.isStr || a.isTup || b.isTup {
		return pyValue{}, fmt.Errorf("python: unsupported operand types for %s", op)
	}
	x, y := a.i, b.i
	switch op {
	case "+":
		return pyInt(x + y), nil
	case "-":
		return pyInt(x - y), nil
	case "*":
		return pyInt(x * y), nil
	case "//", "%":
		if y == 0 {
			return pyValue{}, fmt.Errorf("python: integer division or modulo by zero")
		}
		q, r := x/y, x%y
		if r != 0 && (r < 0) != (y < 0) { // python floors
			q, r = q-1, r+y
		}
		if op == "//" {
			return pyInt(q), nil
		}
		return pyInt(r), nil
	case "&":
		return pyInt(x & y), nil
	case "|":
		return pyInt(x | y), nil
	case "^":
		return pyInt(x ^ y), nil
	case "<<":
		return pyInt(x << uint(y&63)), nil
	case ">>":
		return pyInt(x >> uint(y&63)), nil
	}
	return pyValue{}, unsupported("python: operator %s", op)
}

func pyCompare(op string, a, b pyValue) bool {
	if a.isStr || b.isStr {
		switch op {
		case "==":
			return a.isStr == b.isStr && a.s == b.s
		case "!=":
			return !(a.isStr == b.isStr && a.s == b.s)
		}
		return false
	}
	switch op {
	case "==":
		return a.i == b.i
	case "!=":
		return a.i != b.i
	case "<":
		return a.i < b.i
	case "<=":
		return a.i <= b.i
	case ">":
		return a.i > b.i
	case ">=":
		return a.i >= b.i
	}
	return false
}

// pyFormat applies printf-style formatting with %d, %s, %x and %%.
func pyFormat(f string, arg pyValue) string {
	args := []pyValue{arg}
	if arg.isTup {
		args = arg.tuple
	}
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		if f[i] != '%' || i+1 == len(f) {
			b.WriteByte(f[i])
			continue
		}
		i++
		if f[i] == '%' {
			b.WriteByte('%')
			continue
		}
		if len(args) == 0 {
			b.WriteString("%" + string(f[i]))
			continue
		}
		a := args[0]
		args = args[1:]
		switch f[i] {
		case 'x':
			fmt.Fprintf(&b, "%x", a.i)
		default:
			b.WriteString(a.String())
		}
	}
	return b.String()
}
