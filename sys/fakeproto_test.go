package sys

import (
	"encoding/binary"
	"sync"
	"testing"

	"github.com/gosock/gosock"
	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/socket"
	"github.com/gosock/gosock/udp"
	"github.com/gosock/gosock/unix"
	"github.com/gosock/gosock/waitq"
)

// fakeFamily is a small datagram family for the tests of the syscall
// layer, standing in for UDP while the real protocols are written:
// sockaddr_in addresses on 127.0.0.1, ports in one table per namespace,
// datagrams queued on the receiver's socket.
type fakeFamily struct {
	family int
	mu     sync.Mutex
	ports  map[uint16]*fakeSock
	next   uint16
}

func newFakeFamily(family int) *fakeFamily {
	return &fakeFamily{family: family, ports: make(map[uint16]*fakeSock), next: 40000}
}

type fakeDgram struct {
	from uint16
	data []byte
}

type fakeSock struct {
	fam  *fakeFamily
	sk   *socket.Sock
	mu   sync.Mutex
	port uint16
	peer uint16
	q    []fakeDgram
	// cmsg makes every receive carry one control message (level
	// SOL_SOCKET, type 99, four bytes).
	cmsg bool
	// sendFlags records the flags of each send.
	sendFlags []int
	// recvErr is what a receive of an empty queue returns instead of
	// EAGAIN.
	recvErr errno.Errno
}

func (f *fakeFamily) Create(s *socket.Sock, typ, proto int, kern bool) (socket.ProtoOps, errno.Errno) {
	if typ != abi.SOCK_DGRAM {
		return nil, errno.ESOCKTNOSUPPORT
	}
	if proto != 0 && proto != abi.IPPROTO_UDP {
		return nil, errno.EPROTONOSUPPORT
	}
	s.Protocol = abi.IPPROTO_UDP
	return &fakeSock{fam: f, sk: s}, 0
}

func fakeAddr(b []byte) (uint16, errno.Errno) {
	if len(b) < abi.SizeofSockaddrInet4 {
		return 0, errno.EINVAL
	}
	if abi.Family(b) != abi.AF_INET {
		return 0, errno.EAFNOSUPPORT
	}
	return binary.BigEndian.Uint16(b[2:]), 0
}

func (s *fakeSock) bindLocked(port uint16) errno.Errno {
	f := s.fam
	f.mu.Lock()
	defer f.mu.Unlock()
	if port == 0 {
		for f.ports[f.next] != nil {
			f.next++
		}
		port = f.next
		f.next++
	}
	if f.ports[port] != nil {
		return errno.EADDRINUSE
	}
	f.ports[port] = s
	s.port = port
	return 0
}

func (s *fakeSock) Bind(addr []byte) errno.Errno {
	port, e := fakeAddr(addr)
	if e != 0 {
		return e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.port != 0 {
		return errno.EINVAL
	}
	return s.bindLocked(port)
}

func (s *fakeSock) Connect(addr []byte) errno.Errno {
	port, e := fakeAddr(addr)
	if e != 0 {
		return e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.port == 0 {
		if e := s.bindLocked(0); e != 0 {
			return e
		}
	}
	s.peer = port
	return 0
}

func (s *fakeSock) Sendmsg(m *socket.Msg, flags int) (int, errno.Errno) {
	dst := uint16(0)
	if m.Name != nil {
		port, e := fakeAddr(m.Name)
		if e != 0 {
			return 0, e
		}
		dst = port
	}
	s.mu.Lock()
	s.sendFlags = append(s.sendFlags, flags)
	if dst == 0 {
		dst = s.peer
	}
	if dst == 0 {
		s.mu.Unlock()
		return 0, errno.EDESTADDRREQ
	}
	if s.port == 0 {
		if e := s.bindLocked(0); e != 0 {
			s.mu.Unlock()
			return 0, e
		}
	}
	from := s.port
	s.mu.Unlock()
	var data []byte
	for _, b := range m.Iov {
		data = append(data, b...)
	}
	s.fam.mu.Lock()
	to := s.fam.ports[dst]
	s.fam.mu.Unlock()
	if to != nil {
		to.mu.Lock()
		to.q = append(to.q, fakeDgram{from: from, data: data})
		to.mu.Unlock()
		to.sk.Wait.Notify(waitq.EventIn | waitq.EventRdNorm)
	}
	return len(data), 0
}

func (s *fakeSock) Recvmsg(m *socket.Msg, flags int) (int, errno.Errno) {
	s.mu.Lock()
	if len(s.q) == 0 {
		e := s.recvErr
		s.mu.Unlock()
		if e != 0 {
			return 0, e
		}
		return 0, errno.EAGAIN
	}
	d := s.q[0]
	if flags&abi.MSG_PEEK == 0 {
		s.q = s.q[1:]
	}
	cmsg := s.cmsg
	s.mu.Unlock()
	n := 0
	for _, b := range m.Iov {
		n += copy(b, d.data[n:])
	}
	if n < len(d.data) {
		m.Flags |= abi.MSG_TRUNC
	}
	if m.Name != nil {
		var sa [abi.SizeofSockaddrInet4]byte
		binary.LittleEndian.PutUint16(sa[:], abi.AF_INET)
		binary.BigEndian.PutUint16(sa[2:], d.from)
		copy(sa[4:], []byte{127, 0, 0, 1})
		copy(m.Name, sa[:])
		m.NameLen = len(sa)
	}
	if cmsg {
		if len(m.Control) >= 24 {
			c := m.Control
			binary.LittleEndian.PutUint64(c, 20)
			binary.LittleEndian.PutUint32(c[8:], abi.SOL_SOCKET)
			binary.LittleEndian.PutUint32(c[12:], 99)
			binary.LittleEndian.PutUint32(c[16:], 0xdeadbeef)
			m.ControlLen = 24
		} else {
			m.Flags |= abi.MSG_CTRUNC
		}
	}
	if flags&abi.MSG_TRUNC != 0 {
		return len(d.data), 0
	}
	return n, 0
}

func (s *fakeSock) Shutdown(how int) errno.Errno { return 0 }

func (s *fakeSock) Getname(buf []byte, peer bool) (int, errno.Errno) {
	s.mu.Lock()
	port := s.port
	if peer {
		if s.peer == 0 {
			s.mu.Unlock()
			return 0, errno.ENOTCONN
		}
		port = s.peer
	}
	s.mu.Unlock()
	var sa [abi.SizeofSockaddrInet4]byte
	binary.LittleEndian.PutUint16(sa[:], abi.AF_INET)
	binary.BigEndian.PutUint16(sa[2:], port)
	if port != 0 {
		copy(sa[4:], []byte{127, 0, 0, 1})
	}
	copy(buf, sa[:])
	return len(sa), 0
}

func (s *fakeSock) SetSockopt(level, name int, val []byte) errno.Errno { return errno.ENOPROTOOPT }
func (s *fakeSock) GetSockopt(level, name int, buf []byte) (int, errno.Errno) {
	return 0, errno.ENOPROTOOPT
}

func (s *fakeSock) Poll() waitq.Events {
	s.mu.Lock()
	defer s.mu.Unlock()
	ev := waitq.EventOut | waitq.EventWrNorm
	if len(s.q) > 0 {
		ev |= waitq.EventIn | waitq.EventRdNorm
	}
	return ev
}

func (s *fakeSock) Release() {
	s.mu.Lock()
	port := s.port
	s.mu.Unlock()
	if port != 0 {
		s.fam.mu.Lock()
		if s.fam.ports[port] == s {
			delete(s.fam.ports, port)
		}
		s.fam.mu.Unlock()
	}
}

// Ioctl answers SIOCINQ (the first datagram's length) and SIOCOUTQ (0),
// as udp_ioctl.
func (s *fakeSock) Ioctl(cmd uint, arg []byte) errno.Errno {
	switch cmd {
	case abi.SIOCINQ, abi.SIOCOUTQ:
		if len(arg) < 4 {
			return errno.EFAULT
		}
		v := 0
		if cmd == abi.SIOCINQ {
			s.mu.Lock()
			if len(s.q) > 0 {
				v = len(s.q[0].data)
			}
			s.mu.Unlock()
		}
		binary.LittleEndian.PutUint32(arg, uint32(v))
		return 0
	}
	return enoioctlcmd
}

// fakeSockOf returns the fake protocol behind fd.
func fakeSockOf(t testing.TB, p *Process, fd int) *fakeSock {
	t.Helper()
	s, err := p.SocketOf(fd)
	if err != nil {
		t.Fatal(err)
	}
	return s.Ops().(*fakeSock)
}

// newNetProcess returns a process in a namespace (with lo) where the
// fake family serves AF_INET; the namespace is closed with the test.
func newNetProcess(t testing.TB) (*Process, *netns.Namespace) {
	t.Helper()
	ns := netns.New(netns.Options{Name: "test"})
	ns.RegisterFamily(abi.AF_INET, newFakeFamily(abi.AF_INET))
	t.Cleanup(func() { ns.Close() })
	return NewProcess(ns, Options{}), ns
}

// newProcess returns a process without a namespace (pipes, epoll, poll).
func newProcess(opts ...Options) *Process {
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	return NewProcess(nil, o)
}

// udpPair returns two bound, connected fake datagram sockets.
func udpPair(t testing.TB, p *Process) (int, int) {
	t.Helper()
	a, err := p.Socket(abi.AF_INET, abi.SOCK_DGRAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.Socket(abi.AF_INET, abi.SOCK_DGRAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	lo := [4]byte{127, 0, 0, 1}
	if err := p.Bind(a, &abi.SockaddrInet4{Addr: lo}); err != nil {
		t.Fatal(err)
	}
	if err := p.Bind(b, &abi.SockaddrInet4{Addr: lo}); err != nil {
		t.Fatal(err)
	}
	sa, _ := p.Getsockname(a)
	sb, _ := p.Getsockname(b)
	if err := p.Connect(a, sb); err != nil {
		t.Fatal(err)
	}
	if err := p.Connect(b, sa); err != nil {
		t.Fatal(err)
	}
	return a, b
}

// wantErr fails unless err is the errno want (0: success).
func wantErr(t testing.TB, what string, err error, want errno.Errno) {
	t.Helper()
	if want == 0 {
		if err != nil {
			t.Errorf("%s: %v, want success", what, err)
		}
		return
	}
	e, ok := errno.Of(err)
	if !ok || e != want {
		t.Errorf("%s: %v, want %s", what, err, want.Name())
	}
}

// newRealNetProcess returns a process in a namespace with gosock's own
// protocols: IPv4/IPv6, UDP, AF_UNIX.
func newRealNetProcess(t testing.TB) (*Process, *netns.Namespace) {
	t.Helper()
	ns := gosock.NewNamespace(netns.Options{Name: "real"})
	udp.Register(ns)
	unix.Register(ns)
	t.Cleanup(func() { ns.Close() })
	return NewProcess(ns, Options{}), ns
}
