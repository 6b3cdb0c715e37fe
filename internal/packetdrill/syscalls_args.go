package packetdrill

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"net/netip"

	"github.com/gosock/gosock/abi"
)

// badFDBase is where script descriptors that name nothing the script
// opened are sent, so the call sees a descriptor that is not open.
const badFDBase = 1 << 20

// evalInt evaluates an integer argument: a number, a symbol, an OR of
// those, htons() and friends.
func (e *executor) evalInt(x Expr) (int64, error) {
	switch x := x.(type) {
	case *IntLit:
		return x.Value, nil
	case *Ident:
		if v, ok := symbols[x.Name]; ok {
			return v, nil
		}
		return 0, unsupported("symbol %s is not known to the runner", x.Name)
	case *BinaryExpr:
		a, err := e.evalInt(x.X)
		if err != nil {
			return 0, err
		}
		b, err := e.evalInt(x.Y)
		if err != nil {
			return 0, err
		}
		return a | b, nil
	case *Null:
		return 0, nil
	case *CallExpr:
		if len(x.Args) != 1 {
			break
		}
		v, err := e.evalInt(x.Args[0])
		if err != nil {
			return 0, err
		}
		switch x.Fun {
		case "htons", "ntohs":
			return int64(bits.ReverseBytes16(uint16(v))), nil
		case "htonl", "ntohl":
			return int64(bits.ReverseBytes32(uint32(v))), nil
		}
	}
	return 0, fmt.Errorf("expected an integer argument, found %s", x)
}

// argInt evaluates argument i of l as an integer.
func (e *executor) argInt(l *SyscallLine, i int) (int64, error) {
	if i >= len(l.Args) {
		return 0, fmt.Errorf("%s() needs at least %d arguments", l.Name, i+1)
	}
	return e.evalInt(l.Args[i])
}

// argFD evaluates argument i of l as a script descriptor and returns the
// process's descriptor it stands for.
func (e *executor) argFD(l *SyscallLine, i int) (int, error) {
	v, err := e.argInt(l, i)
	if err != nil {
		return 0, err
	}
	return e.fd(v), nil
}

// fd translates a script descriptor.
func (e *executor) fd(v int64) int {
	if real, ok := e.fds[int(v)]; ok {
		return real
	}
	if v < 0 {
		return int(v)
	}
	return badFDBase + int(v)
}

// args checks the argument count of l.
func args(l *SyscallLine, min, max int) error {
	if n := len(l.Args); n < min || n > max {
		if min == max {
			return fmt.Errorf("%s() takes %d arguments, found %d", l.Name, min, n)
		}
		return fmt.Errorf("%s() takes %d to %d arguments, found %d", l.Name, min, max, n)
	}
	return nil
}

// buffer returns a data buffer of n bytes: zeros for "...", the bytes of
// a string.
func (e *executor) buffer(x Expr, n int64) ([]byte, error) {
	if n < 0 || n > 1<<28 {
		return nil, fmt.Errorf("buffer length %d out of range", n)
	}
	switch x := x.(type) {
	case *Ellipsis:
		return make([]byte, n), nil
	case *StringLit:
		b := make([]byte, n)
		copy(b, x.Value)
		return b, nil
	case *Null:
		if n == 0 {
			return nil, nil
		}
		return nil, unsupported("a NULL buffer (for EFAULT) cannot be passed through the sys API")
	}
	return nil, fmt.Errorf("expected a buffer (...), found %s", x)
}

// pointedInt evaluates "[v]", a pointer to an int.
func (e *executor) pointedInt(x Expr) (int64, bool, error) {
	l, ok := x.(*ListExpr)
	if !ok {
		return 0, false, nil
	}
	if len(l.Elems) != 1 {
		return 0, false, fmt.Errorf("expected [value], found %s", x)
	}
	v, err := e.evalInt(l.Elems[0])
	return v, true, err
}

// sockaddr builds the address argument x: "..." is the stack's address
// (self) or the peer's, port 8080; NULL none; AF_UNSPEC a bare
// AF_UNSPEC address; a struct its fields. lenArg, if an integer, sets the
// length passed.
func (e *executor) sockaddr(x, lenArg Expr, self bool) ([]byte, error) {
	var b []byte
	switch x := x.(type) {
	case *Ellipsis:
		a := e.sockRemote
		if self {
			a = e.sockLocal
		}
		b = e.marshalAddr(a, scriptPort)
	case *Null:
		return nil, nil
	case *Ident:
		if x.Name != "AF_UNSPEC" {
			return nil, fmt.Errorf("expected an address, found %s", x.Name)
		}
		b = make([]byte, 16)
	case *StructExpr:
		var err error
		if b, err = e.structAddr(x); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("expected an address, found %s", x)
	}
	if lenArg != nil {
		if _, ok := lenArg.(*Ellipsis); !ok {
			n, err := e.evalInt(lenArg)
			if err != nil {
				return nil, err
			}
			if n < 0 || n > abi.SizeofSockaddrStorage+1 {
				return nil, unsupported("address length %d cannot be passed through the sys API", n)
			}
			b = append(b, make([]byte, max(0, int(n)-len(b)))...)[:n]
		}
	}
	return b, nil
}

// marshalAddr encodes a sockaddr_in or sockaddr_in6.
func (e *executor) marshalAddr(a netip.Addr, port int) []byte {
	var sa abi.Sockaddr
	if a.Is4() {
		sa = &abi.SockaddrInet4{Port: port, Addr: a.As4()}
	} else {
		sa = &abi.SockaddrInet6{Port: port, Addr: a.As16()}
	}
	var buf [abi.SizeofSockaddrStorage]byte
	n, _ := abi.Marshal(sa, buf[:])
	return append([]byte(nil), buf[:n]...)
}

// structAddr builds an address from {sa_family=..., sin_port=htons(N),
// sin_addr=inet_addr("a.b.c.d")} and the sin6 equivalents.
func (e *executor) structAddr(x *StructExpr) ([]byte, error) {
	family, port := int64(-1), int64(0)
	var addr netip.Addr
	for _, f := range x.Fields {
		switch f.Name {
		case "sa_family", "sin_family", "sin6_family":
			v, err := e.evalInt(f.Value)
			if err != nil {
				return nil, err
			}
			family = v
		case "sin_port", "sin6_port":
			v, err := e.evalInt(f.Value)
			if err != nil {
				return nil, err
			}
			if c, ok := f.Value.(*CallExpr); ok && (c.Fun == "htons") {
				v = int64(bits.ReverseBytes16(uint16(v)))
			}
			port = v
		case "sin_addr", "sin6_addr":
			c, ok := f.Value.(*CallExpr)
			if !ok || len(c.Args) != 1 {
				return nil, unsupported("address field %s", f)
			}
			s, ok := c.Args[0].(*StringLit)
			if !ok {
				return nil, unsupported("address field %s", f)
			}
			a, err := netip.ParseAddr(s.Value)
			if err != nil {
				return nil, fmt.Errorf("bad address %q", s.Value)
			}
			addr = a
		default:
			return nil, unsupported("address field %s", f.Name)
		}
	}
	switch family {
	case abi.AF_INET:
		if !addr.IsValid() {
			addr = netip.IPv4Unspecified()
		}
		if !addr.Is4() {
			return nil, fmt.Errorf("AF_INET address %s", addr)
		}
		return e.marshalAddr(addr, int(port)), nil
	case abi.AF_INET6:
		if !addr.IsValid() {
			addr = netip.IPv6Unspecified()
		}
		return e.marshalAddr(netip.AddrFrom16(addr.As16()), int(port)), nil
	case abi.AF_UNSPEC:
		return make([]byte, 16), nil
	}
	return nil, unsupported("address family %d in a struct", family)
}

// optionValue builds a setsockopt value: "[v]" an int of length n, a
// string its bytes, {l_onoff=..., l_linger=...} a linger.
func (e *executor) optionValue(x Expr, n int64) ([]byte, error) {
	if n < 0 || n > 1<<16 {
		return nil, fmt.Errorf("option length %d out of range", n)
	}
	if v, ok, err := e.pointedInt(x); ok || err != nil {
		if err != nil {
			return nil, err
		}
		b := make([]byte, max(n, 8))
		binary.LittleEndian.PutUint64(b, uint64(v))
		return b[:n], nil
	}
	switch x := x.(type) {
	case *StringLit:
		b := make([]byte, n)
		copy(b, x.Value)
		return b, nil
	case *Null:
		if n == 0 {
			return nil, nil
		}
		return nil, unsupported("a NULL option value (for EFAULT) cannot be passed through the sys API")
	case *IntLit, *Ident, *BinaryExpr:
		v, err := e.evalInt(x)
		if err != nil {
			return nil, err
		}
		b := make([]byte, max(n, 8))
		binary.LittleEndian.PutUint64(b, uint64(v))
		return b[:n], nil
	case *StructExpr:
		var out []byte
		for _, f := range x.Fields {
			v, err := e.evalInt(f.Value)
			if err != nil {
				return nil, err
			}
			out = binary.LittleEndian.AppendUint32(out, uint32(v))
		}
		b := make([]byte, n)
		copy(b, out)
		return b, nil
	}
	return nil, fmt.Errorf("expected an option value, found %s", x)
}
