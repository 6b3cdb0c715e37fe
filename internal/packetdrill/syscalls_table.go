package packetdrill

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/socket"
	gsys "github.com/gosock/gosock/sys"
)

// syscallPreparer evaluates a call line's arguments into a preparedCall.
type syscallPreparer func(e *executor, l *SyscallLine) (*preparedCall, error)

// syscallTable lists the system calls the runner makes through the sys
// API.
var syscallTable map[string]syscallPreparer

func init() {
	syscallTable = map[string]syscallPreparer{
		"socket":       prepSocket,
		"bind":         prepBind,
		"listen":       prepListen,
		"accept":       prepAccept,
		"accept4":      prepAccept,
		"connect":      prepConnect,
		"read":         prepRead,
		"write":        prepWrite,
		"send":         prepSend,
		"sendto":       prepSend,
		"recv":         prepRecv,
		"recvfrom":     prepRecv,
		"sendmsg":      prepSendmsg,
		"recvmsg":      prepRecvmsg,
		"close":        prepClose,
		"shutdown":     prepShutdown,
		"setsockopt":   prepSetsockopt,
		"getsockopt":   prepGetsockopt,
		"fcntl":        prepFcntl,
		"ioctl":        prepIoctl,
		"poll":         prepPoll,
		"epoll_create": prepEpollCreate,
		"epoll_ctl":    prepEpollCtl,
		"epoll_wait":   prepEpollWait,
		"pipe":         prepPipe,
	}
}

// n64 adapts a call returning (int, error).
func n64(n int, err error) (int64, error) { return int64(n), err }

// nullBase is where nullBufferCall maps the sockaddr a call needs; the
// page at address 0 stays unmapped, as in a process.
const nullBase = 0x10000

// isNull reports whether a buffer argument is NULL.
func isNull(x Expr) bool {
	_, ok := x.(*Null)
	return ok
}

// nullBufferCall makes a read, write, sendto or recvfrom whose buffer is
// NULL through the system-call face (sys.Process.Syscall), whose
// pointers are addresses in a process's memory, as packetdrill's are: the
// typed API takes Go slices and cannot express a NULL buffer with a
// length. name, when set, is the sendto address, mapped at nullBase.
func (e *executor) nullBufferCall(nr, fd int, n, flags int64, name []byte) *preparedCall {
	mem := gsys.NewSliceMemory(nullBase, max(len(name), 1))
	var addr, alen uintptr
	if name != nil {
		copy(mem.Bytes(), name)
		addr, alen = nullBase, uintptr(len(name))
	}
	return &preparedCall{run: func() (int64, error) {
		return n64(e.proc.Syscall(mem, nr, uintptr(fd), 0, uintptr(n), uintptr(flags), addr, alen))
	}}
}

func prepSocket(e *executor, l *SyscallLine) (*preparedCall, error) {
	if err := args(l, 3, 3); err != nil {
		return nil, err
	}
	domain := int64(abi.AF_INET)
	if e.mode != ModeIPv4 {
		domain = abi.AF_INET6
	}
	if _, ok := l.Args[0].(*Ellipsis); !ok {
		var err error
		if domain, err = e.evalInt(l.Args[0]); err != nil {
			return nil, err
		}
	}
	typ, err := e.argInt(l, 1)
	if err != nil {
		return nil, err
	}
	proto, err := e.argInt(l, 2)
	if err != nil {
		return nil, err
	}
	return &preparedCall{
		run:      func() (int64, error) { return n64(e.proc.Socket(int(domain), int(typ), int(proto))) },
		fdResult: true,
		done: func(fd int64) {
			e.sut, e.newConn = int(fd), true
			delete(e.listeners, int(fd))
		},
	}, nil
}

func prepBind(e *executor, l *SyscallLine) (*preparedCall, error) {
	if err := args(l, 3, 3); err != nil {
		return nil, err
	}
	fd, err := e.argFD(l, 0)
	if err != nil {
		return nil, err
	}
	addr, err := e.sockaddr(l.Args[1], l.Args[2], true)
	if err != nil {
		return nil, err
	}
	return &preparedCall{run: func() (int64, error) { return 0, e.proc.BindRaw(fd, addr) }}, nil
}

func prepListen(e *executor, l *SyscallLine) (*preparedCall, error) {
	if err := args(l, 2, 2); err != nil {
		return nil, err
	}
	fd, err := e.argFD(l, 0)
	if err != nil {
		return nil, err
	}
	backlog, err := e.argInt(l, 1)
	if err != nil {
		return nil, err
	}
	script, _ := e.argInt(l, 0)
	return &preparedCall{
		run: func() (int64, error) { return 0, e.proc.Listen(fd, int(backlog)) },
		done: func(int64) {
			e.listeners[int(script)], e.newConn = true, true
		},
	}, nil
}

func prepAccept(e *executor, l *SyscallLine) (*preparedCall, error) {
	if err := args(l, 3, 4); err != nil {
		return nil, err
	}
	fd, err := e.argFD(l, 0)
	if err != nil {
		return nil, err
	}
	flags := int64(0)
	if len(l.Args) == 4 {
		if flags, err = e.argInt(l, 3); err != nil {
			return nil, err
		}
	}
	return &preparedCall{
		run: func() (int64, error) {
			nfd, _, err := e.proc.Accept4(fd, int(flags))
			return int64(nfd), err
		},
		fdResult: true,
		done:     func(nfd int64) { e.sut, e.childAwait = int(nfd), false },
	}, nil
}

func prepConnect(e *executor, l *SyscallLine) (*preparedCall, error) {
	if err := args(l, 3, 3); err != nil {
		return nil, err
	}
	fd, err := e.argFD(l, 0)
	if err != nil {
		return nil, err
	}
	addr, err := e.sockaddr(l.Args[1], l.Args[2], false)
	if err != nil {
		return nil, err
	}
	e.peerPortFor(l.Args[1])
	return &preparedCall{run: func() (int64, error) { return 0, e.proc.ConnectRaw(fd, addr) }}, nil
}

// peerPortFor notes that a connect or sendto names the peer's default
// address, so datagrams from the peer come from port 8080.
func (e *executor) peerPortFor(addr Expr) {
	if _, ok := addr.(*Ellipsis); ok && e.flow.RemotePort == 0 {
		e.flow.RemotePort = scriptPort
	}
}

func prepRead(e *executor, l *SyscallLine) (*preparedCall, error) {
	if err := args(l, 3, 3); err != nil {
		return nil, err
	}
	fd, err := e.argFD(l, 0)
	if err != nil {
		return nil, err
	}
	n, err := e.argInt(l, 2)
	if err != nil {
		return nil, err
	}
	if isNull(l.Args[1]) && n > 0 {
		return e.nullBufferCall(gsys.NR_read, fd, n, 0, nil), nil
	}
	buf, err := e.buffer(l.Args[1], n)
	if err != nil {
		return nil, err
	}
	return &preparedCall{run: func() (int64, error) { return n64(e.proc.Read(fd, buf)) }}, nil
}

func prepWrite(e *executor, l *SyscallLine) (*preparedCall, error) {
	if err := args(l, 3, 3); err != nil {
		return nil, err
	}
	fd, err := e.argFD(l, 0)
	if err != nil {
		return nil, err
	}
	n, err := e.argInt(l, 2)
	if err != nil {
		return nil, err
	}
	if isNull(l.Args[1]) && n > 0 {
		return e.nullBufferCall(gsys.NR_write, fd, n, 0, nil), nil
	}
	buf, err := e.buffer(l.Args[1], n)
	if err != nil {
		return nil, err
	}
	return &preparedCall{run: func() (int64, error) { return n64(e.proc.Write(fd, buf)) }}, nil
}

// prepSend handles send(fd, buf, len, flags) and
// sendto(fd, buf, len, flags, addr, addrlen).
func prepSend(e *executor, l *SyscallLine) (*preparedCall, error) {
	min := 4
	if l.Name == "sendto" {
		min = 6
	}
	if err := args(l, min, min); err != nil {
		return nil, err
	}
	fd, err := e.argFD(l, 0)
	if err != nil {
		return nil, err
	}
	n, err := e.argInt(l, 2)
	if err != nil {
		return nil, err
	}
	flags, err := e.argInt(l, 3)
	if err != nil {
		return nil, err
	}
	var name []byte
	if l.Name == "sendto" {
		if name, err = e.sockaddr(l.Args[4], l.Args[5], false); err != nil {
			return nil, err
		}
		e.peerPortFor(l.Args[4])
	}
	if isNull(l.Args[1]) && n > 0 {
		return e.nullBufferCall(gsys.NR_sendto, fd, n, flags, name), nil
	}
	buf, err := e.buffer(l.Args[1], n)
	if err != nil {
		return nil, err
	}
	m := &socket.Msg{Name: name, Iov: [][]byte{buf}}
	return &preparedCall{run: func() (int64, error) { return n64(e.proc.SendmsgRaw(fd, m, int(flags))) }}, nil
}

// prepRecv handles recv(fd, buf, len, flags) and
// recvfrom(fd, buf, len, flags, addr, addrlen).
func prepRecv(e *executor, l *SyscallLine) (*preparedCall, error) {
	min := 4
	if l.Name == "recvfrom" {
		min = 6
	}
	if err := args(l, min, min); err != nil {
		return nil, err
	}
	fd, err := e.argFD(l, 0)
	if err != nil {
		return nil, err
	}
	n, err := e.argInt(l, 2)
	if err != nil {
		return nil, err
	}
	flags, err := e.argInt(l, 3)
	if err != nil {
		return nil, err
	}
	if isNull(l.Args[1]) && n > 0 {
		return e.nullBufferCall(gsys.NR_recvfrom, fd, n, flags, nil), nil
	}
	buf, err := e.buffer(l.Args[1], n)
	if err != nil {
		return nil, err
	}
	m := &socket.Msg{Iov: [][]byte{buf}}
	if l.Name == "recvfrom" {
		m.Name = make([]byte, abi.SizeofSockaddrStorage)
	}
	return &preparedCall{run: func() (int64, error) { return n64(e.proc.RecvmsgRaw(fd, m, int(flags))) }}, nil
}

func prepClose(e *executor, l *SyscallLine) (*preparedCall, error) {
	if err := args(l, 1, 1); err != nil {
		return nil, err
	}
	fd, err := e.argFD(l, 0)
	if err != nil {
		return nil, err
	}
	script, _ := e.argInt(l, 0)
	return &preparedCall{
		run: func() (int64, error) { return 0, e.proc.Close(fd) },
		done: func(int64) {
			delete(e.fds, int(script))
			delete(e.listeners, int(script))
		},
	}, nil
}

func prepShutdown(e *executor, l *SyscallLine) (*preparedCall, error) {
	if err := args(l, 2, 2); err != nil {
		return nil, err
	}
	fd, err := e.argFD(l, 0)
	if err != nil {
		return nil, err
	}
	how, err := e.argInt(l, 1)
	if err != nil {
		return nil, err
	}
	return &preparedCall{run: func() (int64, error) { return 0, e.proc.Shutdown(fd, int(how)) }}, nil
}

func prepSetsockopt(e *executor, l *SyscallLine) (*preparedCall, error) {
	if err := args(l, 5, 5); err != nil {
		return nil, err
	}
	fd, err := e.argFD(l, 0)
	if err != nil {
		return nil, err
	}
	level, err := e.argInt(l, 1)
	if err != nil {
		return nil, err
	}
	opt, err := e.argInt(l, 2)
	if err != nil {
		return nil, err
	}
	n, err := e.argInt(l, 4)
	if err != nil {
		return nil, err
	}
	val, err := e.optionValue(l.Args[3], n)
	if err != nil {
		return nil, err
	}
	return &preparedCall{run: func() (int64, error) { return 0, e.proc.Setsockopt(fd, int(level), int(opt), val) }}, nil
}

func prepGetsockopt(e *executor, l *SyscallLine) (*preparedCall, error) {
	if err := args(l, 5, 5); err != nil {
		return nil, err
	}
	fd, err := e.argFD(l, 0)
	if err != nil {
		return nil, err
	}
	level, err := e.argInt(l, 1)
	if err != nil {
		return nil, err
	}
	opt, err := e.argInt(l, 2)
	if err != nil {
		return nil, err
	}
	wantLen, isPtr, err := e.pointedInt(l.Args[4])
	if err != nil {
		return nil, err
	}
	if !isPtr {
		if wantLen, err = e.evalInt(l.Args[4]); err != nil {
			return nil, err
		}
	}
	if wantLen < 0 || wantLen > 1<<16 {
		return nil, fmt.Errorf("getsockopt length %d out of range", wantLen)
	}
	buf := make([]byte, wantLen)
	var gotLen int
	check := func(int64) *Mismatch {
		m := &Mismatch{What: "getsockopt output"}
		if isPtr && int64(gotLen) != wantLen {
			m.add("optlen", fmt.Sprint(wantLen), fmt.Sprint(gotLen))
		}
		switch x := l.Args[3].(type) {
		case *ListExpr:
			want, _, err := e.pointedInt(x)
			if err != nil {
				m.add("value", x.String(), err.Error())
				break
			}
			got := littleEndianInt(buf[:min(gotLen, len(buf))])
			if uint32(got) != uint32(want) || gotLen > 4 && got != want {
				m.add("value", fmt.Sprint(want), fmt.Sprint(got))
			}
		case *StringLit:
			if string(buf[:min(gotLen, len(buf))]) != x.Value {
				m.add("value", x.String(), fmt.Sprintf("%q", buf[:min(gotLen, len(buf))]))
			}
		}
		if len(m.Diffs) == 0 {
			return nil
		}
		return m
	}
	return &preparedCall{
		run: func() (int64, error) {
			n, err := e.proc.Getsockopt(fd, int(level), int(opt), buf)
			gotLen = n
			return 0, err
		},
		check: check,
	}, nil
}

// littleEndianInt reads an integer of 1 to 8 bytes.
func littleEndianInt(b []byte) int64 {
	var full [8]byte
	copy(full[:], b)
	v := int64(binary.LittleEndian.Uint64(full[:]))
	if len(b) == 4 {
		return int64(int32(v))
	}
	return v
}

func prepFcntl(e *executor, l *SyscallLine) (*preparedCall, error) {
	if err := args(l, 2, 3); err != nil {
		return nil, err
	}
	fd, err := e.argFD(l, 0)
	if err != nil {
		return nil, err
	}
	cmd, err := e.argInt(l, 1)
	if err != nil {
		return nil, err
	}
	arg := int64(0)
	if len(l.Args) == 3 {
		if arg, err = e.argInt(l, 2); err != nil {
			return nil, err
		}
	}
	return &preparedCall{run: func() (int64, error) { return n64(e.proc.Fcntl(fd, int(cmd), int(arg))) }}, nil
}

// ioctlInputs are the ioctls whose int argument is an input.
var ioctlInputs = map[int64]bool{0x5421 /* FIONBIO */ : true, 0x5452 /* FIOASYNC */ : true}

func prepIoctl(e *executor, l *SyscallLine) (*preparedCall, error) {
	if err := args(l, 2, 3); err != nil {
		return nil, err
	}
	fd, err := e.argFD(l, 0)
	if err != nil {
		return nil, err
	}
	req, err := e.argInt(l, 1)
	if err != nil {
		return nil, err
	}
	arg := make([]byte, 4)
	var want int64
	var isPtr bool
	if len(l.Args) == 3 {
		if want, isPtr, err = e.pointedInt(l.Args[2]); err != nil {
			return nil, err
		}
		if !isPtr {
			return nil, unsupported("ioctl argument %s", l.Args[2])
		}
		if ioctlInputs[req] {
			binary.LittleEndian.PutUint32(arg, uint32(want))
			isPtr = false
		}
	}
	return &preparedCall{
		run: func() (int64, error) { return 0, e.proc.Ioctl(fd, uint(req), arg) },
		check: func(int64) *Mismatch {
			if got := int64(int32(binary.LittleEndian.Uint32(arg))); isPtr && got != want {
				return &Mismatch{What: "ioctl output", Diffs: []Diff{{"value", fmt.Sprint(want), fmt.Sprint(got)}}}
			}
			return nil
		},
	}, nil
}

func prepPoll(e *executor, l *SyscallLine) (*preparedCall, error) {
	if err := args(l, 3, 3); err != nil {
		return nil, err
	}
	list, ok := l.Args[0].(*ListExpr)
	if !ok {
		return nil, fmt.Errorf("poll() needs a list of pollfd structs, found %s", l.Args[0])
	}
	fds := make([]gsys.PollFd, len(list.Elems))
	wantRev := make([]int64, len(list.Elems))
	hasRev := make([]bool, len(list.Elems))
	for i, x := range list.Elems {
		st, ok := x.(*StructExpr)
		if !ok {
			return nil, fmt.Errorf("expected {fd=..., events=..., revents=...}, found %s", x)
		}
		for _, f := range st.Fields {
			v, err := e.evalInt(f.Value)
			if err != nil {
				return nil, err
			}
			switch f.Name {
			case "fd":
				fds[i].Fd = int32(e.fd(v))
			case "events":
				fds[i].Events = int16(v)
			case "revents":
				wantRev[i], hasRev[i] = v, true
			default:
				return nil, fmt.Errorf("unknown pollfd field %q", f.Name)
			}
		}
	}
	nfds, err := e.argInt(l, 1)
	if err != nil {
		return nil, err
	}
	if nfds < 0 || nfds > int64(len(fds)) {
		return nil, unsupported("poll() with nfds %d beyond the %d structs given", nfds, len(fds))
	}
	timeout, err := e.argInt(l, 2)
	if err != nil {
		return nil, err
	}
	return &preparedCall{
		run: func() (int64, error) { return n64(e.proc.Poll(fds[:nfds], int(timeout))) },
		check: func(int64) *Mismatch {
			m := &Mismatch{What: "poll revents"}
			for i := range fds {
				if hasRev[i] && uint16(fds[i].Revents) != uint16(wantRev[i]) {
					m.add(fmt.Sprintf("revents[%d]", i), pollNames(wantRev[i]), pollNames(int64(uint16(fds[i].Revents))))
				}
			}
			if len(m.Diffs) == 0 {
				return nil
			}
			return m
		},
	}, nil
}

// pollNames prints poll or epoll bits by name ("POLLIN|POLLOUT").
func pollNames(v int64) string {
	names := []string{"POLLIN", "POLLPRI", "POLLOUT", "POLLERR", "POLLHUP", "POLLNVAL", "POLLRDNORM",
		"POLLRDBAND", "POLLWRNORM", "POLLWRBAND", "POLLMSG", "", "", "POLLRDHUP"}
	s := ""
	for i, n := range names {
		if v&(1<<i) != 0 && n != "" {
			if s != "" {
				s += "|"
			}
			s += n
			v &^= 1 << i
		}
	}
	if v != 0 || s == "" {
		if s != "" {
			s += "|"
		}
		s += fmt.Sprintf("0x%x", v)
	}
	return s
}

func prepEpollCreate(e *executor, l *SyscallLine) (*preparedCall, error) {
	if err := args(l, 1, 1); err != nil {
		return nil, err
	}
	size, err := e.argInt(l, 0)
	if err != nil {
		return nil, err
	}
	return &preparedCall{run: func() (int64, error) { return n64(e.proc.EpollCreate(int(size))) }, fdResult: true}, nil
}

// epollEvent reads {events=..., fd=N} (or ptr=, u32=, u64=): the user
// data is kept as the script wrote it.
func (e *executor) epollEvent(x Expr) (*gsys.EpollEvent, error) {
	if _, ok := x.(*Null); ok {
		return nil, nil
	}
	st, ok := x.(*StructExpr)
	if !ok {
		return nil, fmt.Errorf("expected {events=..., fd=...}, found %s", x)
	}
	ev := &gsys.EpollEvent{}
	for _, f := range st.Fields {
		v, err := e.evalInt(f.Value)
		if err != nil {
			return nil, err
		}
		switch f.Name {
		case "events":
			ev.Events = uint32(v)
		case "fd", "ptr", "u32", "u64", "data":
			ev.Fd, ev.Pad = int32(uint32(v)), int32(uint32(uint64(v)>>32))
		default:
			return nil, fmt.Errorf("unknown epoll_event field %q", f.Name)
		}
	}
	return ev, nil
}

func prepEpollCtl(e *executor, l *SyscallLine) (*preparedCall, error) {
	if err := args(l, 4, 4); err != nil {
		return nil, err
	}
	epfd, err := e.argFD(l, 0)
	if err != nil {
		return nil, err
	}
	op, err := e.argInt(l, 1)
	if err != nil {
		return nil, err
	}
	fd, err := e.argFD(l, 2)
	if err != nil {
		return nil, err
	}
	ev, err := e.epollEvent(l.Args[3])
	if err != nil {
		return nil, err
	}
	return &preparedCall{run: func() (int64, error) { return 0, e.proc.EpollCtl(epfd, int(op), fd, ev) }}, nil
}

func prepEpollWait(e *executor, l *SyscallLine) (*preparedCall, error) {
	if err := args(l, 4, 4); err != nil {
		return nil, err
	}
	epfd, err := e.argFD(l, 0)
	if err != nil {
		return nil, err
	}
	var want []*gsys.EpollEvent
	switch x := l.Args[1].(type) {
	case *ListExpr:
		for _, el := range x.Elems {
			ev, err := e.epollEvent(el)
			if err != nil {
				return nil, err
			}
			want = append(want, ev)
		}
	default:
		ev, err := e.epollEvent(x)
		if err != nil {
			return nil, err
		}
		want = append(want, ev)
	}
	maxEvents, err := e.argInt(l, 2)
	if err != nil {
		return nil, err
	}
	timeout, err := e.argInt(l, 3)
	if err != nil {
		return nil, err
	}
	if maxEvents < 0 || maxEvents > 1024 {
		return nil, unsupported("epoll_wait() maxevents %d", maxEvents)
	}
	events := make([]gsys.EpollEvent, maxEvents)
	return &preparedCall{
		run: func() (int64, error) { return n64(e.proc.EpollWait(epfd, events, int(timeout))) },
		check: func(n int64) *Mismatch {
			m := &Mismatch{What: "epoll_wait events"}
			for i := 0; i < int(n) && i < len(want); i++ {
				w, g := want[i], events[i]
				if w == nil {
					continue
				}
				if w.Events != g.Events {
					m.add(fmt.Sprintf("events[%d]", i), epollNames(w.Events), epollNames(g.Events))
				}
				if w.Fd != g.Fd || w.Pad != g.Pad {
					m.add(fmt.Sprintf("data[%d]", i), fmt.Sprint(w.Fd), fmt.Sprint(g.Fd))
				}
			}
			if len(m.Diffs) == 0 {
				return nil
			}
			return m
		},
	}, nil
}

func epollNames(v uint32) string {
	s := pollNames(int64(v &^ abi.EPOLLET))
	if v&abi.EPOLLET != 0 {
		s += "|EPOLLET"
	}
	return strings.ReplaceAll(s, "POLL", "EPOLL")
}

func prepPipe(e *executor, l *SyscallLine) (*preparedCall, error) {
	if err := args(l, 1, 1); err != nil {
		return nil, err
	}
	list, ok := l.Args[0].(*ListExpr)
	if !ok || len(list.Elems) != 2 {
		return nil, fmt.Errorf("pipe() needs [rfd, wfd], found %s", l.Args[0])
	}
	var script [2]int64
	for i, x := range list.Elems {
		v, err := e.evalInt(x)
		if err != nil {
			return nil, err
		}
		script[i] = v
	}
	var got [2]int
	return &preparedCall{
		run: func() (int64, error) {
			var err error
			got, err = e.proc.Pipe()
			return 0, err
		},
		done: func(int64) {
			e.fds[int(script[0])], e.fds[int(script[1])] = got[0], got[1]
		},
	}, nil
}
