package sys

import (
	"context"
	"encoding/binary"
	"time"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/socket"
	"github.com/gosock/gosock/waitq"
)

// sockFile is a socket as an open file.
type sockFile struct {
	s *socket.Socket
	p *Process
}

func (f *sockFile) Read(ctx context.Context, b []byte, nonblock bool) (int, error) {
	if len(b) == 0 {
		return 0, nil // sock_read_iter reads nothing, and consumes nothing
	}
	flags := 0
	if nonblock {
		flags = abi.MSG_DONTWAIT
	}
	m := getMsg(b)
	defer putMsg(m)
	return f.s.Recvmsg(ctx, &m.m, flags)
}

func (f *sockFile) Write(ctx context.Context, b []byte, nonblock bool) (int, error) {
	flags := 0
	if nonblock {
		flags = abi.MSG_DONTWAIT
	}
	m := getMsg(b)
	n, err := f.s.Sendmsg(ctx, &m.m, flags)
	putMsg(m)
	if err == errno.EPIPE && f.s.Sock().Type == abi.SOCK_STREAM {
		f.p.signal(SIGPIPE) // stream sockets only, as sk_stream_error and unix_stream_sendmsg
	}
	return n, err
}

func (f *sockFile) Poll() waitq.Events  { return f.s.Poll() }
func (f *sockFile) Queue() *waitq.Queue { return &f.s.Sock().Wait }
func (f *sockFile) Release() error      { return f.s.Close() }

// SocketOf returns the socket behind fd, for the layers above (gonet,
// the packetdrill runner) that need the object itself.
func (p *Process) SocketOf(fd int) (*socket.Socket, error) {
	f, ref, err := p.sockget(fd)
	if err != nil {
		return nil, err
	}
	defer p.fdput(ref)
	return f.s, nil
}

// Socket is socket(2): typ may carry SOCK_NONBLOCK and SOCK_CLOEXEC; any
// other flag bit is EINVAL (__sys_socket_create). The socket is created
// before a descriptor is found, so EAFNOSUPPORT and the like win over
// EMFILE, as in Linux.
func (p *Process) Socket(domain, typ, proto int) (int, error) {
	flags := typ &^ sockTypeMask
	if flags&^(abi.SOCK_CLOEXEC|abi.SOCK_NONBLOCK) != 0 {
		return -1, errno.EINVAL
	}
	s, e := socket.Create(p.ns, domain, typ&sockTypeMask, proto, socket.Options{Creds: p.creds, Hooks: p.hooks})
	if e != 0 {
		return -1, e
	}
	return p.installSocket(s, flags)
}

const sockTypeMask = 0xf

func (p *Process) installSocket(s *socket.Socket, flags int) (int, error) {
	fl := abi.O_RDWR
	if flags&abi.SOCK_NONBLOCK != 0 {
		fl |= abi.O_NONBLOCK
		s.SetNonblock(true)
	}
	fd, err := p.install(&sockFile{s: s, p: p}, fl, flags&abi.SOCK_CLOEXEC != 0)
	if err != nil {
		s.Close()
		return -1, err
	}
	return fd, nil
}

// Bind is bind(2) with a typed address.
func (p *Process) Bind(fd int, sa abi.Sockaddr) error {
	var buf [abi.SizeofSockaddrStorage]byte
	n, e := abi.Marshal(sa, buf[:])
	if e != 0 {
		return e
	}
	return p.BindRaw(fd, buf[:n])
}

// BindRaw is bind(2) with the address as bytes in Linux's layout (the
// ABI face; its length is the addrlen argument). An address longer than
// sockaddr_storage is EINVAL (move_addr_to_kernel).
func (p *Process) BindRaw(fd int, addr []byte) error {
	f, ref, err := p.sockget(fd)
	if err != nil {
		return err
	}
	defer p.fdput(ref)
	if len(addr) > abi.SizeofSockaddrStorage {
		return errno.EINVAL
	}
	return f.s.Bind(addr)
}

// Listen is listen(2).
func (p *Process) Listen(fd, backlog int) error {
	f, ref, err := p.sockget(fd)
	if err != nil {
		return err
	}
	defer p.fdput(ref)
	return f.s.Listen(backlog)
}

// Accept is accept(2).
func (p *Process) Accept(fd int) (int, abi.Sockaddr, error) { return p.Accept4(fd, 0) }

// Accept4 is accept4(2): flags other than SOCK_NONBLOCK|SOCK_CLOEXEC are
// EINVAL, checked first; a full descriptor table is EMFILE before any
// waiting, as do_accept reserves the descriptor first.
func (p *Process) Accept4(fd, flags int) (int, abi.Sockaddr, error) {
	var buf [abi.SizeofSockaddrStorage]byte
	nfd, n, err := p.Accept4Raw(fd, flags, buf[:])
	if err != nil {
		return -1, nil, err
	}
	sa, _ := abi.Unmarshal(buf[:min(n, len(buf))])
	return nfd, sa, nil
}

// Accept4Raw is Accept4 writing the peer's address into addr and
// returning its full length (the value-result addrlen).
func (p *Process) Accept4Raw(fd, flags int, addr []byte) (int, int, error) {
	// Linux's order: the descriptor (EBADF), the flags, a free
	// descriptor for the new socket (EMFILE), then ENOTSOCK.
	if _, err := p.lookup(fd); err != nil {
		return -1, 0, err
	}
	if flags&^(abi.SOCK_CLOEXEC|abi.SOCK_NONBLOCK) != 0 {
		return -1, 0, errno.EINVAL
	}
	if !p.hasFreeFD() {
		return -1, 0, errno.EMFILE
	}
	f, ref, err := p.sockget(fd)
	if err != nil {
		return -1, 0, err
	}
	defer p.fdput(ref)
	ctx, done := p.context(context.Background())
	defer done()
	f.s.SetNonblock(ref.nonblock())
	ns, err := f.s.Accept(ctx)
	if err != nil {
		return -1, 0, err
	}
	n := 0
	if addr != nil {
		var e error
		if n, e = ns.AcceptName(addr); e != nil {
			// The peer went away between accept and getname: Linux
			// returns ECONNABORTED.
			ns.Close()
			return -1, 0, errno.ECONNABORTED
		}
	}
	nfd, err := p.installSocket(ns, flags)
	if err != nil {
		return -1, 0, err
	}
	return nfd, n, nil
}

func (p *Process) hasFreeFD() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.fds) < p.nofile {
		return true
	}
	for _, e := range p.fds {
		if e.ref == nil {
			return true
		}
	}
	return false
}

func (r *fileRef) nonblock() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.flags&abi.O_NONBLOCK != 0
}

// Connect is connect(2) with a typed address.
func (p *Process) Connect(fd int, sa abi.Sockaddr) error {
	var buf [abi.SizeofSockaddrStorage]byte
	n, e := abi.Marshal(sa, buf[:])
	if e != 0 {
		return e
	}
	return p.ConnectRaw(fd, buf[:n])
}

// ConnectRaw is connect(2) with the address in Linux's layout.
func (p *Process) ConnectRaw(fd int, addr []byte) error {
	f, ref, err := p.sockget(fd)
	if err != nil {
		return err
	}
	defer p.fdput(ref)
	if len(addr) > abi.SizeofSockaddrStorage {
		return errno.EINVAL
	}
	ctx, done := p.context(context.Background())
	defer done()
	f.s.SetNonblock(ref.nonblock())
	return f.s.Connect(ctx, addr)
}

// Shutdown is shutdown(2).
func (p *Process) Shutdown(fd, how int) error {
	f, ref, err := p.sockget(fd)
	if err != nil {
		return err
	}
	defer p.fdput(ref)
	return f.s.Shutdown(how)
}

// Getsockname is getsockname(2).
func (p *Process) Getsockname(fd int) (abi.Sockaddr, error) { return p.getname(fd, false) }

// Getpeername is getpeername(2).
func (p *Process) Getpeername(fd int) (abi.Sockaddr, error) { return p.getname(fd, true) }

func (p *Process) getname(fd int, peer bool) (abi.Sockaddr, error) {
	var buf [abi.SizeofSockaddrStorage]byte
	n, err := p.GetnameRaw(fd, peer, buf[:])
	if err != nil {
		return nil, err
	}
	sa, e := abi.Unmarshal(buf[:min(n, len(buf))])
	if e != 0 {
		return nil, e
	}
	return sa, nil
}

// GetnameRaw writes the local or peer address into buf and returns its
// full length.
func (p *Process) GetnameRaw(fd int, peer bool, buf []byte) (int, error) {
	f, ref, err := p.sockget(fd)
	if err != nil {
		return 0, err
	}
	defer p.fdput(ref)
	return f.s.Getname(buf, peer)
}

// Sendmsg sends p and the control data oob to the address to (nil for a
// connected socket), returning the bytes sent (x/sys/unix's SendmsgN).
func (p *Process) Sendmsg(fd int, b, oob []byte, to abi.Sockaddr, flags int) (int, error) {
	m := getMsg(b)
	defer putMsg(m)
	n, e := abi.Marshal(to, m.name[:])
	if e != 0 {
		return 0, e
	}
	if to != nil {
		m.m.Name = m.name[:n]
	}
	m.m.Control = oob
	return p.SendmsgRaw(fd, &m.m, flags)
}

// SendmsgRaw is sendmsg(2) on a message in this address space.
func (p *Process) SendmsgRaw(fd int, m *socket.Msg, flags int) (int, error) {
	f, ref, err := p.sockget(fd)
	if err != nil {
		return 0, err
	}
	defer p.fdput(ref)
	if len(m.Name) > abi.SizeofSockaddrStorage {
		return 0, errno.EINVAL
	}
	if ref.nonblock() {
		flags |= abi.MSG_DONTWAIT
	}
	ctx, done := p.context(context.Background())
	defer done()
	p.scmSend(f.s, m)
	defer p.scmSent(m)
	n, err := f.s.Sendmsg(ctx, m, flags)
	if err == errno.EPIPE && flags&abi.MSG_NOSIGNAL == 0 && f.s.Sock().Type == abi.SOCK_STREAM {
		p.signal(SIGPIPE)
	}
	return n, err
}

// Sendto is sendto(2).
func (p *Process) Sendto(fd int, b []byte, flags int, to abi.Sockaddr) error {
	_, err := p.Sendmsg(fd, b, nil, to, flags)
	return err
}

// Send is send(2), returning the bytes sent.
func (p *Process) Send(fd int, b []byte, flags int) (int, error) {
	return p.Sendmsg(fd, b, nil, nil, flags)
}

// Recvmsg receives into b and oob (x/sys/unix's Recvmsg): it returns the
// data length, the control length, msg_flags and the sender.
func (p *Process) Recvmsg(fd int, b, oob []byte, flags int) (n, oobn, recvflags int, from abi.Sockaddr, err error) {
	c := getMsg(b)
	defer putMsg(c)
	m := &c.m
	m.Name, m.Control = c.name[:], oob
	n, err = p.RecvmsgRaw(fd, m, flags)
	if err != nil {
		return 0, 0, 0, nil, err
	}
	if m.NameLen > 0 {
		from, _ = abi.Unmarshal(c.name[:min(m.NameLen, len(c.name))])
	}
	return n, m.ControlLen, m.Flags, from, nil
}

// RecvmsgRaw is recvmsg(2) on a message in this address space.
func (p *Process) RecvmsgRaw(fd int, m *socket.Msg, flags int) (int, error) {
	f, ref, err := p.sockget(fd)
	if err != nil {
		return 0, err
	}
	defer p.fdput(ref)
	if ref.nonblock() {
		flags |= abi.MSG_DONTWAIT
	}
	ctx, done := p.context(context.Background())
	defer done()
	n, err := f.s.Recvmsg(ctx, m, flags)
	p.scmRecv(f.s, m, flags, err)
	return n, err
}

// Recvfrom is recvfrom(2).
func (p *Process) Recvfrom(fd int, b []byte, flags int) (int, abi.Sockaddr, error) {
	n, _, _, from, err := p.Recvmsg(fd, b, nil, flags)
	return n, from, err
}

// Read is read(2).
func (p *Process) Read(fd int, b []byte) (int, error) {
	ref, err := p.fdget(fd)
	if err != nil {
		return 0, err
	}
	defer p.fdput(ref)
	ctx, done := p.context(context.Background())
	defer done()
	return ref.file.Read(ctx, b, ref.nonblock())
}

// Write is write(2).
func (p *Process) Write(fd int, b []byte) (int, error) {
	ref, err := p.fdget(fd)
	if err != nil {
		return 0, err
	}
	defer p.fdput(ref)
	ctx, done := p.context(context.Background())
	defer done()
	return ref.file.Write(ctx, b, ref.nonblock())
}

// Seek is lseek(2): sockets, pipes and epoll instances cannot seek.
func (p *Process) Seek(fd int, offset int64, whence int) (int64, error) {
	if _, err := p.lookup(fd); err != nil {
		return 0, err
	}
	return 0, errno.ESPIPE
}

// Setsockopt is setsockopt(2) with the value's bytes; a negative length
// cannot be expressed here, so only the ABI face checks it.
func (p *Process) Setsockopt(fd, level, opt int, val []byte) error {
	f, ref, err := p.sockget(fd)
	if err != nil {
		return err
	}
	defer p.fdput(ref)
	return f.s.SetSockopt(level, opt, val)
}

// Getsockopt is getsockopt(2): it fills buf and returns the length Linux
// reports.
func (p *Process) Getsockopt(fd, level, opt int, buf []byte) (int, error) {
	f, ref, err := p.sockget(fd)
	if err != nil {
		return 0, err
	}
	defer p.fdput(ref)
	return f.s.GetSockopt(level, opt, buf)
}

// SetsockoptInt sets an int option.
func (p *Process) SetsockoptInt(fd, level, opt, value int) error {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], uint32(int32(value)))
	return p.Setsockopt(fd, level, opt, b[:])
}

// GetsockoptInt reads an int option.
func (p *Process) GetsockoptInt(fd, level, opt int) (int, error) {
	var b [4]byte
	n, err := p.Getsockopt(fd, level, opt, b[:])
	if err != nil {
		return 0, err
	}
	if n < 4 {
		clear(b[n:])
	}
	return int(int32(binary.LittleEndian.Uint32(b[:]))), nil
}

// SetsockoptLinger sets SO_LINGER.
func (p *Process) SetsockoptLinger(fd int, on bool, seconds int) error {
	var b [8]byte
	if on {
		binary.LittleEndian.PutUint32(b[:], 1)
	}
	binary.LittleEndian.PutUint32(b[4:], uint32(int32(seconds)))
	return p.Setsockopt(fd, abi.SOL_SOCKET, abi.SO_LINGER, b[:])
}

// SetsockoptTimeval sets a struct timeval option (SO_RCVTIMEO,
// SO_SNDTIMEO).
func (p *Process) SetsockoptTimeval(fd, level, opt int, d time.Duration) error {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:], uint64(d/time.Second))
	binary.LittleEndian.PutUint64(b[8:], uint64(d%time.Second/time.Microsecond))
	return p.Setsockopt(fd, level, opt, b[:])
}

// Fcntl is fcntl(2) for the commands a socket layer sees: F_GETFD,
// F_SETFD, F_GETFL, F_SETFL (O_NONBLOCK, O_ASYNC), F_GETOWN, F_SETOWN,
// F_DUPFD, F_DUPFD_CLOEXEC; others are EINVAL.
func (p *Process) Fcntl(fd, cmd, arg int) (int, error) {
	ref, err := p.fdget(fd)
	if err != nil {
		return -1, err
	}
	defer p.fdput(ref)
	switch cmd {
	case abi.F_GETFD:
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.fds[fd].cloexec {
			return abi.FD_CLOEXEC, nil
		}
		return 0, nil
	case abi.F_SETFD:
		p.mu.Lock()
		defer p.mu.Unlock()
		if fd < len(p.fds) && p.fds[fd].ref == ref {
			p.fds[fd].cloexec = arg&abi.FD_CLOEXEC != 0
		}
		return 0, nil
	case abi.F_GETFL:
		ref.mu.Lock()
		defer ref.mu.Unlock()
		return ref.flags, nil
	case abi.F_SETFL:
		ref.mu.Lock()
		const settable = abi.O_NONBLOCK | abi.O_ASYNC
		ref.flags = ref.flags&^settable | arg&settable
		nb := ref.flags&abi.O_NONBLOCK != 0
		p.syncAsync(ref)
		ref.mu.Unlock()
		if s, ok := ref.file.(*sockFile); ok {
			s.s.SetNonblock(nb)
		}
		return 0, nil
	case abi.F_GETOWN:
		ref.mu.Lock()
		defer ref.mu.Unlock()
		return ref.owner, nil
	case abi.F_SETOWN:
		p.setOwner(ref, arg)
		return 0, nil
	case abi.F_DUPFD:
		return p.dupFrom(fd, arg, false)
	case abi.F_DUPFD_CLOEXEC:
		return p.dupFrom(fd, arg, true)
	}
	return -1, errno.EINVAL
}
