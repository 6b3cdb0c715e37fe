package sys

import (
	"context"
	"encoding/binary"
	"math"
	"time"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/socket"
)

// Call numbers of socketcall(2) (linux/net.h).
const (
	SYS_SOCKET      = 1
	SYS_BIND        = 2
	SYS_CONNECT     = 3
	SYS_LISTEN      = 4
	SYS_ACCEPT      = 5
	SYS_GETSOCKNAME = 6
	SYS_GETPEERNAME = 7
	SYS_SOCKETPAIR  = 8
	SYS_SEND        = 9
	SYS_RECV        = 10
	SYS_SENDTO      = 11
	SYS_RECVFROM    = 12
	SYS_SHUTDOWN    = 13
	SYS_SETSOCKOPT  = 14
	SYS_GETSOCKOPT  = 15
	SYS_SENDMSG     = 16
	SYS_RECVMSG     = 17
	SYS_ACCEPT4     = 18
	SYS_RECVMMSG    = 19
	SYS_SENDMMSG    = 20
)

// socketcallNargs is how many unsigned longs each call reads (nargs[]).
var socketcallNargs = [SYS_SENDMMSG + 1]int{0, 3, 3, 3, 2, 3, 3, 3, 4, 4, 4, 6, 6, 2, 5, 5, 3, 3, 4, 5, 4}

// x86-64 system call numbers that Syscall serves.
const (
	NR_read          = 0
	NR_write         = 1
	NR_close         = 3
	NR_poll          = 7
	NR_lseek         = 8
	NR_ioctl         = 16
	NR_pipe          = 22
	NR_socket        = 41
	NR_connect       = 42
	NR_accept        = 43
	NR_sendto        = 44
	NR_recvfrom      = 45
	NR_sendmsg       = 46
	NR_recvmsg       = 47
	NR_shutdown      = 48
	NR_bind          = 49
	NR_listen        = 50
	NR_getsockname   = 51
	NR_getpeername   = 52
	NR_socketpair    = 53
	NR_setsockopt    = 54
	NR_getsockopt    = 55
	NR_fcntl         = 72
	NR_epoll_create  = 213
	NR_epoll_wait    = 232
	NR_epoll_ctl     = 233
	NR_accept4       = 288
	NR_epoll_create1 = 291
	NR_pipe2         = 293
	NR_recvmmsg      = 299
	NR_sendmmsg      = 307
)

// Binary layouts (x86-64).
const (
	sizeofMsghdr   = 56 // struct user_msghdr
	sizeofIovec    = 16
	sizeofMmsghdr  = 64 // msghdr + msg_len + padding
	sizeofTimespec = 16 // struct __kernel_timespec
	// ctlStackSize is the control buffer ____sys_sendmsg keeps on its
	// stack (a cmsghdr and an in6_pktinfo); longer ones are allocated
	// against net.core.optmem_max.
	ctlStackSize = 16 + 20
	// ctlMax bounds the control buffer staged for a receive.
	ctlMax = 64 << 10
	// optMax bounds the option buffer staged for getsockopt.
	optMax = 64 << 10
)

// Argument conversions: C int, unsigned int, pointers.
func cint(a uint64) int    { return int(int32(uint32(a))) }
func cuint(a uint64) int   { return int(uint32(a)) }
func ptr(a uint64) uintptr { return uintptr(a) }

// Socketcall is socketcall(2) with the 64-bit argument array at args in
// mem: call numbers outside SYS_SOCKET…SYS_SENDMMSG are EINVAL, an
// unreadable array EFAULT; each call then reads and writes its Linux
// structures in mem and runs the same typed call as the Go face.
func (p *Process) Socketcall(mem Memory, call int, args uintptr) (int, error) {
	if call < 1 || call > SYS_SENDMMSG {
		return -1, errno.EINVAL
	}
	n := socketcallNargs[call]
	var raw [6 * 8]byte
	if err := mem.ReadAt(raw[:n*8], args); err != nil {
		return -1, errno.EFAULT
	}
	var a [6]uint64
	for i := range n {
		a[i] = binary.LittleEndian.Uint64(raw[i*8:])
	}
	var (
		r   int
		err error
	)
	switch call {
	case SYS_SOCKET:
		r, err = p.Socket(cint(a[0]), cint(a[1]), cint(a[2]))
	case SYS_BIND:
		err = p.sysBind(mem, cint(a[0]), ptr(a[1]), cint(a[2]))
	case SYS_CONNECT:
		err = p.sysConnect(mem, cint(a[0]), ptr(a[1]), cint(a[2]))
	case SYS_LISTEN:
		err = p.Listen(cint(a[0]), cint(a[1]))
	case SYS_ACCEPT:
		r, err = p.sysAccept4(mem, cint(a[0]), ptr(a[1]), ptr(a[2]), 0)
	case SYS_GETSOCKNAME:
		err = p.sysGetname(mem, cint(a[0]), ptr(a[1]), ptr(a[2]), false)
	case SYS_GETPEERNAME:
		err = p.sysGetname(mem, cint(a[0]), ptr(a[1]), ptr(a[2]), true)
	case SYS_SOCKETPAIR:
		err = p.sysSocketpair(mem, cint(a[0]), cint(a[1]), cint(a[2]), ptr(a[3]))
	case SYS_SEND:
		r, err = p.sysSendto(mem, cint(a[0]), ptr(a[1]), a[2], cuint(a[3]), 0, 0)
	case SYS_SENDTO:
		r, err = p.sysSendto(mem, cint(a[0]), ptr(a[1]), a[2], cuint(a[3]), ptr(a[4]), cint(a[5]))
	case SYS_RECV:
		r, err = p.sysRecvfrom(mem, cint(a[0]), ptr(a[1]), a[2], cuint(a[3]), 0, 0)
	case SYS_RECVFROM:
		r, err = p.sysRecvfrom(mem, cint(a[0]), ptr(a[1]), a[2], cuint(a[3]), ptr(a[4]), ptr(a[5]))
	case SYS_SHUTDOWN:
		err = p.Shutdown(cint(a[0]), cint(a[1]))
	case SYS_SETSOCKOPT:
		err = p.sysSetsockopt(mem, cint(a[0]), cint(a[1]), cint(a[2]), ptr(a[3]), cint(a[4]))
	case SYS_GETSOCKOPT:
		err = p.sysGetsockopt(mem, cint(a[0]), cint(a[1]), cint(a[2]), ptr(a[3]), ptr(a[4]))
	case SYS_SENDMSG:
		r, err = p.sysSendmsg(mem, cint(a[0]), ptr(a[1]), cuint(a[2]))
	case SYS_RECVMSG:
		r, err = p.sysRecvmsg(mem, cint(a[0]), ptr(a[1]), cuint(a[2]))
	case SYS_ACCEPT4:
		r, err = p.sysAccept4(mem, cint(a[0]), ptr(a[1]), ptr(a[2]), cint(a[3]))
	case SYS_RECVMMSG:
		r, err = p.sysRecvmmsg(mem, cint(a[0]), ptr(a[1]), cuint(a[2]), cuint(a[3]), ptr(a[4]))
	case SYS_SENDMMSG:
		r, err = p.sysSendmmsg(mem, cint(a[0]), ptr(a[1]), cuint(a[2]), cuint(a[3]))
	}
	return result(r, err)
}

// result normalises a call's outcome: -1 with an Errno on failure.
func result(r int, err error) (int, error) {
	if err == nil {
		return r, nil
	}
	if e, ok := errno.Of(err); ok {
		return -1, e
	}
	return -1, err
}

// Syscall is the x86-64 system call nr with its raw arguments, for the
// socket calls (socket … sendmmsg) and the file calls around them (read,
// write, close, lseek, fcntl, ioctl, poll, pipe, pipe2, epoll_create,
// epoll_create1, epoll_ctl, epoll_wait); others are ENOSYS. Pointers are
// addresses in mem.
func (p *Process) Syscall(mem Memory, nr int, a1, a2, a3, a4, a5, a6 uintptr) (int, error) {
	a := [6]uint64{uint64(a1), uint64(a2), uint64(a3), uint64(a4), uint64(a5), uint64(a6)}
	var (
		r   int
		err error
	)
	switch nr {
	case NR_read:
		r, err = p.sysRead(mem, cuint(a[0]), ptr(a[1]), a[2])
	case NR_write:
		r, err = p.sysWrite(mem, cuint(a[0]), ptr(a[1]), a[2])
	case NR_close:
		err = p.Close(cuint(a[0]))
	case NR_poll:
		r, err = p.sysPoll(mem, ptr(a[0]), uint32(a[1]), cint(a[2]))
	case NR_lseek:
		var off int64
		off, err = p.lseek(cuint(a[0]), int64(a[1]), uint32(a[2]))
		r = int(off)
	case NR_ioctl:
		err = p.sysIoctl(mem, cuint(a[0]), uint32(a[1]), ptr(a[2]))
	case NR_pipe:
		err = p.sysPipe2(mem, ptr(a[0]), 0)
	case NR_pipe2:
		err = p.sysPipe2(mem, ptr(a[0]), cint(a[1]))
	case NR_fcntl:
		r, err = p.Fcntl(cuint(a[0]), cuint(a[1]), int(a[2]))
	case NR_epoll_create:
		r, err = p.EpollCreate(cint(a[0]))
	case NR_epoll_create1:
		r, err = p.EpollCreate1(cint(a[0]))
	case NR_epoll_ctl:
		err = p.sysEpollCtl(mem, cint(a[0]), cint(a[1]), cint(a[2]), ptr(a[3]))
	case NR_epoll_wait:
		r, err = p.sysEpollWait(mem, cint(a[0]), ptr(a[1]), cint(a[2]), cint(a[3]))
	case NR_socket:
		r, err = p.Socket(cint(a[0]), cint(a[1]), cint(a[2]))
	case NR_connect:
		err = p.sysConnect(mem, cint(a[0]), ptr(a[1]), cint(a[2]))
	case NR_accept:
		r, err = p.sysAccept4(mem, cint(a[0]), ptr(a[1]), ptr(a[2]), 0)
	case NR_accept4:
		r, err = p.sysAccept4(mem, cint(a[0]), ptr(a[1]), ptr(a[2]), cint(a[3]))
	case NR_sendto:
		r, err = p.sysSendto(mem, cint(a[0]), ptr(a[1]), a[2], cuint(a[3]), ptr(a[4]), cint(a[5]))
	case NR_recvfrom:
		r, err = p.sysRecvfrom(mem, cint(a[0]), ptr(a[1]), a[2], cuint(a[3]), ptr(a[4]), ptr(a[5]))
	case NR_sendmsg:
		r, err = p.sysSendmsg(mem, cint(a[0]), ptr(a[1]), cuint(a[2]))
	case NR_recvmsg:
		r, err = p.sysRecvmsg(mem, cint(a[0]), ptr(a[1]), cuint(a[2]))
	case NR_shutdown:
		err = p.Shutdown(cint(a[0]), cint(a[1]))
	case NR_bind:
		err = p.sysBind(mem, cint(a[0]), ptr(a[1]), cint(a[2]))
	case NR_listen:
		err = p.Listen(cint(a[0]), cint(a[1]))
	case NR_getsockname:
		err = p.sysGetname(mem, cint(a[0]), ptr(a[1]), ptr(a[2]), false)
	case NR_getpeername:
		err = p.sysGetname(mem, cint(a[0]), ptr(a[1]), ptr(a[2]), true)
	case NR_socketpair:
		err = p.sysSocketpair(mem, cint(a[0]), cint(a[1]), cint(a[2]), ptr(a[3]))
	case NR_setsockopt:
		err = p.sysSetsockopt(mem, cint(a[0]), cint(a[1]), cint(a[2]), ptr(a[3]), cint(a[4]))
	case NR_getsockopt:
		err = p.sysGetsockopt(mem, cint(a[0]), cint(a[1]), cint(a[2]), ptr(a[3]), ptr(a[4]))
	case NR_recvmmsg:
		r, err = p.sysRecvmmsg(mem, cint(a[0]), ptr(a[1]), cuint(a[2]), cuint(a[3]), ptr(a[4]))
	case NR_sendmmsg:
		r, err = p.sysSendmmsg(mem, cint(a[0]), ptr(a[1]), cuint(a[2]), cuint(a[3]))
	default:
		err = errno.ENOSYS
	}
	return result(r, err)
}

// moveAddrToKernel is move_addr_to_kernel: a length outside
// 0…sizeof(sockaddr_storage) is EINVAL, then the bytes are copied (a
// zero length gives an empty, non-nil address).
func moveAddrToKernel(mem Memory, uaddr uintptr, ulen int) ([]byte, error) {
	if ulen < 0 || ulen > abi.SizeofSockaddrStorage {
		return nil, errno.EINVAL
	}
	if ulen == 0 {
		return []byte{}, nil
	}
	return copyIn(mem, uaddr, ulen)
}

// moveAddrToUser is move_addr_to_user: kaddr is the whole address (its
// length klen). The user's *ulenp is read, klen is written back when
// that was not negative, and min(*ulenp, klen) bytes are copied; a
// negative length is EINVAL.
func moveAddrToUser(mem Memory, kaddr []byte, uaddr, ulenp uintptr) error {
	l, err := getU32(mem, ulenp)
	if err != nil {
		return err
	}
	ulen := int(int32(l))
	klen := len(kaddr)
	if ulen > klen {
		ulen = klen
	}
	if ulen >= 0 {
		if err := putU32(mem, ulenp, uint32(klen)); err != nil {
			return err
		}
	}
	if ulen < 0 {
		return errno.EINVAL
	}
	return copyOut(mem, uaddr, kaddr[:ulen])
}

// sysBind is __sys_bind: EBADF and ENOTSOCK come before the address.
func (p *Process) sysBind(mem Memory, fd int, uaddr uintptr, alen int) error {
	if _, _, err := p.socketOf(fd); err != nil {
		return err
	}
	addr, err := moveAddrToKernel(mem, uaddr, alen)
	if err != nil {
		return err
	}
	return p.BindRaw(fd, addr)
}

// sysConnect is __sys_connect: EBADF, then the address, then ENOTSOCK.
func (p *Process) sysConnect(mem Memory, fd int, uaddr uintptr, alen int) error {
	if _, err := p.lookup(fd); err != nil {
		return err
	}
	addr, err := moveAddrToKernel(mem, uaddr, alen)
	if err != nil {
		return err
	}
	return p.ConnectRaw(fd, addr)
}

// sysAccept4 is __sys_accept4 in Linux's order: EBADF, EINVAL for the
// flags, EMFILE, ENOTSOCK, the accept, then the peer's address (a fault
// there loses the connection, as in Linux).
func (p *Process) sysAccept4(mem Memory, fd int, uaddr, ulenp uintptr, flags int) (int, error) {
	if _, err := p.lookup(fd); err != nil {
		return -1, err
	}
	if flags&^(abi.SOCK_CLOEXEC|abi.SOCK_NONBLOCK) != 0 {
		return -1, errno.EINVAL
	}
	if !p.hasFreeFD() {
		return -1, errno.EMFILE
	}
	if _, _, err := p.socketOf(fd); err != nil {
		return -1, err
	}
	var buf []byte
	if uaddr != 0 {
		buf = make([]byte, abi.SizeofSockaddrStorage)
	}
	nfd, n, err := p.Accept4Raw(fd, flags, buf)
	if err != nil {
		return -1, err
	}
	if uaddr != 0 {
		if err := moveAddrToUser(mem, buf[:min(max(n, 0), len(buf))], uaddr, ulenp); err != nil {
			_ = p.Close(nfd)
			return -1, err
		}
	}
	return nfd, nil
}

// sysGetname is __sys_getsockname and __sys_getpeername.
func (p *Process) sysGetname(mem Memory, fd int, uaddr, ulenp uintptr, peer bool) error {
	if _, _, err := p.socketOf(fd); err != nil {
		return err
	}
	var buf [abi.SizeofSockaddrStorage]byte
	n, err := p.GetnameRaw(fd, peer, buf[:])
	if err != nil {
		return err
	}
	return moveAddrToUser(mem, buf[:min(max(n, 0), len(buf))], uaddr, ulenp)
}

// freeFDs reports whether n descriptors are free below RLIMIT_NOFILE.
func (p *Process) freeFDs(n int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	free := p.nofile - len(p.fds)
	for _, e := range p.fds {
		if e.ref == nil {
			free++
		}
	}
	return free >= n
}

// sysSocketpair is __sys_socketpair: EINVAL for the flags, EMFILE
// unless two descriptors are free, EFAULT for the result array, all
// before the sockets are made.
func (p *Process) sysSocketpair(mem Memory, family, typ, proto int, usv uintptr) error {
	if (typ&^sockTypeMask)&^(abi.SOCK_CLOEXEC|abi.SOCK_NONBLOCK) != 0 {
		return errno.EINVAL
	}
	if !p.freeFDs(2) {
		return errno.EMFILE
	}
	if err := probeWritable(mem, usv, 8); err != nil {
		return err
	}
	fds, err := p.Socketpair(family, typ, proto)
	if err != nil {
		return err
	}
	var b [8]byte
	binary.LittleEndian.PutUint32(b[:], uint32(fds[0]))
	binary.LittleEndian.PutUint32(b[4:], uint32(fds[1]))
	if err := copyOut(mem, usv, b[:]); err != nil {
		p.uninstall(fds[0])
		p.uninstall(fds[1])
		return err
	}
	return nil
}

func (p *Process) isStream(fd int) bool {
	f, _, err := p.socketOf(fd)
	return err == nil && f.s.Sock().Type == abi.SOCK_STREAM
}

// sysSendto is __sys_sendto: the buffer's range is checked first
// (access_ok), then the descriptor, then the address.
func (p *Process) sysSendto(mem Memory, fd int, buf uintptr, n uint64, flags int, uaddr uintptr, alen int) (int, error) {
	n = min(n, maxRWCount)
	if !accessOK(buf, n) {
		return -1, errno.EFAULT
	}
	if _, _, err := p.socketOf(fd); err != nil {
		return -1, err
	}
	var name []byte
	if uaddr != 0 {
		var err error
		if name, err = moveAddrToKernel(mem, uaddr, alen); err != nil {
			return -1, err
		}
	}
	data, err := gather(mem, []userRange{{buf, int(n)}})
	if err != nil {
		return -1, err
	}
	flags &^= msgInternalSendmsgFlags
	return p.SendmsgRaw(fd, &socket.Msg{Name: name, Iov: data}, flags)
}

// sysRecvfrom is __sys_recvfrom.
func (p *Process) sysRecvfrom(mem Memory, fd int, buf uintptr, n uint64, flags int, uaddr, ulenp uintptr) (int, error) {
	n = min(n, maxRWCount)
	if !accessOK(buf, n) {
		return -1, errno.EFAULT
	}
	if _, _, err := p.socketOf(fd); err != nil {
		return -1, err
	}
	sc := newScatter(mem, []userRange{{buf, int(n)}})
	m := &socket.Msg{Iov: sc.bufs}
	var name [abi.SizeofSockaddrStorage]byte
	if uaddr != 0 {
		m.Name = name[:]
	}
	if p.keepsFaultedData(fd, sc, flags) {
		if n, done, err := p.recvFaulting(fd, sc, flags); done {
			return n, err
		}
		m.Iov = sc.reachable()
	}
	got, err := p.RecvmsgRaw(fd, m, flags)
	if err != nil {
		return -1, err
	}
	if got, err = p.commitRecv(fd, sc, got, flags); err != nil {
		return -1, err
	}
	if uaddr != 0 {
		klen := min(max(m.NameLen, 0), len(name))
		if err := moveAddrToUser(mem, name[:klen], uaddr, ulenp); err != nil {
			return -1, err
		}
	}
	return got, nil
}

// keepsFaultedData reports whether a receive into sc must leave queued
// the bytes that cannot reach user memory: a stream socket's do, as
// tcp_recvmsg and unix_stream_read_generic copy before they consume and
// stop at the first fault; a datagram goes with the fault (udp_recvmsg
// frees it), as do urgent data (tcp_recv_urg marks it read first) and
// MSG_TRUNC, which discards rather than copies.
func (p *Process) keepsFaultedData(fd int, sc *scatter, flags int) bool {
	return sc.fault && flags&(abi.MSG_OOB|abi.MSG_TRUNC) == 0 && p.isStream(fd)
}

// recvFaulting decides a stream receive whose buffers are not all
// mapped, without consuming anything. Linux copies each queued chunk
// whole or not at all and stops at the first fault: a receive whose data
// fits in the mapped buffers before the first unmapped one succeeds, one
// whose data runs into the unmapped range gives EFAULT with every byte
// still queued (an approximation: Linux could deliver whole chunks
// before the one that crosses). A peek one byte beyond the mapped part
// tells which, and waits and fails as the receive would (EAGAIN, a
// pending error, 0 at end of stream). When it returns done false, the
// caller receives into sc.reachable().
func (p *Process) recvFaulting(fd int, sc *scatter, flags int) (n int, done bool, err error) {
	lead := sc.reachable()
	capacity := 0
	for _, b := range lead {
		capacity += len(b)
	}
	var extra [1]byte
	iov := append(lead[:len(lead):len(lead)], extra[:]) // a copy: sc.bufs stays as it is
	n, err = p.RecvmsgRaw(fd, &socket.Msg{Iov: iov}, flags&^abi.MSG_WAITALL|abi.MSG_PEEK)
	switch {
	case err != nil:
		return -1, true, err
	case n == 0:
		return 0, true, nil
	case n > capacity:
		return -1, true, errno.EFAULT
	}
	return 0, false, nil
}

// commitRecv copies received data out of staging buffers. A fault gives
// EFAULT, except that a stream socket reports the bytes that reached
// memory before it.
func (p *Process) commitRecv(fd int, sc *scatter, n, flags int) (int, error) {
	stream := p.isStream(fd)
	if stream && flags&abi.MSG_TRUNC != 0 {
		return n, nil // the data was discarded, not copied
	}
	done, err := sc.commit(n)
	if err != nil {
		if stream && done > 0 {
			return done, nil
		}
		return 0, err
	}
	return n, nil
}

// msghdr is struct user_msghdr.
type msghdr struct {
	name       uintptr
	namelen    int32
	iov        uintptr
	iovlen     uint64
	control    uintptr
	controllen uint64
	flags      uint32
}

func readMsghdr(mem Memory, addr uintptr) (msghdr, error) {
	var b [sizeofMsghdr]byte
	if err := mem.ReadAt(b[:], addr); err != nil {
		return msghdr{}, errno.EFAULT
	}
	le := binary.LittleEndian
	return msghdr{
		name:       uintptr(le.Uint64(b[0:])),
		namelen:    int32(le.Uint32(b[8:])),
		iov:        uintptr(le.Uint64(b[16:])),
		iovlen:     le.Uint64(b[24:]),
		control:    uintptr(le.Uint64(b[32:])),
		controllen: le.Uint64(b[40:]),
		flags:      le.Uint32(b[48:]),
	}, nil
}

// check is __copy_msghdr's checks: a negative msg_namelen with a
// name is EINVAL, a longer one than sockaddr_storage is cut to it. It
// returns the name length (0 without a name). More than UIO_MAXIOV
// iovecs (iovlenOK) is EMSGSIZE after a send has copied the name.
func (h *msghdr) check() (int, error) {
	namelen := int(h.namelen)
	if h.name == 0 {
		namelen = 0
	}
	if namelen < 0 {
		return 0, errno.EINVAL
	}
	return min(namelen, abi.SizeofSockaddrStorage), nil
}

func (h *msghdr) iovlenOK() error {
	if h.iovlen > UIO_MAXIOV {
		return errno.EMSGSIZE
	}
	return nil
}

// importIovec is import_iovec: each iovec is read (EFAULT) and its
// length checked (negative as ssize_t: EINVAL), then each range must be
// a user range (EFAULT); the total is cut to MAX_RW_COUNT.
func importIovec(mem Memory, uvec uintptr, nr int) ([]userRange, error) {
	if nr == 0 {
		return nil, nil
	}
	if nr > UIO_MAXIOV {
		return nil, errno.EINVAL
	}
	if !accessOK(uvec, uint64(nr)*sizeofIovec) {
		return nil, errno.EFAULT
	}
	type iovec struct{ base, len uint64 }
	raw := make([]iovec, nr)
	var b [sizeofIovec]byte
	for i := range raw {
		if err := mem.ReadAt(b[:], uvec+uintptr(i*sizeofIovec)); err != nil {
			return nil, errno.EFAULT
		}
		raw[i] = iovec{binary.LittleEndian.Uint64(b[:]), binary.LittleEndian.Uint64(b[8:])}
		if int64(raw[i].len) < 0 {
			return nil, errno.EINVAL
		}
	}
	rs := make([]userRange, nr)
	total := uint64(0)
	for i, v := range raw {
		l := v.len
		if nr == 1 {
			// import_ubuf cuts before checking the range.
			l = min(l, maxRWCount)
		}
		if !accessOK(uintptr(v.base), l) {
			return nil, errno.EFAULT
		}
		l = min(l, maxRWCount-total)
		total += l
		rs[i] = userRange{uintptr(v.base), int(l)}
	}
	return rs, nil
}

func (p *Process) optmemMax() int {
	if p.ns == nil {
		return 131072
	}
	return int(p.ns.Sysctl.Int(netns.OptmemMax))
}

// sysSendmsg is __sys_sendmsg.
func (p *Process) sysSendmsg(mem Memory, fd int, umsg uintptr, flags int) (int, error) {
	if uint32(flags)&msgCmsgCompat != 0 {
		return -1, errno.EINVAL
	}
	if _, _, err := p.socketOf(fd); err != nil {
		return -1, err
	}
	n, _, err := p.sendmsgABI(mem, fd, umsg, flags, 0)
	return n, err
}

// sendmsgABI is ___sys_sendmsg: the message header and its parts in
// Linux's order (header, name, iovecs, control length ENOBUFS, control),
// then the data, then the typed send. allowed are the msg_flags bits
// that join the call's flags (MSG_EOR for sendmmsg). It reports whether
// part of the data was left unsent.
func (p *Process) sendmsgABI(mem Memory, fd int, umsg uintptr, flags, allowed int) (int, bool, error) {
	h, err := readMsghdr(mem, umsg)
	if err != nil {
		return 0, false, err
	}
	namelen, err := h.check()
	if err != nil {
		return 0, false, err
	}
	var name []byte
	if namelen > 0 {
		if name, err = moveAddrToKernel(mem, h.name, namelen); err != nil {
			return 0, false, err
		}
	}
	if err := h.iovlenOK(); err != nil {
		return 0, false, err
	}
	rs, err := importIovec(mem, h.iov, int(h.iovlen))
	if err != nil {
		return 0, false, err
	}
	if h.controllen > math.MaxInt32 {
		return 0, false, errno.ENOBUFS
	}
	flags |= int(h.flags) & allowed
	var control []byte
	if ctlLen := int(h.controllen); ctlLen > 0 {
		if ctlLen > ctlStackSize && ctlLen >= p.optmemMax() {
			return 0, false, errno.ENOBUFS // sock_kmalloc refused
		}
		if control, err = copyIn(mem, h.control, ctlLen); err != nil {
			return 0, false, err
		}
	}
	flags &^= msgInternalSendmsgFlags
	data, err := gather(mem, rs)
	if err != nil {
		return 0, false, err
	}
	m := &socket.Msg{Name: name, Iov: data, Control: control}
	total := m.Len()
	n, err := p.SendmsgRaw(fd, m, flags)
	if err != nil {
		return 0, false, err
	}
	return n, n < total, nil
}

// sysRecvmsg is __sys_recvmsg.
func (p *Process) sysRecvmsg(mem Memory, fd int, umsg uintptr, flags int) (int, error) {
	if uint32(flags)&msgCmsgCompat != 0 {
		return -1, errno.EINVAL
	}
	if _, _, err := p.socketOf(fd); err != nil {
		return -1, err
	}
	n, _, err := p.recvmsgABI(mem, fd, umsg, flags)
	return n, err
}

// recvmsgABI is ___sys_recvmsg: after the receive, the sender's address
// goes out through msg_name/msg_namelen (value-result), then msg_flags
// (with MSG_CMSG_CLOEXEC as passed) and msg_controllen, the bytes of
// control data written. It reports out-of-band data (MSG_OOB).
func (p *Process) recvmsgABI(mem Memory, fd int, umsg uintptr, flags int) (int, bool, error) {
	h, err := readMsghdr(mem, umsg)
	if err != nil {
		return 0, false, err
	}
	if _, err := h.check(); err != nil {
		return 0, false, err
	}
	if err := h.iovlenOK(); err != nil {
		return 0, false, err
	}
	rs, err := importIovec(mem, h.iov, int(h.iovlen))
	if err != nil {
		return 0, false, err
	}
	sc := newScatter(mem, rs)
	var name [abi.SizeofSockaddrStorage]byte
	m := &socket.Msg{Name: name[:], Iov: sc.bufs, Flags: flags & abi.MSG_CMSG_CLOEXEC}
	if h.control != 0 && h.controllen > 0 {
		m.Control = make([]byte, min(h.controllen, ctlMax))
	}
	if p.keepsFaultedData(fd, sc, flags) {
		if n, done, err := p.recvFaulting(fd, sc, flags); done {
			if err != nil {
				return 0, false, err
			}
			return n, false, nil
		}
		m.Iov = sc.reachable()
	}
	n, err := p.RecvmsgRaw(fd, m, flags)
	if err != nil {
		return 0, false, err
	}
	m.Flags |= flags & abi.MSG_CMSG_CLOEXEC
	if n, err = p.commitRecv(fd, sc, n, flags); err != nil {
		return 0, false, err
	}
	if h.name != 0 {
		klen := min(max(m.NameLen, 0), len(name))
		if err := moveAddrToUser(mem, name[:klen], h.name, umsg+8); err != nil {
			return 0, false, err
		}
	}
	ctlLen := 0
	if m.Control != nil && m.ControlLen > 0 {
		// put_cmsg's faults are not reported: the control data is just
		// not there.
		cl := min(m.ControlLen, len(m.Control))
		if copyOut(mem, h.control, m.Control[:cl]) == nil {
			ctlLen = cl
		}
	}
	if err := putU32(mem, umsg+48, uint32(m.Flags)&^msgCmsgCompat); err != nil {
		return 0, false, err
	}
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(ctlLen))
	if err := copyOut(mem, umsg+40, b[:]); err != nil {
		return 0, false, err
	}
	return n, m.Flags&abi.MSG_OOB != 0, nil
}

// sysSendmmsg is __sys_sendmmsg over struct mmsghdr entries: msg_len is
// written after each message (a fault there stops the batch, the message
// sent but not counted).
func (p *Process) sysSendmmsg(mem Memory, fd int, ummsg uintptr, vlen, flags int) (int, error) {
	return p.sendmmsg(fd, vlen, flags, func(i, flags int) (int, bool, error) {
		entry := ummsg + uintptr(i)*sizeofMmsghdr
		n, left, err := p.sendmsgABI(mem, fd, entry, flags, abi.MSG_EOR)
		if err != nil {
			return 0, false, err
		}
		if err := putU32(mem, entry+sizeofMsghdr, uint32(n)); err != nil {
			return 0, false, err
		}
		return n, left, nil
	})
}

// sysRecvmmsg is __sys_recvmmsg: the timeout (struct __kernel_timespec)
// is read first (EFAULT) and checked (EINVAL), and written back with
// the time left when messages were received (EFAULT then replaces the
// count).
func (p *Process) sysRecvmmsg(mem Memory, fd int, ummsg uintptr, vlen, flags int, utimeout uintptr) (int, error) {
	if uint32(flags)&msgCmsgCompat != 0 {
		return -1, errno.EINVAL
	}
	var timeout *time.Duration
	if utimeout != 0 {
		var b [sizeofTimespec]byte
		if err := mem.ReadAt(b[:], utimeout); err != nil {
			return -1, errno.EFAULT
		}
		sec := int64(binary.LittleEndian.Uint64(b[:]))
		nsec := int64(binary.LittleEndian.Uint64(b[8:]))
		if sec < 0 || nsec < 0 || nsec >= 1e9 {
			return -1, errno.EINVAL
		}
		d := time.Duration(math.MaxInt64)
		if sec < math.MaxInt64/int64(time.Second)-1 {
			d = time.Duration(sec)*time.Second + time.Duration(nsec)
		}
		timeout = &d
	}
	n, err := p.recvmmsg(fd, vlen, flags, timeout, func(i, flags int) (bool, error) {
		entry := ummsg + uintptr(i)*sizeofMmsghdr
		n, oob, err := p.recvmsgABI(mem, fd, entry, flags)
		if err != nil {
			return false, err
		}
		if err := putU32(mem, entry+sizeofMsghdr, uint32(n)); err != nil {
			return false, err
		}
		return oob, nil
	})
	if err != nil {
		return -1, err
	}
	if n > 0 && timeout != nil {
		var b [sizeofTimespec]byte
		binary.LittleEndian.PutUint64(b[:], uint64(*timeout/time.Second))
		binary.LittleEndian.PutUint64(b[8:], uint64(*timeout%time.Second))
		if err := copyOut(mem, utimeout, b[:]); err != nil {
			return -1, err
		}
	}
	return n, nil
}

// sysSetsockopt is __sys_setsockopt: a negative optlen is EINVAL, then
// the value is read.
func (p *Process) sysSetsockopt(mem Memory, fd, level, opt int, uval uintptr, optlen int) error {
	if _, _, err := p.socketOf(fd); err != nil {
		return err
	}
	if optlen < 0 {
		return errno.EINVAL
	}
	if !mapped(mem, userRange{uval, optlen}) {
		return errno.EFAULT
	}
	val, err := copyIn(mem, uval, optlen)
	if err != nil {
		return err
	}
	if val == nil {
		val = []byte{}
	}
	return p.Setsockopt(fd, level, opt, val)
}

// sysGetsockopt is __sys_getsockopt: *optlen is read (EFAULT), a
// negative one is EINVAL (SOL_IPV6 takes it as unsigned, as
// ipv6_getsockopt does), then the value and its length are written.
func (p *Process) sysGetsockopt(mem Memory, fd, level, opt int, uval, ulenp uintptr) error {
	if _, _, err := p.socketOf(fd); err != nil {
		return err
	}
	l, err := getU32(mem, ulenp)
	if err != nil {
		return err
	}
	ln := int(int32(l))
	if ln < 0 {
		if level != abi.SOL_IPV6 {
			return errno.EINVAL
		}
		ln = optMax
	}
	buf := make([]byte, min(ln, optMax))
	n, err := p.Getsockopt(fd, level, opt, buf)
	if err != nil {
		return err
	}
	n = min(max(n, 0), len(buf))
	if err := copyOut(mem, uval, buf[:n]); err != nil {
		return err
	}
	return putU32(mem, ulenp, uint32(n))
}

// rwCheck is vfs_read's and vfs_write's mode checks: EBADF for the
// wrong end of a pipe, EINVAL for files that cannot be read or written
// at all (epoll instances).
func rwCheck(f File, write bool) error {
	switch f := f.(type) {
	case *pipeEnd:
		if f.write != write {
			return errno.EBADF
		}
	case *eventpoll:
		return errno.EINVAL
	}
	return nil
}

// sysRead is read(2).
func (p *Process) sysRead(mem Memory, fd int, buf uintptr, n uint64) (int, error) {
	ref, err := p.fdget(fd)
	if err != nil {
		return -1, err
	}
	defer p.fdput(ref)
	if err := rwCheck(ref.file, false); err != nil {
		return -1, err
	}
	if !accessOK(buf, n) {
		return -1, errno.EFAULT
	}
	n = min(n, maxRWCount)
	if _, ok := ref.file.(*sockFile); ok && n == 0 {
		return 0, nil // sock_read_iter: an empty read reads nothing
	}
	sc := newScatter(mem, []userRange{{buf, int(n)}})
	var b []byte
	if len(sc.bufs) > 0 {
		b = sc.bufs[0]
	}
	if p.keepsFaultedData(fd, sc, 0) {
		// The one range is not mapped: the stream's bytes stay queued.
		n, _, err := p.recvFaulting(fd, sc, 0)
		return n, err
	}
	ctx, done := p.context(context.Background())
	defer done()
	got, err := ref.file.Read(ctx, b, ref.nonblock())
	if err != nil {
		return -1, err
	}
	if _, err := sc.commit(got); err != nil {
		return -1, err
	}
	return got, nil
}

// sysWrite is write(2).
func (p *Process) sysWrite(mem Memory, fd int, buf uintptr, n uint64) (int, error) {
	ref, err := p.fdget(fd)
	if err != nil {
		return -1, err
	}
	defer p.fdput(ref)
	if err := rwCheck(ref.file, true); err != nil {
		return -1, err
	}
	if !accessOK(buf, n) {
		return -1, errno.EFAULT
	}
	n = min(n, maxRWCount)
	data, err := gather(mem, []userRange{{buf, int(n)}})
	if err != nil {
		return -1, err
	}
	var b []byte
	if len(data) > 0 {
		b = data[0]
	}
	ctx, done := p.context(context.Background())
	defer done()
	return ref.file.Write(ctx, b, ref.nonblock())
}

// lseek is lseek(2): whence beyond SEEK_HOLE is EINVAL; an epoll
// instance seeks nowhere (noop_llseek: 0); pipes and sockets give
// ESPIPE.
func (p *Process) lseek(fd int, off int64, whence uint32) (int64, error) {
	ref, err := p.fdget(fd)
	if err != nil {
		return -1, err
	}
	defer p.fdput(ref)
	if whence > 4 {
		return -1, errno.EINVAL
	}
	if _, ok := ref.file.(*eventpoll); ok {
		return 0, nil
	}
	return -1, errno.ESPIPE
}

// ioctlArgSize is how many bytes of its argument an ioctl command
// accesses.
func ioctlArgSize(cmd uint32) int {
	switch cmd {
	case FIOCLEX, FIONCLEX, FIOQSIZE:
		return 0
	case FIONBIO, FIOASYNC, FIONREAD, abi.SIOCOUTQ, abi.SIOCOUTQNSD, abi.SIOCATMARK,
		FIOSETOWN, abi.SIOCSPGRP, FIOGETOWN, abi.SIOCGPGRP:
		return 4
	case EPIOCSPARAMS, EPIOCGPARAMS:
		return 8
	case abi.SIOCGSTAMP_OLD, abi.SIOCGSTAMPNS_OLD, abi.SIOCGSTAMP_NEW, abi.SIOCGSTAMPNS_NEW:
		return 16
	}
	if cmd>>8&0xff == sockIocType {
		return SizeofIfreq
	}
	if cmd>>30 != 0 { // _IOC_READ or _IOC_WRITE: the size is encoded
		return int(cmd >> 16 & 0x3fff)
	}
	return 0
}

// sysIoctl is ioctl(2): the argument is staged (nil when unreadable, so
// a command that uses it faults) and written back after success.
func (p *Process) sysIoctl(mem Memory, fd int, cmd uint32, arg uintptr) error {
	if _, err := p.lookup(fd); err != nil {
		return err
	}
	var buf []byte
	if size := ioctlArgSize(cmd); size > 0 {
		b := make([]byte, size)
		if mem.ReadAt(b, arg) == nil {
			buf = b
		}
	}
	if err := p.ioctl(fd, cmd, buf); err != nil {
		return err
	}
	return copyOut(mem, arg, buf)
}

// sysPipe2 is pipe2(2): the descriptors are only kept if they can be
// stored.
func (p *Process) sysPipe2(mem Memory, ufds uintptr, flags int) error {
	fds, err := p.Pipe2(flags)
	if err != nil {
		return err
	}
	var b [8]byte
	binary.LittleEndian.PutUint32(b[:], uint32(fds[0]))
	binary.LittleEndian.PutUint32(b[4:], uint32(fds[1]))
	if err := copyOut(mem, ufds, b[:]); err != nil {
		p.uninstall(fds[0])
		p.uninstall(fds[1])
		return err
	}
	return nil
}

// sysPoll is poll(2): more entries than RLIMIT_NOFILE is EINVAL, then
// the array is read (EFAULT); revents are written back even when the
// call is interrupted.
func (p *Process) sysPoll(mem Memory, ufds uintptr, nfds uint32, msec int) (int, error) {
	if int64(nfds) > int64(p.nofile) {
		return -1, errno.EINVAL
	}
	raw, err := copyIn(mem, ufds, int(nfds)*sizeofPollFd)
	if err != nil {
		return -1, err
	}
	fds := make([]PollFd, nfds)
	for i := range fds {
		b := raw[i*sizeofPollFd:]
		fds[i] = PollFd{Fd: int32(binary.LittleEndian.Uint32(b)), Events: int16(binary.LittleEndian.Uint16(b[4:]))}
	}
	n, perr := p.poll(fds, msecTimeout(msec))
	for i := range fds {
		binary.LittleEndian.PutUint16(raw[i*sizeofPollFd+6:], uint16(fds[i].Revents))
	}
	if err := copyOut(mem, ufds, raw); err != nil {
		return -1, err
	}
	return n, perr
}

// sysEpollCtl is epoll_ctl(2): the event is read (EFAULT) before
// anything else, except for EPOLL_CTL_DEL which has none.
func (p *Process) sysEpollCtl(mem Memory, epfd, op, fd int, uev uintptr) error {
	var ev EpollEvent
	if op != abi.EPOLL_CTL_DEL {
		var b [sizeofEpollEvent]byte
		if err := mem.ReadAt(b[:], uev); err != nil {
			return errno.EFAULT
		}
		ev.Events = binary.LittleEndian.Uint32(b[:])
		ev.Fd = int32(binary.LittleEndian.Uint32(b[4:]))
		ev.Pad = int32(binary.LittleEndian.Uint32(b[8:]))
	}
	return p.epollCtl(epfd, op, fd, ev)
}

// sysEpollWait is epoll_wait(2): events are stored as they are
// harvested; a fault stores nothing more and leaves the item ready
// (EFAULT if it was the first).
func (p *Process) sysEpollWait(mem Memory, epfd int, uevents uintptr, maxevents, msec int) (int, error) {
	if maxevents <= 0 || maxevents > epMaxEvents {
		return -1, errno.EINVAL
	}
	ep, err := p.epollOf(epfd)
	if err != nil {
		return -1, err
	}
	return ep.wait(p, maxevents, msecTimeout(msec), func(i int, ev EpollEvent) bool {
		var b [sizeofEpollEvent]byte
		binary.LittleEndian.PutUint32(b[:], ev.Events)
		binary.LittleEndian.PutUint32(b[4:], uint32(ev.Fd))
		binary.LittleEndian.PutUint32(b[8:], uint32(ev.Pad))
		return mem.WriteAt(b[:], uevents+uintptr(i)*sizeofEpollEvent) == nil
	})
}
