package unix_test

import (
	"encoding/binary"
	"os"
	"testing"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/socket"
	"github.com/gosock/gosock/sys"
	"github.com/gosock/gosock/unix"
)

// api is the system-call surface the scenarios use: gosock's sys layer,
// or the host kernel through golang.org/x/sys/unix. Addresses are raw
// sockaddr bytes, so lengths compare exactly.
type api interface {
	Socket(domain, typ, proto int) (int, error)
	Socketpair(domain, typ, proto int) ([2]int, error)
	Bind(fd int, sa []byte) error
	Connect(fd int, sa []byte) error
	Listen(fd, backlog int) error
	Accept4(fd, flags int) (int, []byte, error)
	Sendmsg(fd int, p, oob, to []byte, flags int) (int, error)
	// Recvmsg receives into p and an oob buffer (nil: msg_control
	// NULL) and returns the sender's raw address.
	Recvmsg(fd int, p, oob []byte, flags int) (n, oobn, rflags int, from []byte, err error)
	Shutdown(fd, how int) error
	Getname(fd int, peer bool) ([]byte, error)
	GetsockoptInt(fd, level, opt int) (int, error)
	GetsockoptBytes(fd, level, opt, size int) ([]byte, error)
	SetsockoptInt(fd, level, opt, v int) error
	IoctlInt(fd int, req uint) (int, error)
	Poll(fd int) int
	FcntlGetfd(fd int) (int, error)
	Close(fd int) error
	Pid() int
}

// pollAll are the events a scenario polls for (ERR, HUP and NVAL come
// anyway).
const pollAll = sys.POLLIN | sys.POLLPRI | sys.POLLOUT | sys.POLLRDNORM | sys.POLLRDBAND |
	sys.POLLWRNORM | sys.POLLWRBAND | sys.POLLRDHUP

// gosockAPI runs the calls on a sys.Process.
type gosockAPI struct {
	ns *netns.Namespace
	p  *sys.Process
}

// newGosock makes a namespace with AF_UNIX and a process in it whose
// credentials are this test process's PID with UID and GID 0, so its
// SCM_CREDENTIALS match the host kernel's when the tests run as root.
func newGosock(t testing.TB) *gosockAPI {
	ns := netns.New(netns.Options{Name: "unix-test", NoLoopback: true})
	unix.Register(ns)
	p := sys.NewProcess(ns, sys.Options{PID: os.Getpid()})
	t.Cleanup(func() {
		p.Exit()
		ns.Close()
	})
	return &gosockAPI{ns: ns, p: p}
}

func (g *gosockAPI) Socket(d, t, pr int) (int, error)           { return g.p.Socket(d, t, pr) }
func (g *gosockAPI) Socketpair(d, t, pr int) ([2]int, error)    { return g.p.Socketpair(d, t, pr) }
func (g *gosockAPI) Bind(fd int, sa []byte) error               { return g.p.BindRaw(fd, sa) }
func (g *gosockAPI) Connect(fd int, sa []byte) error            { return g.p.ConnectRaw(fd, sa) }
func (g *gosockAPI) Listen(fd, n int) error                     { return g.p.Listen(fd, n) }
func (g *gosockAPI) Shutdown(fd, how int) error                 { return g.p.Shutdown(fd, how) }
func (g *gosockAPI) SetsockoptInt(fd, l, o, v int) error        { return g.p.SetsockoptInt(fd, l, o, v) }
func (g *gosockAPI) GetsockoptInt(fd, l, o int) (int, error)    { return g.p.GetsockoptInt(fd, l, o) }
func (g *gosockAPI) IoctlInt(fd int, req uint) (int, error)     { return g.p.IoctlGetInt(fd, req) }
func (g *gosockAPI) FcntlGetfd(fd int) (int, error)             { return g.p.Fcntl(fd, abi.F_GETFD, 0) }
func (g *gosockAPI) Close(fd int) error                         { return g.p.Close(fd) }
func (g *gosockAPI) Pid() int                                   { return os.Getpid() }
func (g *gosockAPI) Getname(fd int, peer bool) ([]byte, error)  { return getname(g.p, fd, peer) }
func (g *gosockAPI) Accept4(fd, flags int) (int, []byte, error) { return accept(g.p, fd, flags) }

func getname(p *sys.Process, fd int, peer bool) ([]byte, error) {
	var buf [abi.SizeofSockaddrStorage]byte
	n, err := p.GetnameRaw(fd, peer, buf[:])
	if err != nil {
		return nil, err
	}
	return buf[:min(n, len(buf))], nil
}

func accept(p *sys.Process, fd, flags int) (int, []byte, error) {
	var buf [abi.SizeofSockaddrStorage]byte
	nfd, n, err := p.Accept4Raw(fd, flags, buf[:])
	if err != nil {
		return -1, nil, err
	}
	return nfd, buf[:min(n, len(buf))], nil
}

func (g *gosockAPI) GetsockoptBytes(fd, l, o, size int) ([]byte, error) {
	b := make([]byte, size)
	n, err := g.p.Getsockopt(fd, l, o, b)
	if err != nil {
		return nil, err
	}
	return b[:n], nil
}

func (g *gosockAPI) Sendmsg(fd int, p, oob, to []byte, flags int) (int, error) {
	return g.p.SendmsgRaw(fd, &socket.Msg{Name: to, Iov: [][]byte{p}, Control: oob}, flags)
}

func (g *gosockAPI) Recvmsg(fd int, p, oob []byte, flags int) (int, int, int, []byte, error) {
	var name [abi.SizeofSockaddrStorage]byte
	m := &socket.Msg{Name: name[:], Iov: [][]byte{p}, Control: oob}
	n, err := g.p.RecvmsgRaw(fd, m, flags)
	if err != nil {
		return 0, 0, 0, nil, err
	}
	return n, m.ControlLen, m.Flags, name[:min(m.NameLen, len(name))], nil
}

func (g *gosockAPI) Poll(fd int) int {
	fds := []sys.PollFd{{Fd: int32(fd), Events: pollAll}}
	if _, err := g.p.Poll(fds, 0); err != nil {
		return -1
	}
	return int(uint16(fds[0].Revents))
}

// errName names an error as errno does ("ok" for nil).
func errName(err error) string {
	if err == nil {
		return "ok"
	}
	if e, ok := errno.Of(err); ok {
		return e.Name()
	}
	return err.Error()
}

// abstractAddr is a raw sockaddr_un for an abstract name.
func abstractAddr(name string) []byte {
	b := make([]byte, 3+len(name))
	binary.LittleEndian.PutUint16(b, abi.AF_UNIX)
	copy(b[3:], name)
	return b
}

// pathAddr is a raw sockaddr_un for a path, with its NUL.
func pathAddr(path string) []byte {
	b := make([]byte, 3+len(path))
	binary.LittleEndian.PutUint16(b, abi.AF_UNIX)
	copy(b[2:], path)
	return b
}

// familyOnly is a sockaddr of just the family field.
func familyOnly(af int) []byte {
	b := make([]byte, 2)
	binary.LittleEndian.PutUint16(b, uint16(af))
	return b
}
