//go:build linux

package unix_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	xunix "golang.org/x/sys/unix"

	"github.com/gosock/gosock/internal/nettest"
)

// kernelAPI runs the calls on the host kernel, through raw system calls
// where x/sys/unix would reshape an address. Every descriptor it makes
// or receives is closed when the test ends.
type kernelAPI struct {
	t   testing.TB
	fds map[int]bool
}

// newKernel returns the host kernel's API for a differential test:
// root only (abstract AF_UNIX names need no privilege, but the tests
// compare root's credentials and capabilities); it skips otherwise,
// unless CI=true, where it fails.
func newKernel(t testing.TB) *kernelAPI {
	t.Helper()
	if os.Geteuid() != 0 {
		nettest.SkipOrFail(t, "differential AF_UNIX tests compare against root's view of the kernel; run as root")
	}
	k := &kernelAPI{t: t, fds: map[int]bool{}}
	t.Cleanup(func() {
		for fd := range k.fds {
			xunix.Close(fd)
		}
	})
	return k
}

func (k *kernelAPI) track(fd int) int {
	if fd >= 0 {
		k.fds[fd] = true
	}
	return fd
}

func sysErr(e xunix.Errno) error {
	if e == 0 {
		return nil
	}
	return e
}

func bytesPtr(b []byte) uintptr {
	if len(b) == 0 {
		return 0
	}
	return uintptr(unsafe.Pointer(&b[0]))
}

func (k *kernelAPI) Socket(d, t, p int) (int, error) {
	fd, err := xunix.Socket(d, t, p)
	if err != nil {
		return -1, err
	}
	return k.track(fd), nil
}

func (k *kernelAPI) Socketpair(d, t, p int) ([2]int, error) {
	fds, err := xunix.Socketpair(d, t, p)
	if err != nil {
		return [2]int{-1, -1}, err
	}
	k.track(fds[0])
	k.track(fds[1])
	return fds, nil
}

func (k *kernelAPI) Bind(fd int, sa []byte) error {
	_, _, e := xunix.Syscall(xunix.SYS_BIND, uintptr(fd), bytesPtr(sa), uintptr(len(sa)))
	runtime.KeepAlive(sa)
	return sysErr(e)
}

func (k *kernelAPI) Connect(fd int, sa []byte) error {
	_, _, e := xunix.Syscall(xunix.SYS_CONNECT, uintptr(fd), bytesPtr(sa), uintptr(len(sa)))
	runtime.KeepAlive(sa)
	return sysErr(e)
}

func (k *kernelAPI) Listen(fd, n int) error { return xunix.Listen(fd, n) }

func (k *kernelAPI) Accept4(fd, flags int) (int, []byte, error) {
	var buf [128]byte
	l := uint32(len(buf))
	r, _, e := xunix.Syscall6(xunix.SYS_ACCEPT4, uintptr(fd), uintptr(unsafe.Pointer(&buf[0])),
		uintptr(unsafe.Pointer(&l)), uintptr(flags), 0, 0)
	if e != 0 {
		return -1, nil, e
	}
	return k.track(int(r)), append([]byte(nil), buf[:min(int(l), len(buf))]...), nil
}

func (k *kernelAPI) Sendmsg(fd int, p, oob, to []byte, flags int) (int, error) {
	var iov xunix.Iovec
	var m xunix.Msghdr
	if len(p) > 0 {
		iov.Base = &p[0]
		iov.SetLen(len(p))
	}
	m.Iov = &iov
	m.Iovlen = 1
	if len(to) > 0 {
		m.Name = &to[0]
		m.Namelen = uint32(len(to))
	}
	if len(oob) > 0 {
		m.Control = &oob[0]
		m.SetControllen(len(oob))
	}
	r, _, e := xunix.Syscall(xunix.SYS_SENDMSG, uintptr(fd), uintptr(unsafe.Pointer(&m)), uintptr(flags))
	runtime.KeepAlive(p)
	runtime.KeepAlive(oob)
	runtime.KeepAlive(to)
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}

func (k *kernelAPI) Recvmsg(fd int, p, oob []byte, flags int) (int, int, int, []byte, error) {
	var iov xunix.Iovec
	var m xunix.Msghdr
	var name [128]byte
	if len(p) > 0 {
		iov.Base = &p[0]
		iov.SetLen(len(p))
	}
	m.Iov = &iov
	m.Iovlen = 1
	m.Name = &name[0]
	m.Namelen = uint32(len(name))
	if len(oob) > 0 {
		m.Control = &oob[0]
		m.SetControllen(len(oob))
	}
	r, _, e := xunix.Syscall(xunix.SYS_RECVMSG, uintptr(fd), uintptr(unsafe.Pointer(&m)), uintptr(flags))
	runtime.KeepAlive(p)
	runtime.KeepAlive(oob)
	if e != 0 {
		return 0, 0, 0, nil, e
	}
	return int(r), int(m.Controllen), int(m.Flags), append([]byte(nil), name[:min(int(m.Namelen), len(name))]...), nil
}

// Adopt records descriptors that arrived in SCM_RIGHTS, to close them.
func (k *kernelAPI) Adopt(fds []int) {
	for _, fd := range fds {
		k.track(fd)
	}
}

func (k *kernelAPI) Shutdown(fd, how int) error { return xunix.Shutdown(fd, how) }

func (k *kernelAPI) Getname(fd int, peer bool) ([]byte, error) {
	var buf [128]byte
	l := uint32(len(buf))
	nr := uintptr(xunix.SYS_GETSOCKNAME)
	if peer {
		nr = xunix.SYS_GETPEERNAME
	}
	_, _, e := xunix.Syscall(nr, uintptr(fd), uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&l)))
	if e != 0 {
		return nil, e
	}
	return append([]byte(nil), buf[:min(int(l), len(buf))]...), nil
}

func (k *kernelAPI) GetsockoptInt(fd, l, o int) (int, error) { return xunix.GetsockoptInt(fd, l, o) }

func (k *kernelAPI) GetsockoptBytes(fd, level, opt, size int) ([]byte, error) {
	b := make([]byte, size)
	l := uint32(size)
	_, _, e := xunix.Syscall6(xunix.SYS_GETSOCKOPT, uintptr(fd), uintptr(level), uintptr(opt),
		bytesPtr(b), uintptr(unsafe.Pointer(&l)), 0)
	if e != 0 {
		return nil, e
	}
	return b[:l], nil
}

func (k *kernelAPI) SetsockoptInt(fd, l, o, v int) error { return xunix.SetsockoptInt(fd, l, o, v) }

func (k *kernelAPI) IoctlInt(fd int, req uint) (int, error) { return xunix.IoctlGetInt(fd, req) }

func (k *kernelAPI) Poll(fd int) int {
	fds := []xunix.PollFd{{Fd: int32(fd), Events: pollAll}}
	if _, err := xunix.Poll(fds, 0); err != nil {
		return -1
	}
	return int(uint16(fds[0].Revents))
}

func (k *kernelAPI) FcntlGetfd(fd int) (int, error) {
	return xunix.FcntlInt(uintptr(fd), xunix.F_GETFD, 0)
}

func (k *kernelAPI) Close(fd int) error {
	delete(k.fds, fd)
	return xunix.Close(fd)
}

func (k *kernelAPI) Pid() int { return os.Getpid() }

// TestScenariosKernel runs every scenario on the host kernel and on
// gosock and compares the logs line by line (root; CI=true requires it).
// With -update it rewrites the golden logs from the kernel.
func TestScenariosKernel(t *testing.T) {
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			k := newKernel(t)
			tok := fmt.Sprintf("gosock-unix-%d-%x", os.Getpid(), rand.Uint32())
			want := runScenario(k, tok, sc)
			if *update {
				if err := os.WriteFile(goldenPath(sc.name), []byte(strings.Join(want, "\n")+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got := runScenario(newGosock(t), tok, sc)
			diffLogs(t, "Linux", want, got)
		})
	}
}
