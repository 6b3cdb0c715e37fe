package packetdrill

import (
	"encoding/binary"
	"fmt"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/socket"
)

// msghdr is a script's {msg_name(...)=..., msg_iov(N)=[...],
// msg_control=[...], msg_flags=F} evaluated.
type msghdr struct {
	msg      socket.Msg
	flags    int64
	hasFlags bool
	cmsgs    []cmsg
}

// cmsg is an expected or given control message with an int payload.
type cmsg struct {
	level, typ int64
	data       int64
}

// sizeofCmsghdr is struct cmsghdr on x86-64: a 64-bit length, the level
// and the type.
const sizeofCmsghdr = 16

// parseMsghdr reads a msghdr literal. send says the message is sent: its
// name "..." is the peer's address; a received message gets a buffer
// for the sender's.
func (e *executor) parseMsghdr(x Expr, send bool) (*msghdr, error) {
	st, ok := x.(*StructExpr)
	if !ok {
		return nil, fmt.Errorf("expected a msghdr {msg_name(...)=..., msg_iov(N)=[...], msg_flags=F}, found %s", x)
	}
	h := &msghdr{}
	for _, f := range st.Fields {
		switch f.Name {
		case "msg_name":
			switch v := f.Value.(type) {
			case *Ellipsis:
				if send {
					h.msg.Name = e.marshalAddr(e.sockRemote, scriptPort)
				} else {
					h.msg.Name = make([]byte, abi.SizeofSockaddrStorage)
				}
			case *Null:
			default:
				b, err := e.sockaddr(v, nil, false)
				if err != nil {
					return nil, err
				}
				h.msg.Name = b
			}
		case "msg_iov":
			list, ok := f.Value.(*ListExpr)
			if !ok {
				return nil, fmt.Errorf("msg_iov must be a list of iovecs, found %s", f.Value)
			}
			for _, el := range list.Elems {
				b, err := e.iovec(el)
				if err != nil {
					return nil, err
				}
				h.msg.Iov = append(h.msg.Iov, b)
			}
			if f.Index != nil {
				n, err := e.evalInt(f.Index)
				if err == nil && n != int64(len(h.msg.Iov)) {
					return nil, fmt.Errorf("msg_iov(%d) lists %d iovecs", n, len(h.msg.Iov))
				}
			}
		case "msg_flags":
			v, err := e.evalInt(f.Value)
			if err != nil {
				return nil, err
			}
			h.flags, h.hasFlags = v, true
		case "msg_control":
			list, ok := f.Value.(*ListExpr)
			if !ok {
				return nil, fmt.Errorf("msg_control must be a list of cmsgs, found %s", f.Value)
			}
			for _, el := range list.Elems {
				c, err := e.parseCmsg(el)
				if err != nil {
					return nil, err
				}
				h.cmsgs = append(h.cmsgs, c)
			}
		default:
			return nil, unsupported("msghdr field %s", f.Name)
		}
	}
	return h, nil
}

// iovec reads {..., len} (or {iov_base=..., iov_len=len}): a buffer of
// len zero bytes.
func (e *executor) iovec(x Expr) ([]byte, error) {
	st, ok := x.(*StructExpr)
	if !ok || len(st.Fields) != 2 {
		return nil, fmt.Errorf("expected an iovec {..., len}, found %s", x)
	}
	base, n := st.Fields[0].Value, st.Fields[1].Value
	if f := st.Lookup("iov_base"); f != nil {
		base = f.Value
	}
	if f := st.Lookup("iov_len"); f != nil {
		n = f.Value
	}
	length, err := e.evalInt(n)
	if err != nil {
		return nil, err
	}
	return e.buffer(base, length)
}

// parseCmsg reads {cmsg_level=L, cmsg_type=T, cmsg_data=V}.
func (e *executor) parseCmsg(x Expr) (cmsg, error) {
	st, ok := x.(*StructExpr)
	if !ok {
		return cmsg{}, fmt.Errorf("expected {cmsg_level=..., cmsg_type=..., cmsg_data=...}, found %s", x)
	}
	var c cmsg
	for _, f := range st.Fields {
		v, err := e.evalInt(f.Value)
		if err != nil {
			return cmsg{}, unsupported("cmsg field %s", f)
		}
		switch f.Name {
		case "cmsg_level":
			c.level = v
		case "cmsg_type":
			c.typ = v
		case "cmsg_data":
			c.data = v
		default:
			return cmsg{}, unsupported("cmsg field %s", f.Name)
		}
	}
	return c, nil
}

func prepSendmsg(e *executor, l *SyscallLine) (*preparedCall, error) {
	if err := args(l, 3, 3); err != nil {
		return nil, err
	}
	fd, err := e.argFD(l, 0)
	if err != nil {
		return nil, err
	}
	h, err := e.parseMsghdr(l.Args[1], true)
	if err != nil {
		return nil, err
	}
	if len(h.cmsgs) > 0 {
		return nil, unsupported("sendmsg() with control messages")
	}
	flags, err := e.argInt(l, 2)
	if err != nil {
		return nil, err
	}
	return &preparedCall{run: func() (int64, error) { return n64(e.proc.SendmsgRaw(fd, &h.msg, int(flags))) }}, nil
}

func prepRecvmsg(e *executor, l *SyscallLine) (*preparedCall, error) {
	if err := args(l, 3, 3); err != nil {
		return nil, err
	}
	fd, err := e.argFD(l, 0)
	if err != nil {
		return nil, err
	}
	h, err := e.parseMsghdr(l.Args[1], false)
	if err != nil {
		return nil, err
	}
	if len(h.cmsgs) > 0 {
		h.msg.Control = make([]byte, 256)
	}
	flags, err := e.argInt(l, 2)
	if err != nil {
		return nil, err
	}
	return &preparedCall{
		run:   func() (int64, error) { return n64(e.proc.RecvmsgRaw(fd, &h.msg, int(flags))) },
		check: func(int64) *Mismatch { return h.checkReceived() },
	}, nil
}

// checkReceived compares msg_flags and the control messages a receive
// returned with the script's.
func (h *msghdr) checkReceived() *Mismatch {
	m := &Mismatch{What: "recvmsg output"}
	if h.hasFlags && int64(h.msg.Flags) != h.flags {
		m.add("msg_flags", fmt.Sprintf("0x%x", h.flags), fmt.Sprintf("0x%x", h.msg.Flags))
	}
	got := parseCmsgs(h.msg.Control[:min(h.msg.ControlLen, len(h.msg.Control))])
	for _, want := range h.cmsgs {
		found := false
		for _, c := range got {
			if c.level == want.level && c.typ == want.typ {
				found = true
				if c.data != want.data {
					m.add(fmt.Sprintf("cmsg %d/%d data", want.level, want.typ), fmt.Sprint(want.data), fmt.Sprint(c.data))
				}
			}
		}
		if !found {
			m.add(fmt.Sprintf("cmsg %d/%d", want.level, want.typ), "present", "absent")
		}
	}
	if len(m.Diffs) == 0 {
		return nil
	}
	return m
}

// parseCmsgs reads the control messages of a buffer, taking each
// payload as an int.
func parseCmsgs(b []byte) []cmsg {
	var out []cmsg
	for len(b) >= sizeofCmsghdr {
		n := int(binary.LittleEndian.Uint64(b))
		if n < sizeofCmsghdr || n > len(b) {
			break
		}
		c := cmsg{level: int64(int32(binary.LittleEndian.Uint32(b[8:]))), typ: int64(int32(binary.LittleEndian.Uint32(b[12:])))}
		c.data = littleEndianInt(b[sizeofCmsghdr:n])
		out = append(out, c)
		b = b[min(len(b), (n+7)&^7):]
	}
	return out
}
