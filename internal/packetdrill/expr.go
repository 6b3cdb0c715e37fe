package packetdrill

// Expr is a system call argument or result: *IntLit, *StringLit,
// *Ident, *Null, *Ellipsis, *BinaryExpr, *AddrOf, *ListExpr,
// *StructExpr or *CallExpr.
type Expr interface {
	Position() Pos
	// String prints the expression in canonical packetdrill syntax.
	String() string
	expr()
}

// IntLit is an integer: decimal, "0x" hex, or negative ("-1").
type IntLit struct {
	Pos   Pos
	Value int64
	Hex   bool // written in hex; only affects printing
}

// StringLit is a double-quoted string with C escapes; Value holds the
// decoded bytes.
type StringLit struct {
	Pos   Pos
	Value string
}

// Ident is a bare word: a symbolic constant (SOCK_STREAM), an errno name,
// or a type name inside sizeof.
type Ident struct {
	Pos  Pos
	Name string
}

// Null is the NULL pointer.
type Null struct {
	Pos Pos
}

// Ellipsis is "...": the runner supplies a sensible value.
type Ellipsis struct {
	Pos Pos
}

// BinaryExpr is "X | Y" (flags OR-ed together). Op is always "|".
type BinaryExpr struct {
	Pos Pos
	Op  string
	X   Expr
	Y   Expr
}

// AddrOf is "&X".
type AddrOf struct {
	Pos Pos
	X   Expr
}

// ListExpr is "[a, b, ...]": a pointer to an int ("[1]"), an iovec
// array, a pollfd array or a cmsg list.
type ListExpr struct {
	Pos   Pos
	Elems []Expr
}

// StructExpr is "{field, ...}": a struct literal such as a sockaddr,
// msghdr, iovec ("{..., 40}"), pollfd or epoll_event.
type StructExpr struct {
	Pos    Pos
	Fields []*Field
}

// Field is one struct literal member: "name=value", "name(index)=value"
// (msg_name(...)=..., msg_iov(1)=[...]) or a positional "value".
type Field struct {
	Pos   Pos
	Name  string // "" for a positional member
	Index Expr   // the parenthesised argument after Name, or nil
	Value Expr
}

// CallExpr is "fun(args)" inside an argument, such as sizeof(int) or
// htons(8080).
type CallExpr struct {
	Pos  Pos
	Fun  string
	Args []Expr
}

// Position implements Expr.
func (e *IntLit) Position() Pos { return e.Pos }

// Position implements Expr.
func (e *StringLit) Position() Pos { return e.Pos }

// Position implements Expr.
func (e *Ident) Position() Pos { return e.Pos }

// Position implements Expr.
func (e *Null) Position() Pos { return e.Pos }

// Position implements Expr.
func (e *Ellipsis) Position() Pos { return e.Pos }

// Position implements Expr.
func (e *BinaryExpr) Position() Pos { return e.Pos }

// Position implements Expr.
func (e *AddrOf) Position() Pos { return e.Pos }

// Position implements Expr.
func (e *ListExpr) Position() Pos { return e.Pos }

// Position implements Expr.
func (e *StructExpr) Position() Pos { return e.Pos }

// Position implements Expr.
func (e *CallExpr) Position() Pos { return e.Pos }

func (*IntLit) expr()     {}
func (*StringLit) expr()  {}
func (*Ident) expr()      {}
func (*Null) expr()       {}
func (*Ellipsis) expr()   {}
func (*BinaryExpr) expr() {}
func (*AddrOf) expr()     {}
func (*ListExpr) expr()   {}
func (*StructExpr) expr() {}
func (*CallExpr) expr()   {}

// Lookup returns the first member of the struct literal called name, or
// nil.
func (e *StructExpr) Lookup(name string) *Field {
	for _, f := range e.Fields {
		if f.Name == name {
			return f
		}
	}
	return nil
}
