package inet_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/gosock/gosock"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/raw"
	"github.com/gosock/gosock/socket"
	"github.com/gosock/gosock/sys"
	"github.com/gosock/gosock/udp"
)

// api is the set of socket calls the conformance cases make, with
// addresses and option values as raw bytes in Linux's layout, so the
// same case runs against gosock and against the host kernel.
type api interface {
	Socket(domain, typ, proto int) (int, error)
	Bind(fd int, sa []byte) error
	Connect(fd int, sa []byte) error
	Sendto(fd int, p []byte, flags int, sa []byte) error
	Recv(fd int, n, flags int) (int, error)
	Setsockopt(fd, level, name int, val []byte) error
	Getsockopt(fd, level, name, n int) ([]byte, error)
	Getsockname(fd int) ([]byte, error)
	Getpeername(fd int) ([]byte, error)
	Shutdown(fd, how int) error
	Close(fd int) error
	// SetSysctl writes a sysctl ("net.ipv4.ping_group_range").
	SetSysctl(name, value string) error
}

// gosockAPI runs the calls on a gosock process in a fresh namespace with
// UDP, raw and ping sockets registered.
type gosockAPI struct {
	ns *netns.Namespace
	p  *sys.Process
}

func newGosock(opts sys.Options) *gosockAPI {
	ns := gosock.NewNamespace(netns.Options{Name: "conf", Seed: 7})
	udp.Register(ns)
	raw.Register(ns)
	return &gosockAPI{ns: ns, p: sys.NewProcess(ns, opts)}
}

func (g *gosockAPI) close() { g.p.Exit(); g.ns.Close() }

func (g *gosockAPI) Socket(d, t, p int) (int, error) { return g.p.Socket(d, t, p) }
func (g *gosockAPI) Bind(fd int, sa []byte) error    { return g.p.BindRaw(fd, sa) }
func (g *gosockAPI) Connect(fd int, sa []byte) error { return g.p.ConnectRaw(fd, sa) }
func (g *gosockAPI) Sendto(fd int, b []byte, flags int, sa []byte) error {
	_, err := g.p.SendmsgRaw(fd, &socket.Msg{Name: sa, Iov: [][]byte{b}}, flags)
	return err
}
func (g *gosockAPI) Recv(fd, n, flags int) (int, error) {
	return g.p.RecvmsgRaw(fd, &socket.Msg{Iov: [][]byte{make([]byte, n)}}, flags)
}
func (g *gosockAPI) Setsockopt(fd, level, name int, val []byte) error {
	return g.p.Setsockopt(fd, level, name, val)
}
func (g *gosockAPI) Getsockopt(fd, level, name, n int) ([]byte, error) {
	b := make([]byte, n)
	l, err := g.p.Getsockopt(fd, level, name, b)
	if err != nil {
		return nil, err
	}
	return b[:l], nil
}
func (g *gosockAPI) Getsockname(fd int) ([]byte, error) { return g.getname(fd, false) }
func (g *gosockAPI) Getpeername(fd int) ([]byte, error) { return g.getname(fd, true) }
func (g *gosockAPI) getname(fd int, peer bool) ([]byte, error) {
	b := make([]byte, 128)
	n, err := g.p.GetnameRaw(fd, peer, b)
	if err != nil {
		return nil, err
	}
	return b[:n], nil
}
func (g *gosockAPI) Shutdown(fd, how int) error { return g.p.Shutdown(fd, how) }
func (g *gosockAPI) Close(fd int) error         { return g.p.Close(fd) }
func (g *gosockAPI) SetSysctl(name, value string) error {
	return g.ns.Sysctl.Set(name, value)
}

// Address builders, Linux layout.
func sin(fam, port int, addr string) []byte {
	b := make([]byte, 16)
	binary.LittleEndian.PutUint16(b, uint16(fam))
	binary.BigEndian.PutUint16(b[2:], uint16(port))
	a := netip.MustParseAddr(addr).As4()
	copy(b[4:], a[:])
	return b
}

func sin6(port int, addr string, scope uint32) []byte {
	b := make([]byte, 28)
	binary.LittleEndian.PutUint16(b, 10)
	binary.BigEndian.PutUint16(b[2:], uint16(port))
	a := netip.MustParseAddr(addr).As16()
	copy(b[8:], a[:])
	binary.LittleEndian.PutUint32(b[24:], scope)
	return b
}

func i32(v int) []byte {
	b := make([]byte, 4)
	binary.LittleEndian.PutUint32(b, uint32(int32(v)))
	return b
}

// run records the outcome of each call of a case.
type run struct {
	a   api
	out []string
}

func (r *run) rec(what string, err error) {
	s := "ok"
	if err != nil {
		var e errno.Errno
		if errors.As(err, &e) {
			s = e.Name()
		} else if e, ok := errno.Of(err); ok {
			s = e.Name()
		} else {
			s = err.Error()
		}
	}
	r.out = append(r.out, s)
}

func (r *run) socket(d, t, p int) int {
	fd, err := r.a.Socket(d, t, p)
	r.rec("socket", err)
	return fd
}
func (r *run) bind(fd int, sa []byte)    { r.rec("bind", r.a.Bind(fd, sa)) }
func (r *run) connect(fd int, sa []byte) { r.rec("connect", r.a.Connect(fd, sa)) }
func (r *run) sendto(fd int, n, flags int, sa []byte) {
	r.rec("sendto", r.a.Sendto(fd, make([]byte, n), flags, sa))
}
func (r *run) recv(fd, n, flags int) {
	got, err := r.a.Recv(fd, n, flags)
	r.rec("recv", err)
	if err == nil {
		r.out[len(r.out)-1] = fmt.Sprintf("ok:%d", got)
	}
}
func (r *run) set(fd, level, name int, val []byte) {
	r.rec("setsockopt", r.a.Setsockopt(fd, level, name, val))
}
func (r *run) get(fd, level, name, n int) {
	b, err := r.a.Getsockopt(fd, level, name, n)
	r.rec("getsockopt", err)
	if err == nil {
		r.out[len(r.out)-1] = fmt.Sprintf("ok:%x", b)
	}
}
func (r *run) name(fd int, peer bool) {
	var b []byte
	var err error
	if peer {
		b, err = r.a.Getpeername(fd)
	} else {
		b, err = r.a.Getsockname(fd)
	}
	r.rec("getname", err)
	if err == nil {
		r.out[len(r.out)-1] = "ok:" + fmtSockaddr(b)
	}
}
func (r *run) shutdown(fd, how int) { r.rec("shutdown", r.a.Shutdown(fd, how)) }

// fmtSockaddr prints an address without its (random) port when the port
// is ephemeral, so the kernel and gosock compare.
func fmtSockaddr(b []byte) string {
	if len(b) < 8 {
		return fmt.Sprintf("%x", b)
	}
	fam := binary.LittleEndian.Uint16(b)
	port := binary.BigEndian.Uint16(b[2:])
	ps := fmt.Sprint(port)
	if port >= 32768 {
		ps = "eph"
	}
	switch fam {
	case 2:
		return fmt.Sprintf("%s:%s", netip.AddrFrom4([4]byte(b[4:8])), ps)
	case 10:
		if len(b) >= 24 {
			return fmt.Sprintf("[%s]:%s", netip.AddrFrom16([16]byte(b[8:24])), ps)
		}
	}
	return fmt.Sprintf("%x", b)
}

func (r *run) String() string { return strings.Join(r.out, " ") }
