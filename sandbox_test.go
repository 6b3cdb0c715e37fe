package gosock_test

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"sync"
	"testing"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/socket"
	"github.com/gosock/gosock/sys"
)

// sandbox is a security policy on the socket hooks, as a Linux security
// module would enforce for a confined process: it may connect and send
// only inside 10.0.0.0/8 (EACCES), may not bind below port 1024 even with
// CAP_NET_BIND_SERVICE (EPERM), may not open raw or packet sockets
// (EPERM), and may not listen at all (EPERM). It records what it denied.
type sandbox struct {
	socket.NoHooks
	mu     sync.Mutex
	denied []string
}

var allowed = netip.MustParsePrefix("10.0.0.0/8")

func (s *sandbox) deny(what string, e errno.Errno) errno.Errno {
	s.mu.Lock()
	s.denied = append(s.denied, what)
	s.mu.Unlock()
	return e
}

// sockaddr4 decodes an AF_INET sockaddr in Linux's layout: family
// (host order), port and address (network order). ok is false for any
// other family.
func sockaddr4(b []byte) (netip.AddrPort, bool) {
	if len(b) < 8 || binary.LittleEndian.Uint16(b) != abi.AF_INET {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[4:8])), binary.BigEndian.Uint16(b[2:4])), true
}

func (s *sandbox) SocketCreate(_ socket.Creds, family, typ, _ int) errno.Errno {
	if typ == abi.SOCK_RAW || family == abi.AF_PACKET {
		return s.deny("create raw", errno.EPERM)
	}
	return 0
}

func (s *sandbox) SocketBind(_ *socket.Sock, addr []byte) errno.Errno {
	if ap, ok := sockaddr4(addr); ok && ap.Port() != 0 && ap.Port() < 1024 {
		return s.deny("bind "+ap.String(), errno.EPERM)
	}
	return 0
}

func (s *sandbox) SocketConnect(_ *socket.Sock, addr []byte) errno.Errno {
	if ap, ok := sockaddr4(addr); ok && !allowed.Contains(ap.Addr()) {
		return s.deny("connect "+ap.String(), errno.EACCES)
	}
	return 0
}

func (s *sandbox) SocketSendmsg(_ *socket.Sock, m *socket.Msg) errno.Errno {
	if ap, ok := sockaddr4(m.Name); ok && !allowed.Contains(ap.Addr()) {
		return s.deny("send "+ap.String(), errno.EACCES)
	}
	return 0
}

func (s *sandbox) SocketListen(*socket.Sock, int) errno.Errno {
	return s.deny("listen", errno.EPERM)
}

// TestSandboxPolicy runs a confined process and an unconfined one side by
// side in one namespace: the policy refuses exactly what it names, with
// its errno, before anything reaches the wire, through the typed calls
// and the socketcall ABI alike; the unconfined process is untouched.
func TestSandboxPolicy(t *testing.T) {
	r := newRawPeer(t, 8)
	t.Cleanup(r.close)
	pol := &sandbox{}
	p := sys.NewProcess(r.ns, sys.Options{PID: 10, Hooks: pol})
	defer p.Exit()

	want := func(what string, err error, e errno.Errno) {
		t.Helper()
		if e == 0 && err != nil || e != 0 && !errors.Is(err, e) {
			t.Errorf("%s: %v, want %v", what, err, e)
		}
	}
	sock := func(typ int) int {
		fd, err := p.Socket(abi.AF_INET, typ|abi.SOCK_NONBLOCK, 0)
		if err != nil {
			t.Fatal(err)
		}
		return fd
	}
	tfd := sock(abi.SOCK_STREAM)
	want("bind 0.0.0.0:80", p.Bind(tfd, &abi.SockaddrInet4{Port: 80}), errno.EPERM)
	want("bind 0.0.0.0:8080", p.Bind(tfd, &abi.SockaddrInet4{Port: 8080}), 0)
	want("listen", p.Listen(tfd, 5), errno.EPERM)
	cfd := sock(abi.SOCK_STREAM)
	want("connect 192.168.1.1:80", p.Connect(cfd, &abi.SockaddrInet4{Port: 80, Addr: [4]byte{192, 168, 1, 1}}), errno.EACCES)
	if out := r.all(); len(out) != 0 {
		t.Errorf("a denied connect sent %v", out[0])
	}
	want("connect 10.0.0.2:80", p.Connect(cfd, &abi.SockaddrInet4{Port: 80, Addr: [4]byte{10, 0, 0, 2}}), errno.EINPROGRESS)
	if s, ok := r.next(); !ok || s.tcp == nil {
		t.Errorf("an allowed connect sent no SYN")
	}
	ufd := sock(abi.SOCK_DGRAM)
	want("sendto 8.8.8.8:53", p.Sendto(ufd, []byte("q"), 0, &abi.SockaddrInet4{Port: 53, Addr: [4]byte{8, 8, 8, 8}}), errno.EACCES)
	want("sendto 10.0.0.2:53", p.Sendto(ufd, []byte("q"), 0, &abi.SockaddrInet4{Port: 53, Addr: [4]byte{10, 0, 0, 2}}), 0)
	_, err := p.Socket(abi.AF_INET, abi.SOCK_RAW, abi.IPPROTO_ICMP)
	want("socket(SOCK_RAW)", err, errno.EPERM)
	_, err = p.Socket(abi.AF_PACKET, abi.SOCK_DGRAM, 0)
	want("socket(AF_PACKET)", err, errno.EPERM)

	// The socketcall ABI goes through the same hooks: connect(2) with a
	// sockaddr in the process's memory.
	mem := sys.NewSliceMemory(0x1000, 4096)
	sa := make([]byte, 16)
	binary.LittleEndian.PutUint16(sa, abi.AF_INET)
	binary.BigEndian.PutUint16(sa[2:], 443)
	copy(sa[4:], []byte{1, 1, 1, 1})
	mem.WriteAt(sa, 0x1100)
	fd2 := sock(abi.SOCK_STREAM)
	args := make([]byte, 24) // three 64-bit arguments
	binary.LittleEndian.PutUint64(args, uint64(fd2))
	binary.LittleEndian.PutUint64(args[8:], 0x1100)
	binary.LittleEndian.PutUint64(args[16:], 16)
	mem.WriteAt(args, 0x1200)
	if _, err := p.Socketcall(mem, sys.SYS_CONNECT, 0x1200); !errors.Is(err, errno.EACCES) {
		t.Errorf("socketcall connect 1.1.1.1:443: %v, want EACCES", err)
	}

	// An unconfined process in the same namespace is not affected.
	free := sys.NewProcess(r.ns, sys.Options{PID: 11})
	defer free.Exit()
	ffd, _ := free.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
	want("unconfined bind :81", free.Bind(ffd, &abi.SockaddrInet4{Port: 81}), 0)
	want("unconfined listen", free.Listen(ffd, 5), 0)

	pol.mu.Lock()
	defer pol.mu.Unlock()
	t.Logf("denied: %q", pol.denied)
	if len(pol.denied) != 7 {
		t.Errorf("%d denials recorded, want 7", len(pol.denied))
	}
}
