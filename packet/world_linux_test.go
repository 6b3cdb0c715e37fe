//go:build linux

package packet_test

import (
	"net"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/internal/nettest"
	"github.com/gosock/gosock/wire"
)

// kWorld is the Linux side: real AF_PACKET sockets in a network namespace
// the test creates (and deletes), with IPv6 off so nothing but the
// test's frames crosses the veth pair.
type kWorld struct {
	t  testing.TB
	ns *nettest.NS
}

// newKernelWorld skips the test unless it runs as root (under CI=true it
// fails instead: there it must run).
func newKernelWorld(t testing.TB) world {
	ns := nettest.New(t)
	for _, k := range []string{"net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"} {
		if out, err := ns.Command("sysctl", "-qw", k).CombinedOutput(); err != nil {
			t.Fatalf("sysctl %s: %v: %s", k, err, out)
		}
	}
	ns.IP(t, "link", "add", "veth0", "type", "veth", "peer", "name", "veth1")
	w := &kWorld{t: t, ns: ns}
	w.setUp("veth0", true)
	w.setUp("veth1", true)
	return w
}

func (w *kWorld) socket(typ, proto int) (int, error) {
	fd := -1
	err := w.ns.Do(func() error {
		var err error
		fd, err = unix.Socket(unix.AF_PACKET, typ|unix.SOCK_CLOEXEC, proto)
		return err
	})
	if err != nil {
		return -1, err
	}
	w.t.Cleanup(func() { unix.Close(fd) })
	tv := unix.NsecToTimeval(guardTimeout.Nanoseconds())
	must(w.t, unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv))
	return fd, nil
}

// close shuts the descriptor's socket down now; the descriptor itself is
// closed at cleanup (closing twice would be harmless but noisy).
func (w *kWorld) close(fd int) {
	nfd, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	must(w.t, err)
	must(w.t, unix.Dup3(nfd, fd, unix.O_CLOEXEC))
	unix.Close(nfd)
}

func ptr(b []byte) uintptr {
	if len(b) == 0 {
		return 0
	}
	return uintptr(unsafe.Pointer(&b[0]))
}

func errnoErr(e unix.Errno) error {
	if e == 0 {
		return nil
	}
	return e
}

func (w *kWorld) bind(fd int, sa []byte) error {
	_, _, e := unix.Syscall(unix.SYS_BIND, uintptr(fd), ptr(sa), uintptr(len(sa)))
	return errnoErr(e)
}

func (w *kWorld) connect(fd int, sa []byte) error {
	_, _, e := unix.Syscall(unix.SYS_CONNECT, uintptr(fd), ptr(sa), uintptr(len(sa)))
	return errnoErr(e)
}

func (w *kWorld) listen(fd int) error          { return unix.Listen(fd, 1) }
func (w *kWorld) shutdown(fd, how int) error   { return unix.Shutdown(fd, how) }
func (w *kWorld) index(name string) int        { return w.iface(name).Index }
func (w *kWorld) mtu(name string) int          { return w.iface(name).MTU }
func (w *kWorld) mac(name string) (m wire.MAC) { copy(m[:], w.iface(name).HardwareAddr); return m }

func (w *kWorld) iface(name string) *net.Interface {
	var ifc *net.Interface
	if err := w.ns.Do(func() error {
		var err error
		ifc, err = net.InterfaceByName(name)
		return err
	}); err != nil {
		w.t.Fatal(err)
	}
	return ifc
}

func (w *kWorld) send(fd int, p, to, oob []byte, flags int) (int, error) {
	var iov unix.Iovec
	if len(p) > 0 {
		iov.Base = &p[0]
	}
	iov.SetLen(len(p))
	var m unix.Msghdr
	m.Iov, m.Iovlen = &iov, 1
	if to != nil {
		if len(to) > 0 {
			m.Name = &to[0]
		} else {
			m.Name = (*byte)(unsafe.Pointer(&iov)) // non-NULL, length 0
		}
		m.Namelen = uint32(len(to))
	}
	if len(oob) > 0 {
		m.Control = &oob[0]
		m.SetControllen(len(oob))
	}
	n, _, e := unix.Syscall(unix.SYS_SENDMSG, uintptr(fd), uintptr(unsafe.Pointer(&m)), uintptr(flags))
	return int(n), errnoErr(e)
}

func (w *kWorld) recv(fd, size, oobSize, flags int) (rx, error) {
	buf := make([]byte, max(size, 1))
	name := make([]byte, 128)
	oob := make([]byte, max(oobSize, 1))
	var iov unix.Iovec
	iov.Base = &buf[0]
	iov.SetLen(size)
	var m unix.Msghdr
	m.Name, m.Namelen = &name[0], uint32(len(name))
	m.Iov, m.Iovlen = &iov, 1
	if oobSize > 0 {
		m.Control = &oob[0]
		m.SetControllen(oobSize)
	}
	for {
		n, _, e := unix.Syscall(unix.SYS_RECVMSG, uintptr(fd), uintptr(unsafe.Pointer(&m)), uintptr(flags))
		if e == unix.EINTR {
			continue // the Go runtime's preemption signals
		}
		if e != 0 {
			return rx{}, e
		}
		return rx{N: int(n), Data: buf[:min(int(n), size)], Flags: int(m.Flags),
			Name: name[:min(int(m.Namelen), len(name))], Oob: oob[:m.Controllen]}, nil
	}
}

func (w *kWorld) setsockopt(fd, level, opt int, val []byte) error {
	_, _, e := unix.Syscall6(unix.SYS_SETSOCKOPT, uintptr(fd), uintptr(level), uintptr(opt), ptr(val), uintptr(len(val)), 0)
	return errnoErr(e)
}

func (w *kWorld) getsockopt(fd, level, opt int, buf []byte) ([]byte, error) {
	b := append(make([]byte, 0, len(buf)+1), buf...)
	l := uint32(len(b))
	p := b[:cap(b)]
	_, _, e := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(fd), uintptr(level), uintptr(opt),
		uintptr(unsafe.Pointer(&p[0])), uintptr(unsafe.Pointer(&l)), 0)
	if e != 0 {
		return nil, e
	}
	return b[:l], nil
}

func (w *kWorld) getname(fd int, nr uintptr) ([]byte, error) {
	b := make([]byte, 128)
	l := uint32(len(b))
	_, _, e := unix.Syscall(nr, uintptr(fd), uintptr(unsafe.Pointer(&b[0])), uintptr(unsafe.Pointer(&l)))
	if e != 0 {
		return nil, e
	}
	return b[:l], nil
}

func (w *kWorld) getsockname(fd int) ([]byte, error) { return w.getname(fd, unix.SYS_GETSOCKNAME) }

func (w *kWorld) getpeername(fd int) error {
	_, err := w.getname(fd, unix.SYS_GETPEERNAME)
	return err
}

func (w *kWorld) poll(fd int) int {
	fds := []unix.PollFd{{Fd: int32(fd), Events: pollMask}}
	if _, err := unix.Poll(fds, 0); err != nil {
		w.t.Fatal(err)
	}
	return int(fds[0].Revents) & pollMask
}

func (w *kWorld) ioctl(fd int, cmd uint) (int, error) { return unix.IoctlGetInt(fd, cmd) }

// setUp sets the link state. Bringing a veth end up finishes
// asynchronously (the peer's carrier, then the qdisc, which link watch
// attaches), so it waits, bounded, until both ends show LOWER_UP and a
// noqueue qdisc: until then frames are dropped on transmit.
func (w *kWorld) setUp(name string, up bool) {
	state := "down"
	if up {
		state = "up"
	}
	w.ns.IP(w.t, "link", "set", "dev", name, state)
	if !up {
		return
	}
	flags := func(dev string) (string, []string) {
		out := w.ns.IP(w.t, "link", "show", "dev", dev)
		i, j := strings.IndexByte(out, '<'), strings.IndexByte(out, '>')
		if i < 0 || j < i {
			w.t.Fatalf("ip link show %s: %s", dev, out)
		}
		return out, strings.Split(out[i+1:j], ",")
	}
	for _, dev := range []string{"veth0", "veth1"} {
		if _, f := flags(dev); !slices.Contains(f, "UP") {
			return // the pair has no carrier until both ends are up
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for _, dev := range []string{"veth0", "veth1"} {
		for {
			out, f := flags(dev)
			if slices.Contains(f, "LOWER_UP") && strings.Contains(out, "qdisc noqueue") {
				break
			}
			if time.Now().After(deadline) {
				w.t.Fatalf("%s not ready: %s", dev, out)
			}
			time.Sleep(10 * time.Millisecond) // polling the kernel's link state, bounded
		}
	}
}

var _ = abi.AF_PACKET
