//go:build linux

package inet_test

import (
	"os"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// kernelAPI makes the same calls on the host kernel, in the network
// namespace of the calling thread (the test runs it inside one made for
// it).
type kernelAPI struct{ fds []int }

func ptr(b []byte) uintptr {
	if len(b) == 0 {
		return 0
	}
	return uintptr(unsafe.Pointer(&b[0]))
}

func errOf(e syscall.Errno) error {
	if e == 0 {
		return nil
	}
	return e
}

func (k *kernelAPI) Socket(d, t, p int) (int, error) {
	fd, err := unix.Socket(d, t, p)
	if err == nil {
		k.fds = append(k.fds, fd)
	}
	return fd, err
}

func (k *kernelAPI) Bind(fd int, sa []byte) error {
	_, _, e := unix.Syscall(unix.SYS_BIND, uintptr(fd), ptr(sa), uintptr(len(sa)))
	return errOf(e)
}

func (k *kernelAPI) Connect(fd int, sa []byte) error {
	_, _, e := unix.Syscall(unix.SYS_CONNECT, uintptr(fd), ptr(sa), uintptr(len(sa)))
	return errOf(e)
}

func (k *kernelAPI) Sendto(fd int, b []byte, flags int, sa []byte) error {
	_, _, e := unix.Syscall6(unix.SYS_SENDTO, uintptr(fd), ptr(b), uintptr(len(b)), uintptr(flags), ptr(sa), uintptr(len(sa)))
	return errOf(e)
}

func (k *kernelAPI) Recv(fd, n, flags int) (int, error) {
	b := make([]byte, max(n, 1))
	r, _, e := unix.Syscall6(unix.SYS_RECVFROM, uintptr(fd), ptr(b), uintptr(n), uintptr(flags), 0, 0)
	return int(r), errOf(e)
}

func (k *kernelAPI) Setsockopt(fd, level, name int, val []byte) error {
	_, _, e := unix.Syscall6(unix.SYS_SETSOCKOPT, uintptr(fd), uintptr(level), uintptr(name), ptr(val), uintptr(len(val)), 0)
	return errOf(e)
}

func (k *kernelAPI) Getsockopt(fd, level, name, n int) ([]byte, error) {
	b := make([]byte, max(n, 1))
	l := int32(n)
	_, _, e := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(fd), uintptr(level), uintptr(name), ptr(b), uintptr(unsafe.Pointer(&l)), 0)
	if e != 0 {
		return nil, e
	}
	return b[:l], nil
}

func (k *kernelAPI) getname(fd int, nr uintptr) ([]byte, error) {
	b := make([]byte, 128)
	l := int32(128)
	_, _, e := unix.Syscall(nr, uintptr(fd), ptr(b), uintptr(unsafe.Pointer(&l)))
	if e != 0 {
		return nil, e
	}
	return b[:l], nil
}

func (k *kernelAPI) Getsockname(fd int) ([]byte, error) { return k.getname(fd, unix.SYS_GETSOCKNAME) }
func (k *kernelAPI) Getpeername(fd int) ([]byte, error) { return k.getname(fd, unix.SYS_GETPEERNAME) }
func (k *kernelAPI) Shutdown(fd, how int) error         { return unix.Shutdown(fd, how) }
func (k *kernelAPI) Close(fd int) error                 { return unix.Close(fd) }

func (k *kernelAPI) SetSysctl(name, value string) error {
	return os.WriteFile("/proc/sys/"+strings.ReplaceAll(name, ".", "/"), []byte(value), 0)
}

func (k *kernelAPI) closeAll() {
	for _, fd := range k.fds {
		unix.Close(fd)
	}
}
