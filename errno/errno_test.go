package errno

import (
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"
)

func TestLinuxValues(t *testing.T) {
	// Values checked against the x86-64 kernel headers; the socket layer's
	// conformance depends on each one.
	cases := []struct {
		e    Errno
		want int
		name string
	}{
		{EPERM, 1, "EPERM"}, {ENOENT, 2, "ENOENT"}, {EINTR, 4, "EINTR"}, {EBADF, 9, "EBADF"},
		{EAGAIN, 11, "EAGAIN"}, {ENOMEM, 12, "ENOMEM"}, {EACCES, 13, "EACCES"}, {EFAULT, 14, "EFAULT"},
		{EINVAL, 22, "EINVAL"}, {ENFILE, 23, "ENFILE"}, {EMFILE, 24, "EMFILE"}, {ENOTTY, 25, "ENOTTY"},
		{ESPIPE, 29, "ESPIPE"}, {EPIPE, 32, "EPIPE"}, {ENOSYS, 38, "ENOSYS"}, {ENOTSOCK, 88, "ENOTSOCK"},
		{EDESTADDRREQ, 89, "EDESTADDRREQ"}, {EMSGSIZE, 90, "EMSGSIZE"}, {EPROTOTYPE, 91, "EPROTOTYPE"},
		{ENOPROTOOPT, 92, "ENOPROTOOPT"}, {EPROTONOSUPPORT, 93, "EPROTONOSUPPORT"},
		{ESOCKTNOSUPPORT, 94, "ESOCKTNOSUPPORT"}, {EOPNOTSUPP, 95, "EOPNOTSUPP"},
		{EAFNOSUPPORT, 97, "EAFNOSUPPORT"}, {EADDRINUSE, 98, "EADDRINUSE"},
		{EADDRNOTAVAIL, 99, "EADDRNOTAVAIL"}, {ENETDOWN, 100, "ENETDOWN"}, {ENETUNREACH, 101, "ENETUNREACH"},
		{ECONNABORTED, 103, "ECONNABORTED"}, {ECONNRESET, 104, "ECONNRESET"}, {ENOBUFS, 105, "ENOBUFS"},
		{EISCONN, 106, "EISCONN"}, {ENOTCONN, 107, "ENOTCONN"}, {ESHUTDOWN, 108, "ESHUTDOWN"},
		{ETIMEDOUT, 110, "ETIMEDOUT"}, {ECONNREFUSED, 111, "ECONNREFUSED"}, {EHOSTUNREACH, 113, "EHOSTUNREACH"},
		{EALREADY, 114, "EALREADY"}, {EINPROGRESS, 115, "EINPROGRESS"}, {ECANCELED, 125, "ECANCELED"},
		{EHWPOISON, 133, "EHWPOISON"},
	}
	for _, c := range cases {
		if int(c.e) != c.want || c.e.Name() != c.name {
			t.Errorf("%s = %d (%s), want %d", c.name, int(c.e), c.e.Name(), c.want)
		}
		if got, ok := FromName(c.name); !ok || got != c.e {
			t.Errorf("FromName(%q) = %v, %v", c.name, got, ok)
		}
	}
	if EWOULDBLOCK != EAGAIN || ENOTSUP != EOPNOTSUPP {
		t.Error("aliases differ from Linux")
	}
	if Max != 133 {
		t.Errorf("Max = %d, want 133", Max)
	}
}

func TestMessagesMatchHost(t *testing.T) {
	// The Go runtime on Linux carries the glibc messages; ours must agree
	// for every number both define, so errors print the same as the host's.
	for e := Errno(1); e <= Max; e++ {
		if table[e].name == "" {
			continue
		}
		host := syscall.Errno(e).Error()
		if host != e.Error() && host != "errno "+fmt.Sprint(int(e)) {
			t.Errorf("%s: %q, host says %q", e.Name(), e.Error(), host)
		}
	}
	if got := Errno(41).Error(); got != "errno 41" {
		t.Errorf("undefined number prints %q", got)
	}
}

func TestIsSyscallErrno(t *testing.T) {
	var err error = ECONNREFUSED
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Error("errors.Is(ECONNREFUSED, syscall.ECONNREFUSED) = false")
	}
	if errors.Is(err, syscall.ECONNRESET) {
		t.Error("ECONNREFUSED matched ECONNRESET")
	}
	wrapped := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", ECONNREFUSED)}
	if !errors.Is(wrapped, syscall.ECONNREFUSED) || !errors.Is(wrapped, ECONNREFUSED) {
		t.Error("wrapped errno not found by errors.Is")
	}
	if !errors.Is(EACCES, os.ErrPermission) || !errors.Is(ENOENT, os.ErrNotExist) {
		t.Error("os sentinels not matched")
	}
	var se syscall.Errno
	if !errors.As(wrapped, &se) || se != syscall.ECONNREFUSED {
		t.Errorf("errors.As to syscall.Errno: %v", se)
	}
	if e, ok := Of(wrapped); !ok || e != ECONNREFUSED {
		t.Errorf("Of(wrapped) = %v, %v", e, ok)
	}
	if e, ok := Of(fmt.Errorf("x: %w", syscall.EPIPE)); !ok || e != EPIPE {
		t.Errorf("Of(syscall.EPIPE) = %v, %v", e, ok)
	}
	if _, ok := Of(errors.New("plain")); ok {
		t.Error("Of found a number in a plain error")
	}
}

func TestTimeoutTemporary(t *testing.T) {
	for e := Errno(1); e <= Max; e++ {
		if e.Timeout() != syscall.Errno(e).Timeout() || e.Temporary() != syscall.Errno(e).Temporary() {
			t.Errorf("%s: Timeout/Temporary differ from syscall.Errno", e.Name())
		}
	}
	var ne net.Error = &net.OpError{Op: "read", Err: EAGAIN}
	if !ne.Timeout() {
		t.Error("EAGAIN inside OpError is not a timeout")
	}
}

func ExampleErrno() {
	err := error(ECONNREFUSED)
	fmt.Println(err, int(ECONNREFUSED), errors.Is(err, syscall.ECONNREFUSED))
	fmt.Println(EINPROGRESS.Name())
	// Output:
	// connection refused 111 true
	// EINPROGRESS
}
