package sys

import (
	"encoding/binary"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
)

// umem is a test address space: a SliceMemory with a bump allocator
// and helpers that lay out Linux structures in it.
type umem struct {
	t    testing.TB
	m    *SliceMemory
	next uintptr
}

const (
	memBase = 0x10000
	memSize = 1 << 20
	// unmapped is an address in user space with nothing mapped.
	unmapped = 0x1000
	// kernelPtr fails access_ok.
	kernelPtr = 0xffff800000000000
)

func newUmem(t testing.TB) *umem {
	return &umem{t: t, m: NewSliceMemory(memBase, memSize), next: memBase}
}

// alloc returns n zeroed bytes' address, 16-byte aligned.
func (u *umem) alloc(n int) uintptr {
	a := u.next
	u.next += uintptr((n + 15) &^ 15)
	if u.next > memBase+memSize {
		u.t.Fatal("umem: out of memory")
	}
	return a
}

func (u *umem) bytes(a uintptr, n int) []byte {
	b, err := u.m.Slice(a, n)
	if err != nil {
		u.t.Fatalf("umem: %#x+%d: %v", a, n, err)
	}
	return b
}

func (u *umem) put(b []byte) uintptr {
	a := u.alloc(len(b))
	copy(u.bytes(a, len(b)), b)
	return a
}

func (u *umem) u32(a uintptr) uint32       { return binary.LittleEndian.Uint32(u.bytes(a, 4)) }
func (u *umem) setU32(a uintptr, v uint32) { binary.LittleEndian.PutUint32(u.bytes(a, 4), v) }
func (u *umem) u64(a uintptr) uint64       { return binary.LittleEndian.Uint64(u.bytes(a, 8)) }
func (u *umem) setU64(a uintptr, v uint64) { binary.LittleEndian.PutUint64(u.bytes(a, 8), v) }

// int32p allocates an int holding v.
func (u *umem) int32p(v int32) uintptr {
	a := u.alloc(4)
	u.setU32(a, uint32(v))
	return a
}

// sockaddr4 allocates a sockaddr_in for 127.0.0.1:port.
func (u *umem) sockaddr4(port uint16) uintptr {
	var b [16]byte
	binary.LittleEndian.PutUint16(b[:], abi.AF_INET)
	binary.BigEndian.PutUint16(b[2:], port)
	copy(b[4:], []byte{127, 0, 0, 1})
	return u.put(b[:])
}

// iovecs allocates an iovec array.
func (u *umem) iovecs(iov ...[2]uint64) uintptr {
	a := u.alloc(len(iov)*16 + 1)
	for i, v := range iov {
		u.setU64(a+uintptr(i*16), v[0])
		u.setU64(a+uintptr(i*16+8), v[1])
	}
	return a
}

type umsg struct {
	name       uintptr
	namelen    int32
	iov        uintptr
	iovlen     uint64
	control    uintptr
	controllen uint64
	flags      uint32
}

// msghdr writes a struct msghdr at a (or a new one when a is 0).
func (u *umem) msghdr(a uintptr, m umsg) uintptr {
	if a == 0 {
		a = u.alloc(sizeofMsghdr)
	}
	u.setU64(a, uint64(m.name))
	u.setU32(a+8, uint32(m.namelen))
	u.setU64(a+16, uint64(m.iov))
	u.setU64(a+24, m.iovlen)
	u.setU64(a+32, uint64(m.control))
	u.setU64(a+40, m.controllen)
	u.setU32(a+48, m.flags)
	return a
}

// call runs socketcall with the arguments placed in memory.
func (u *umem) call(p *Process, call int, args ...uint64) (int, error) {
	a := u.alloc(6 * 8)
	for i, v := range args {
		u.setU64(a+uintptr(i*8), v)
	}
	return p.Socketcall(u.m, call, a)
}

func wantCall(t testing.TB, what string, r int, err error, want int, werr errno.Errno) {
	t.Helper()
	wantErr(t, what, err, werr)
	if werr != 0 && r != -1 {
		t.Errorf("%s: returned %d with an error", what, r)
	}
	if werr == 0 && r != want {
		t.Errorf("%s: returned %d, want %d", what, r, want)
	}
}

func TestSocketcallDispatch(t *testing.T) {
	p, _ := newNetProcess(t)
	u := newUmem(t)
	for _, call := range []int{-1, 0, 21, 1000} {
		r, err := u.call(p, call)
		wantCall(t, "call number out of range", r, err, 0, errno.EINVAL)
	}
	r, err := p.Socketcall(u.m, SYS_SOCKET, unmapped)
	wantCall(t, "unreadable arguments", r, err, 0, errno.EFAULT)
	// SYS_LISTEN reads two arguments: 16 bytes at the end of memory do.
	end := uintptr(memBase + memSize - 16)
	r, err = p.Socketcall(u.m, SYS_LISTEN, end)
	wantCall(t, "two arguments at the end of memory", r, err, 0, errno.EBADF)
	r, err = p.Socketcall(u.m, SYS_SOCKET, end)
	wantCall(t, "three arguments at the end of memory", r, err, 0, errno.EFAULT)

	// Arguments are C ints: the high half of each word is ignored.
	r, err = u.call(p, SYS_SOCKET, 1<<32|abi.AF_INET, 1<<40|abi.SOCK_DGRAM, 0)
	wantCall(t, "socket", r, err, 0, 0)
	r, err = u.call(p, SYS_SOCKET, abi.AF_INET, abi.SOCK_DGRAM|0x10000, 0)
	wantCall(t, "socket with a bad flag", r, err, 0, errno.EINVAL)
	r, err = u.call(p, SYS_SOCKET, 99, abi.SOCK_DGRAM, 0)
	wantCall(t, "socket of family 99", r, err, 0, errno.EAFNOSUPPORT)
	r, err = u.call(p, SYS_LISTEN, 1<<32, 5)
	wantCall(t, "listen on fd 0 (datagram)", r, err, 0, errno.EOPNOTSUPP)
	r, err = u.call(p, SYS_SHUTDOWN, 0, 7)
	wantCall(t, "shutdown how 7", r, err, 0, errno.EINVAL)
}

func TestSocketcallAddresses(t *testing.T) {
	p, _ := newNetProcess(t)
	u := newUmem(t)
	s, _ := p.Socket(abi.AF_INET, abi.SOCK_DGRAM, 0)
	pr, _ := mustPipe(t, p, 0)
	sa := u.sockaddr4(5555)
	neg := uint64(0xffffffff) // -1 as a C int
	for _, c := range []struct {
		name string
		call int
		args []uint64
		want errno.Errno
	}{
		{"bind: bad fd", SYS_BIND, []uint64{99, uint64(sa), 16}, errno.EBADF},
		{"bind: pipe, bad length", SYS_BIND, []uint64{uint64(pr), 0, neg}, errno.ENOTSOCK},
		{"connect: pipe, bad length (address before ENOTSOCK)", SYS_CONNECT, []uint64{uint64(pr), 0, neg}, errno.EINVAL},
		{"connect: pipe, unreadable address", SYS_CONNECT, []uint64{uint64(pr), unmapped, 16}, errno.EFAULT},
		{"connect: pipe", SYS_CONNECT, []uint64{uint64(pr), uint64(sa), 16}, errno.ENOTSOCK},
		{"connect: bad fd, bad length", SYS_CONNECT, []uint64{99, 0, 129}, errno.EBADF},
		{"bind: length -1", SYS_BIND, []uint64{uint64(s), uint64(sa), neg}, errno.EINVAL},
		{"bind: length 129", SYS_BIND, []uint64{uint64(s), uint64(sa), 129}, errno.EINVAL},
		{"bind: unreadable", SYS_BIND, []uint64{uint64(s), unmapped, 16}, errno.EFAULT},
		{"bind: length 0 (the protocol's EINVAL)", SYS_BIND, []uint64{uint64(s), unmapped, 0}, errno.EINVAL},
		{"bind", SYS_BIND, []uint64{uint64(s), uint64(sa), 16}, 0},
		{"bind: length 128", SYS_BIND, []uint64{uint64(s), uint64(u.put(make([]byte, 128))), 128}, errno.EAFNOSUPPORT},
	} {
		r, err := u.call(p, c.call, c.args...)
		wantCall(t, c.name, r, err, 0, c.want)
	}

	// getsockname: the length is value-result.
	name := func(l int32, addr uintptr) (uintptr, int, error) {
		lp := u.int32p(l)
		r, err := u.call(p, SYS_GETSOCKNAME, uint64(s), uint64(addr), uint64(lp))
		return lp, r, err
	}
	buf := u.alloc(128)
	lp, r, err := name(-1, buf)
	wantCall(t, "getsockname with length -1", r, err, 0, errno.EINVAL)
	if l := int32(u.u32(lp)); l != -1 {
		t.Errorf("length -1 was overwritten with %d", l)
	}
	lp, r, err = name(2, buf)
	wantCall(t, "getsockname with length 2", r, err, 0, 0)
	if l := u.u32(lp); l != 16 {
		t.Errorf("length after a short buffer: %d, want the full 16", l)
	}
	if b := u.bytes(buf, 4); b[0] != abi.AF_INET || b[1] != 0 || b[2] != 0 {
		t.Errorf("2 bytes copied: % x", b)
	}
	lp, r, err = name(4, unmapped)
	wantCall(t, "getsockname into unmapped memory", r, err, 0, errno.EFAULT)
	if l := u.u32(lp); l != 16 {
		t.Errorf("length before the fault: %d, want 16 (written first)", l)
	}
	_, r, err = name(0, unmapped)
	wantCall(t, "getsockname with length 0, unmapped buffer", r, err, 0, 0)
	lp, r, err = name(64, buf)
	wantCall(t, "getsockname", r, err, 0, 0)
	if l := u.u32(lp); l != 16 || binary.BigEndian.Uint16(u.bytes(buf+2, 2)) != 5555 {
		t.Errorf("getsockname: length %d port %d", l, binary.BigEndian.Uint16(u.bytes(buf+2, 2)))
	}
	r, err = u.call(p, SYS_GETSOCKNAME, uint64(s), uint64(buf), unmapped)
	wantCall(t, "getsockname with unmapped length", r, err, 0, errno.EFAULT)
	r, err = u.call(p, SYS_GETPEERNAME, uint64(s), uint64(buf), unmapped)
	wantCall(t, "getpeername unconnected (before the length is read)", r, err, 0, errno.ENOTCONN)
}

func TestSocketcallSendRecv(t *testing.T) {
	p, _ := newNetProcess(t)
	u := newUmem(t)
	a, b := udpPair(t, p)
	bport := uint16(fakeSockOf(t, p, b).port)
	data := u.put([]byte("hello, world"))
	r, err := u.call(p, SYS_SEND, uint64(a), uint64(data), 5, 0)
	wantCall(t, "send", r, err, 5, 0)
	r, err = u.call(p, SYS_SENDTO, uint64(a), uint64(data), 12, 0, uint64(u.sockaddr4(bport)), 16)
	wantCall(t, "sendto", r, err, 12, 0)
	r, err = u.call(p, SYS_SENDTO, uint64(a), kernelPtr, 1, 0, 0, 0)
	wantCall(t, "sendto from a kernel address", r, err, 0, errno.EFAULT)
	r, err = u.call(p, SYS_SENDTO, 99, kernelPtr, 1, 0, 0, 0)
	wantCall(t, "sendto: access_ok before the descriptor", r, err, 0, errno.EFAULT)
	r, err = u.call(p, SYS_SENDTO, 99, unmapped, 1, 0, 0, 0)
	wantCall(t, "sendto: bad fd, unmapped buffer", r, err, 0, errno.EBADF)
	r, err = u.call(p, SYS_SENDTO, uint64(a), unmapped, 1, 0, 0, 0)
	wantCall(t, "sendto from unmapped memory", r, err, 0, errno.EFAULT)
	r, err = u.call(p, SYS_SENDTO, uint64(a), uint64(data), 1, 0, uint64(u.sockaddr4(bport)), 0xffffffff)
	wantCall(t, "sendto with address length -1", r, err, 0, errno.EINVAL)
	r, err = u.call(p, SYS_SENDTO, uint64(a), uint64(data), 1, 0, uint64(u.sockaddr4(bport)), 0)
	wantCall(t, "sendto with address length 0 (a name, empty)", r, err, 0, errno.EINVAL)

	buf := u.alloc(64)
	r, err = u.call(p, SYS_RECV, uint64(b), uint64(buf), 64, 0)
	wantCall(t, "recv", r, err, 5, 0)
	from := u.alloc(128)
	lp := u.int32p(128)
	r, err = u.call(p, SYS_RECVFROM, uint64(b), uint64(buf), 4, abi.MSG_PEEK, uint64(from), uint64(lp))
	wantCall(t, "recvfrom (peek, short)", r, err, 4, 0)
	if l := u.u32(lp); l != 16 || binary.BigEndian.Uint16(u.bytes(from+2, 2)) != uint16(fakeSockOf(t, p, a).port) {
		t.Errorf("recvfrom address: length %d port %d", l, binary.BigEndian.Uint16(u.bytes(from+2, 2)))
	}
	r, err = u.call(p, SYS_RECVFROM, uint64(b), uint64(buf), 4, abi.MSG_PEEK|abi.MSG_TRUNC, 0, 0)
	wantCall(t, "recvfrom MSG_TRUNC reports the datagram's length", r, err, 12, 0)
	r, err = u.call(p, SYS_RECVFROM, uint64(b), uint64(buf), 64, 0, uint64(from), unmapped)
	wantCall(t, "recvfrom with unmapped length", r, err, 0, errno.EFAULT)
	r, err = u.call(p, SYS_RECVFROM, uint64(b), uint64(buf), 64, abi.MSG_DONTWAIT, 0, 0)
	wantCall(t, "the datagram went with the fault, as in Linux", r, err, 0, errno.EAGAIN)
	p.Send(a, []byte("x"), 0)
	r, err = u.call(p, SYS_RECVFROM, uint64(b), unmapped, 64, 0, 0, 0)
	wantCall(t, "recvfrom into unmapped memory", r, err, 0, errno.EFAULT)
	r, err = u.call(p, SYS_RECVFROM, uint64(b), uint64(buf), 64, abi.MSG_DONTWAIT, 0, 0)
	wantCall(t, "datagram consumed by the faulting receive", r, err, 0, errno.EAGAIN)
}

func TestSocketcallMsg(t *testing.T) {
	p, _ := newNetProcess(t)
	u := newUmem(t)
	a, b := udpPair(t, p)
	bport := uint16(fakeSockOf(t, p, b).port)
	d1, d2 := u.put([]byte("abc")), u.put([]byte("defgh"))
	iov := u.iovecs([2]uint64{uint64(d1), 3}, [2]uint64{uint64(d2), 5})
	send := func(m umsg, flags uint64) (int, error) {
		return u.call(p, SYS_SENDMSG, uint64(a), uint64(u.msghdr(0, m)), flags)
	}
	r, err := send(umsg{iov: iov, iovlen: 2}, 0)
	wantCall(t, "sendmsg", r, err, 8, 0)
	long := u.alloc(200)
	copy(u.bytes(long, 16), u.bytes(u.sockaddr4(bport), 16))
	r, err = send(umsg{name: long, namelen: 200, iov: iov, iovlen: 1}, 0)
	wantCall(t, "sendmsg with msg_namelen 200 (cut to 128)", r, err, 3, 0)
	for _, c := range []struct {
		name  string
		m     umsg
		flags uint64
		want  errno.Errno
	}{
		{"msg_namelen -1", umsg{name: long, namelen: -1, iov: iov, iovlen: 1}, 0, errno.EINVAL},
		{"unreadable name", umsg{name: unmapped, namelen: 16, iov: iov, iovlen: 1}, 0, errno.EFAULT},
		{"1025 iovecs", umsg{iov: iov, iovlen: 1025}, 0, errno.EMSGSIZE},
		{"iovlen 2^63", umsg{iov: iov, iovlen: 1 << 63}, 0, errno.EMSGSIZE},
		{"unreadable iovecs", umsg{iov: unmapped, iovlen: 2}, 0, errno.EFAULT},
		{"negative iov_len", umsg{iov: u.iovecs([2]uint64{uint64(d1), 1}, [2]uint64{uint64(d1), 1 << 63}), iovlen: 2}, 0, errno.EINVAL},
		{"kernel iov_base", umsg{iov: u.iovecs([2]uint64{uint64(d1), 1}, [2]uint64{kernelPtr, 1}), iovlen: 2}, 0, errno.EFAULT},
		{"unmapped iov_base", umsg{iov: u.iovecs([2]uint64{uint64(d1), 1}, [2]uint64{unmapped, 1}), iovlen: 2}, 0, errno.EFAULT},
		{"msg_controllen > INT_MAX", umsg{iov: iov, iovlen: 1, control: unmapped, controllen: 1 << 31}, 0, errno.ENOBUFS},
		{"msg_controllen = optmem_max", umsg{iov: iov, iovlen: 1, control: unmapped, controllen: 131072}, 0, errno.ENOBUFS},
		{"unreadable control", umsg{iov: iov, iovlen: 1, control: unmapped, controllen: 16}, 0, errno.EFAULT},
		{"MSG_CMSG_COMPAT", umsg{iov: iov, iovlen: 1}, msgCmsgCompat, errno.EINVAL},
	} {
		r, err := send(c.m, c.flags)
		wantCall(t, "sendmsg: "+c.name, r, err, 0, c.want)
	}
	r, err = u.call(p, SYS_SENDMSG, uint64(a), unmapped, 0)
	wantCall(t, "sendmsg: unreadable header", r, err, 0, errno.EFAULT)
	r, err = u.call(p, SYS_SENDMSG, 99, unmapped, msgCmsgCompat)
	wantCall(t, "sendmsg: COMPAT before the descriptor", r, err, 0, errno.EINVAL)

	// recvmsg: name (value-result msg_namelen), msg_flags, control.
	fakeSockOf(t, p, b).cmsg = true
	r1 := u.alloc(4)
	r2 := u.alloc(16)
	riov := u.iovecs([2]uint64{uint64(r1), 4}, [2]uint64{uint64(r2), 16})
	name := u.alloc(128)
	ctl := u.alloc(64)
	hdr := u.msghdr(0, umsg{name: name, namelen: 8, iov: riov, iovlen: 2, control: ctl, controllen: 64, flags: 0xffff})
	r, err = u.call(p, SYS_RECVMSG, uint64(b), uint64(hdr), abi.MSG_CMSG_CLOEXEC)
	wantCall(t, "recvmsg", r, err, 8, 0)
	if got := string(u.bytes(r1, 4)) + string(u.bytes(r2, 4)); got != "abcdefgh" {
		t.Errorf("recvmsg data %q", got)
	}
	if l := u.u32(hdr + 8); l != 16 {
		t.Errorf("msg_namelen %d, want 16", l)
	}
	if fl := u.u32(hdr + 48); fl != abi.MSG_CMSG_CLOEXEC {
		t.Errorf("msg_flags %#x, want MSG_CMSG_CLOEXEC as passed", fl)
	}
	if cl := u.u64(hdr + 40); cl != 24 || u.u32(ctl+12) != 99 {
		t.Errorf("msg_controllen %d, cmsg type %d", cl, u.u32(ctl+12))
	}
	// A short buffer and no control buffer: MSG_TRUNC, MSG_CTRUNC.
	hdr = u.msghdr(0, umsg{iov: u.iovecs([2]uint64{uint64(r1), 2}), iovlen: 1, controllen: 100})
	r, err = u.call(p, SYS_RECVMSG, uint64(b), uint64(hdr), 0)
	wantCall(t, "recvmsg (truncated)", r, err, 2, 0)
	if fl := u.u32(hdr + 48); fl != abi.MSG_TRUNC|abi.MSG_CTRUNC {
		t.Errorf("msg_flags %#x, want MSG_TRUNC|MSG_CTRUNC", fl)
	}
	if cl := u.u64(hdr + 40); cl != 0 {
		t.Errorf("msg_controllen %d without a control buffer", cl)
	}
	// Errors of the header come before the receive.
	hdr = u.msghdr(0, umsg{name: name, namelen: -1, iov: riov, iovlen: 1})
	r, err = u.call(p, SYS_RECVMSG, uint64(b), uint64(hdr), abi.MSG_DONTWAIT)
	wantCall(t, "recvmsg with msg_namelen -1", r, err, 0, errno.EINVAL)
	hdr = u.msghdr(0, umsg{namelen: -1, iov: riov, iovlen: 1})
	r, err = u.call(p, SYS_RECVMSG, uint64(b), uint64(hdr), abi.MSG_DONTWAIT)
	wantCall(t, "recvmsg without a name, msg_namelen -1", r, err, 0, errno.EAGAIN)
	r, err = u.call(p, SYS_RECVMSG, uint64(b), unmapped, abi.MSG_DONTWAIT)
	wantCall(t, "recvmsg: unreadable header", r, err, 0, errno.EFAULT)
}

func TestSocketcallSockopt(t *testing.T) {
	p, _ := newNetProcess(t)
	u := newUmem(t)
	s, _ := p.Socket(abi.AF_INET, abi.SOCK_DGRAM, 0)
	val := u.int32p(10000)
	r, err := u.call(p, SYS_SETSOCKOPT, uint64(s), abi.SOL_SOCKET, abi.SO_RCVBUF, uint64(val), 4)
	wantCall(t, "setsockopt SO_RCVBUF", r, err, 0, 0)
	r, err = u.call(p, SYS_SETSOCKOPT, uint64(s), abi.SOL_SOCKET, abi.SO_RCVBUF, uint64(val), 0xffffffff)
	wantCall(t, "setsockopt with optlen -1", r, err, 0, errno.EINVAL)
	r, err = u.call(p, SYS_SETSOCKOPT, uint64(s), abi.SOL_SOCKET, abi.SO_RCVBUF, unmapped, 4)
	wantCall(t, "setsockopt from unmapped memory", r, err, 0, errno.EFAULT)
	r, err = u.call(p, SYS_SETSOCKOPT, 99, abi.SOL_SOCKET, abi.SO_RCVBUF, unmapped, 0xffffffff)
	wantCall(t, "setsockopt on a bad fd", r, err, 0, errno.EBADF)

	out := u.alloc(8)
	get := func(l int32, v uintptr) (uintptr, int, error) {
		lp := u.int32p(l)
		r, err := u.call(p, SYS_GETSOCKOPT, uint64(s), abi.SOL_SOCKET, abi.SO_RCVBUF, uint64(v), uint64(lp))
		return lp, r, err
	}
	lp, r, err := get(8, out)
	wantCall(t, "getsockopt SO_RCVBUF", r, err, 0, 0)
	if l, v := u.u32(lp), u.u32(out); l != 4 || v != 20000 {
		t.Errorf("getsockopt: length %d value %d; want 4, 20000 (doubled)", l, v)
	}
	_, r, err = get(-1, out)
	wantCall(t, "getsockopt with optlen -1", r, err, 0, errno.EINVAL)
	lp, r, err = get(4, unmapped)
	wantCall(t, "getsockopt into unmapped memory", r, err, 0, errno.EFAULT)
	if l := u.u32(lp); l != 4 {
		t.Errorf("optlen after a fault %d, want unchanged", l)
	}
	_, r, err = get(0, unmapped)
	wantCall(t, "getsockopt with optlen 0", r, err, 0, 0)
	lp, r, err = get(1, out)
	wantCall(t, "getsockopt with optlen 1", r, err, 0, 0)
	if l := u.u32(lp); l != 1 {
		t.Errorf("optlen %d, want 1", l)
	}
	r, err = u.call(p, SYS_GETSOCKOPT, uint64(s), abi.SOL_SOCKET, abi.SO_RCVBUF, uint64(out), unmapped)
	wantCall(t, "getsockopt with unmapped optlen", r, err, 0, errno.EFAULT)
	lp = u.int32p(-1)
	r, err = u.call(p, SYS_GETSOCKOPT, uint64(s), abi.SOL_SOCKET, 999, uint64(out), uint64(lp))
	wantCall(t, "getsockopt of an unknown option with optlen -1", r, err, 0, errno.EINVAL)
}

func TestSocketcallAccept(t *testing.T) {
	p, _ := newNetProcess(t)
	u := newUmem(t)
	s, _ := p.Socket(abi.AF_INET, abi.SOCK_DGRAM, 0)
	pr, _ := mustPipe(t, p, 0)
	for _, c := range []struct {
		name string
		fd   uint64
		flag uint64
		want errno.Errno
	}{
		{"bad fd, bad flags", 99, 0x1234, errno.EBADF},
		{"pipe, bad flags", uint64(pr), 0x1234, errno.EINVAL},
		{"pipe", uint64(pr), 0, errno.ENOTSOCK},
		{"datagram socket", uint64(s), abi.SOCK_NONBLOCK, errno.EOPNOTSUPP},
	} {
		r, err := u.call(p, SYS_ACCEPT4, c.fd, unmapped, unmapped, c.flag)
		wantCall(t, "accept4: "+c.name, r, err, 0, c.want)
	}
	full := newProcess(Options{NoFile: 2})
	fr, _ := mustPipe(t, full, 0)
	r, err := full.Socketcall(u.m, SYS_ACCEPT, u.put(binary.LittleEndian.AppendUint64(make([]byte, 0, 24), uint64(fr))))
	wantCall(t, "accept on a pipe in a full table (EMFILE first)", r, err, 0, errno.EMFILE)

	for _, c := range []struct {
		name  string
		typ   uint64
		sv    uint64
		proc  *Process
		wantE errno.Errno
	}{
		{"bad flags", abi.SOCK_STREAM | 0x10000, unmapped, p, errno.EINVAL},
		{"unmapped result", abi.SOCK_STREAM, unmapped, p, errno.EFAULT},
		{"full table", abi.SOCK_STREAM, unmapped, full, errno.EMFILE},
	} {
		args := u.alloc(32)
		u.setU64(args, 99) // a family that does not exist: checked later
		u.setU64(args+8, c.typ)
		u.setU64(args+24, c.sv)
		r, err := c.proc.Socketcall(u.m, SYS_SOCKETPAIR, args)
		wantCall(t, "socketpair: "+c.name, r, err, 0, c.wantE)
	}
}

func TestSocketcallMmsg(t *testing.T) {
	p, _ := newNetProcess(t)
	u := newUmem(t)
	a, b := udpPair(t, p)
	vec := u.alloc(3 * sizeofMmsghdr)
	for i, s := range []string{"one", "two!", "three"} {
		d := u.put([]byte(s))
		u.msghdr(vec+uintptr(i*sizeofMmsghdr), umsg{iov: u.iovecs([2]uint64{uint64(d), uint64(len(s))}), iovlen: 1})
	}
	r, err := u.call(p, SYS_SENDMMSG, uint64(a), uint64(vec), 3, 0)
	wantCall(t, "sendmmsg", r, err, 3, 0)
	for i, want := range []uint32{3, 4, 5} {
		if l := u.u32(vec + uintptr(i*sizeofMmsghdr) + sizeofMsghdr); l != want {
			t.Errorf("msg_len[%d] = %d, want %d", i, l, want)
		}
	}
	r, err = u.call(p, SYS_SENDMMSG, uint64(a), uint64(vec), 0, 0)
	wantCall(t, "sendmmsg of nothing", r, err, 0, 0)
	r, err = u.call(p, SYS_SENDMMSG, uint64(a), unmapped, 2, 0)
	wantCall(t, "sendmmsg from unmapped memory", r, err, 0, errno.EFAULT)
	// The second entry faults: one message counts.
	two := u.alloc(2 * sizeofMmsghdr)
	copy(u.bytes(two, sizeofMsghdr), u.bytes(vec, sizeofMsghdr))
	u.msghdr(two+sizeofMmsghdr, umsg{iov: unmapped, iovlen: 2})
	r, err = u.call(p, SYS_SENDMMSG, uint64(a), uint64(two), 2, 0)
	wantCall(t, "sendmmsg with a bad second entry", r, err, 1, 0)

	// recvmmsg: four datagrams queued, room for 8, MSG_WAITFORONE.
	rvec := u.alloc(8 * sizeofMmsghdr)
	for i := range 8 {
		buf := u.alloc(16)
		u.msghdr(rvec+uintptr(i*sizeofMmsghdr), umsg{iov: u.iovecs([2]uint64{uint64(buf), 16}), iovlen: 1})
	}
	r, err = u.call(p, SYS_RECVMMSG, uint64(b), uint64(rvec), 8, abi.MSG_WAITFORONE, 0)
	wantCall(t, "recvmmsg", r, err, 4, 0)
	for i, want := range []uint32{3, 4, 5, 3} {
		if l := u.u32(rvec + uintptr(i*sizeofMmsghdr) + sizeofMsghdr); l != want {
			t.Errorf("recvmmsg msg_len[%d] = %d, want %d", i, l, want)
		}
	}
	ts := u.alloc(16)
	u.setU64(ts, 0)
	u.setU64(ts+8, 1e9)
	r, err = u.call(p, SYS_RECVMMSG, 99, uint64(rvec), 8, 0, uint64(ts))
	wantCall(t, "recvmmsg: invalid timeout before the descriptor", r, err, 0, errno.EINVAL)
	r, err = u.call(p, SYS_RECVMMSG, 99, uint64(rvec), 8, 0, unmapped)
	wantCall(t, "recvmmsg: unreadable timeout before the descriptor", r, err, 0, errno.EFAULT)
	r, err = u.call(p, SYS_RECVMMSG, uint64(b), uint64(rvec), 8, msgCmsgCompat, 0)
	wantCall(t, "recvmmsg with MSG_CMSG_COMPAT", r, err, 0, errno.EINVAL)
	r, err = u.call(p, SYS_RECVMMSG, uint64(b), uint64(rvec), 0, 0, 0)
	wantCall(t, "recvmmsg of nothing", r, err, 0, 0)
	r, err = u.call(p, SYS_RECVMMSG, uint64(b), uint64(rvec), 8, abi.MSG_DONTWAIT, 0)
	wantCall(t, "recvmmsg with nothing queued", r, err, 0, errno.EAGAIN)
}

// TestSocketcallRecvmmsgTimeout: the timeout is checked between
// messages, not while waiting for one (Linux's recvmmsg(2) BUGS), and
// written back with the time left.
func TestSocketcallRecvmmsgTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, _ := newNetProcess(t)
		u := newUmem(t)
		a, b := udpPair(t, p)
		rvec := u.alloc(4 * sizeofMmsghdr)
		for i := range 4 {
			u.msghdr(rvec+uintptr(i*sizeofMmsghdr), umsg{iov: u.iovecs([2]uint64{uint64(u.alloc(16)), 16}), iovlen: 1})
		}
		go func() {
			for i := range 3 {
				time.Sleep(time.Second)
				p.Send(a, []byte{byte(i)}, 0)
			}
		}()
		ts := u.alloc(16)
		u.setU64(ts, 2)
		u.setU64(ts+8, 500_000_000)
		r, err := u.call(p, SYS_RECVMMSG, uint64(b), uint64(rvec), 4, 0, uint64(ts))
		// Datagrams at 1 s and 2 s leave 0.5 s, so the call waits for
		// the third (at 3 s), then sees the time is up.
		wantCall(t, "recvmmsg with a 2.5 s timeout", r, err, 3, 0)
		if sec, nsec := u.u64(ts), u.u64(ts+8); sec != 0 || nsec != 0 {
			t.Errorf("timeout left %d.%09d, want 0", sec, nsec)
		}
		// With datagrams queued, the time left is what the receives did
		// not use.
		p.Send(a, []byte("q"), 0)
		p.Send(a, []byte("q"), 0)
		u.setU64(ts, 7)
		r, err = u.call(p, SYS_RECVMMSG, uint64(b), uint64(rvec), 4, abi.MSG_WAITFORONE, uint64(ts))
		wantCall(t, "recvmmsg with two queued", r, err, 2, 0)
		if sec, nsec := u.u64(ts), u.u64(ts+8); sec != 7 || nsec != 0 {
			t.Errorf("timeout left %d.%09d, want 7", sec, nsec)
		}
		p.Close(a)
		p.Close(b)
	})
}

func TestSyscallFiles(t *testing.T) {
	p := newProcess()
	u := newUmem(t)
	fds := u.alloc(8)
	sys := func(nr int, a ...uintptr) (int, error) {
		var args [6]uintptr
		copy(args[:], a)
		return p.Syscall(u.m, nr, args[0], args[1], args[2], args[3], args[4], args[5])
	}
	r, err := sys(NR_pipe2, unmapped, 0)
	wantCall(t, "pipe2 into unmapped memory", r, err, 0, errno.EFAULT)
	if len(p.Files()) != 0 {
		t.Fatalf("descriptors left after a failed pipe2: %v", p.Files())
	}
	r, err = sys(NR_pipe2, fds, abi.O_NONBLOCK)
	wantCall(t, "pipe2", r, err, 0, 0)
	rfd, wfd := uintptr(u.u32(fds)), uintptr(u.u32(fds+4))
	if rfd != 0 || wfd != 1 {
		t.Fatalf("pipe2 stored %d, %d", rfd, wfd)
	}
	msg := u.put([]byte("through memory"))
	r, err = sys(NR_write, wfd, msg, 14)
	wantCall(t, "write", r, err, 14, 0)
	r, err = sys(NR_write, rfd, msg, 14)
	wantCall(t, "write to the read end", r, err, 0, errno.EBADF)
	r, err = sys(NR_write, wfd, unmapped, 14)
	wantCall(t, "write from unmapped memory", r, err, 0, errno.EFAULT)
	buf := u.alloc(32)
	r, err = sys(NR_ioctl, rfd, FIONREAD, buf)
	wantCall(t, "ioctl FIONREAD", r, err, 0, 0)
	if u.u32(buf) != 14 {
		t.Errorf("FIONREAD stored %d", u.u32(buf))
	}
	r, err = sys(NR_ioctl, rfd, FIONREAD, unmapped)
	wantCall(t, "ioctl FIONREAD into unmapped memory", r, err, 0, errno.EFAULT)
	r, err = sys(NR_ioctl, rfd, 0x1234, unmapped)
	wantCall(t, "unknown ioctl with a bad pointer", r, err, 0, errno.ENOTTY)
	r, err = sys(NR_read, rfd, buf, 32)
	wantCall(t, "read", r, err, 14, 0)
	if string(u.bytes(buf, 14)) != "through memory" {
		t.Errorf("read %q", u.bytes(buf, 14))
	}
	r, err = sys(NR_read, rfd, buf, 32)
	wantCall(t, "read of an empty non-blocking pipe", r, err, 0, errno.EAGAIN)
	r, err = sys(NR_read, wfd, buf, 0)
	wantCall(t, "read of the write end", r, err, 0, errno.EBADF)
	r, err = sys(NR_read, rfd, kernelPtr, 1)
	wantCall(t, "read into a kernel address", r, err, 0, errno.EFAULT)

	r, err = sys(NR_lseek, rfd, 0, 0)
	wantCall(t, "lseek of a pipe", r, err, 0, errno.ESPIPE)
	r, err = sys(NR_lseek, rfd, 0, 99)
	wantCall(t, "lseek with whence 99", r, err, 0, errno.EINVAL)
	r, err = sys(NR_fcntl, wfd, abi.F_GETFL)
	wantCall(t, "fcntl F_GETFL", r, err, 1|abi.O_NONBLOCK, 0)
	r, err = sys(9999)
	wantCall(t, "unknown syscall", r, err, 0, errno.ENOSYS)

	// poll through memory.
	pfds := u.alloc(16)
	u.setU32(pfds, uint32(rfd))
	u.setU32(pfds+4, POLLIN)
	u.setU32(pfds+8, uint32(wfd))
	u.setU32(pfds+12, POLLOUT|0xdead<<16)
	r, err = sys(NR_poll, pfds, 2, 0)
	wantCall(t, "poll", r, err, 1, 0)
	if re := u.u32(pfds+4) >> 16; re != 0 {
		t.Errorf("revents of the read end %#x", re)
	}
	if re := u.u32(pfds+12) >> 16; re != POLLOUT {
		t.Errorf("revents of the write end %#x (the old value is overwritten)", re)
	}
	r, err = sys(NR_poll, unmapped, 2, 0)
	wantCall(t, "poll of unmapped memory", r, err, 0, errno.EFAULT)
	r, err = sys(NR_poll, unmapped, 1025, 0)
	wantCall(t, "poll of more than RLIMIT_NOFILE", r, err, 0, errno.EINVAL)

	// epoll through memory: packed 12-byte events.
	ep, err := sys(NR_epoll_create1, 0)
	wantCall(t, "epoll_create1", ep, err, 2, 0)
	ev := u.put([]byte{abi.EPOLLOUT, 0, 0, 0x40, 1, 2, 3, 4, 5, 6, 7, 8}) // EPOLLONESHOT
	r, err = sys(NR_epoll_ctl, uintptr(ep), abi.EPOLL_CTL_ADD, wfd, unmapped)
	wantCall(t, "epoll_ctl with an unreadable event", r, err, 0, errno.EFAULT)
	r, err = sys(NR_epoll_ctl, uintptr(ep), 99, wfd, unmapped)
	wantCall(t, "epoll_ctl op 99, unreadable event", r, err, 0, errno.EFAULT)
	r, err = sys(NR_epoll_ctl, 99, abi.EPOLL_CTL_DEL, wfd, unmapped)
	wantCall(t, "epoll_ctl DEL on a bad epfd", r, err, 0, errno.EBADF)
	r, err = sys(NR_epoll_ctl, uintptr(ep), abi.EPOLL_CTL_ADD, wfd, ev)
	wantCall(t, "epoll_ctl", r, err, 0, 0)
	r, err = sys(NR_epoll_wait, uintptr(ep), unmapped, 4, 0)
	wantCall(t, "epoll_wait into unmapped memory", r, err, 0, errno.EFAULT)
	evs := u.alloc(4 * 12)
	r, err = sys(NR_epoll_wait, uintptr(ep), evs, 4, 0)
	wantCall(t, "epoll_wait after a fault: the one-shot item is still armed", r, err, 1, 0)
	if got := u.bytes(evs, 12); got[0] != abi.EPOLLOUT || string(got[4:]) != "\x01\x02\x03\x04\x05\x06\x07\x08" {
		t.Errorf("event % x", got)
	}
	r, err = sys(NR_epoll_wait, uintptr(ep), evs, 4, 0)
	wantCall(t, "epoll_wait after the one-shot report", r, err, 0, 0)
	r, err = sys(NR_epoll_wait, uintptr(ep), evs, 0, 0)
	wantCall(t, "epoll_wait with maxevents 0", r, err, 0, errno.EINVAL)
	r, err = sys(NR_epoll_wait, 99, unmapped, 1, 0)
	wantCall(t, "epoll_wait on a bad fd", r, err, 0, errno.EBADF)
	r, err = sys(NR_lseek, uintptr(ep), 100, 0)
	wantCall(t, "lseek of an epoll instance", r, err, 0, 0)
	r, err = sys(NR_read, uintptr(ep), buf, 1)
	wantCall(t, "read of an epoll instance", r, err, 0, errno.EINVAL)
	r, err = sys(NR_close, uintptr(ep))
	wantCall(t, "close", r, err, 0, 0)
	r, err = sys(NR_close, uintptr(ep))
	wantCall(t, "close twice", r, err, 0, errno.EBADF)
}

func TestSyscallSockets(t *testing.T) {
	p, _ := newNetProcess(t)
	u := newUmem(t)
	sys := func(nr int, a ...uintptr) (int, error) {
		var args [6]uintptr
		copy(args[:], a)
		return p.Syscall(u.m, nr, args[0], args[1], args[2], args[3], args[4], args[5])
	}
	s, err := sys(NR_socket, abi.AF_INET, abi.SOCK_DGRAM, 0)
	wantCall(t, "socket", s, err, 0, 0)
	r, err := sys(NR_bind, uintptr(s), u.sockaddr4(7777), 16)
	wantCall(t, "bind", r, err, 0, 0)
	r, err = sys(NR_connect, uintptr(s), u.sockaddr4(7777), 16)
	wantCall(t, "connect to itself", r, err, 0, 0)
	data := u.put([]byte("loop"))
	r, err = sys(NR_write, uintptr(s), data, 4)
	wantCall(t, "write", r, err, 4, 0)
	buf := u.alloc(8)
	r, err = sys(NR_read, uintptr(s), buf, 0)
	wantCall(t, "empty read of a socket reads nothing", r, err, 0, 0)
	ifr := u.put(NewIfreq("lo")[:])
	r, err = sys(NR_ioctl, uintptr(s), abi.SIOCGIFINDEX, ifr)
	wantCall(t, "ioctl SIOCGIFINDEX", r, err, 0, 0)
	if idx := u.u32(ifr + 16); idx != 1 {
		t.Errorf("SIOCGIFINDEX stored %d", idx)
	}
	r, err = sys(NR_ioctl, uintptr(s), abi.SIOCATMARK, unmapped)
	wantCall(t, "SIOCATMARK on a datagram socket, bad pointer", r, err, 0, errno.EFAULT)
	r, err = sys(NR_ioctl, uintptr(s), FIONREAD, buf)
	wantCall(t, "FIONREAD", r, err, 0, 0)
	if n := u.u32(buf); n != 4 {
		t.Errorf("FIONREAD stored %d", n)
	}
	r, err = sys(NR_recvfrom, uintptr(s), buf, 8, 0, 0, 0)
	wantCall(t, "recvfrom", r, err, 4, 0)
	r, err = sys(NR_recvmmsg, uintptr(s), unmapped, 1, msgCmsgCompat, unmapped)
	wantCall(t, "recvmmsg with MSG_CMSG_COMPAT", r, err, 0, errno.EINVAL)
	r, err = sys(NR_accept4, uintptr(s), 0, 0, 0)
	wantCall(t, "accept4 on a datagram socket", r, err, 0, errno.EOPNOTSUPP)
}

// TestSocketcallRealProtocols runs the ABI face over gosock's UDP and
// AF_UNIX.
func TestSocketcallRealProtocols(t *testing.T) {
	p, _ := newRealNetProcess(t)
	u := newUmem(t)
	sv := u.alloc(8)
	r, err := u.call(p, SYS_SOCKETPAIR, abi.AF_UNIX, abi.SOCK_STREAM, 0, uint64(sv))
	wantCall(t, "socketpair", r, err, 0, 0)
	a, b := u.u32(sv), u.u32(sv+4)
	data := u.put([]byte("over unix"))
	r, err = u.call(p, SYS_SEND, uint64(a), uint64(data), 9, 0)
	wantCall(t, "send", r, err, 9, 0)
	buf := u.alloc(16)
	r, err = u.call(p, SYS_RECV, uint64(b), uint64(buf), 16, 0)
	wantCall(t, "recv", r, err, 9, 0)
	if got := string(u.bytes(buf, 9)); got != "over unix" {
		t.Errorf("received %q", got)
	}
	before := len(p.Files())
	r, err = u.call(p, SYS_SOCKETPAIR, abi.AF_UNIX, abi.SOCK_STREAM, 0, unmapped)
	wantCall(t, "socketpair into unmapped memory", r, err, 0, errno.EFAULT)
	r, err = u.call(p, SYS_SOCKETPAIR, abi.AF_INET, abi.SOCK_DGRAM, 0, uint64(sv))
	wantCall(t, "socketpair of AF_INET", r, err, 0, errno.EOPNOTSUPP)
	if len(p.Files()) != before {
		t.Errorf("failed socketpairs left descriptors: %v", p.Files())
	}

	// UDP through sendmsg/recvmsg with the peer's address.
	s1, err := u.call(p, SYS_SOCKET, abi.AF_INET, abi.SOCK_DGRAM, 0)
	wantCall(t, "socket", s1, err, s1, 0)
	s2, _ := u.call(p, SYS_SOCKET, abi.AF_INET, abi.SOCK_DGRAM, 0)
	u.call(p, SYS_BIND, uint64(s2), uint64(u.sockaddr4(0)), 16)
	name := u.alloc(16)
	lp := u.int32p(16)
	u.call(p, SYS_GETSOCKNAME, uint64(s2), uint64(name), uint64(lp))
	iov := u.iovecs([2]uint64{uint64(data), 4})
	r, err = u.call(p, SYS_SENDMSG, uint64(s1), uint64(u.msghdr(0, umsg{name: name, namelen: 16, iov: iov, iovlen: 1})), 0)
	wantCall(t, "sendmsg over UDP", r, err, 4, 0)
	from := u.alloc(32)
	hdr := u.msghdr(0, umsg{name: from, namelen: 32, iov: u.iovecs([2]uint64{uint64(buf), 16}), iovlen: 1})
	r, err = u.call(p, SYS_RECVMSG, uint64(s2), uint64(hdr), 0)
	wantCall(t, "recvmsg over UDP", r, err, 4, 0)
	if l := u.u32(hdr + 8); l != 16 || u.bytes(from, 1)[0] != abi.AF_INET {
		t.Errorf("recvmsg name: length %d family %d", l, u.bytes(from, 1)[0])
	}
}
