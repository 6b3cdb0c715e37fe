package socket_test

import (
	"encoding/binary"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosock/gosock"
	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/sys"
)

func setup(t *testing.T, o sys.Options) (*sys.Process, *netns.Namespace, int) {
	t.Helper()
	ns := gosock.NewNamespace(netns.Options{Seed: 1})
	t.Cleanup(func() { ns.Close() })
	p := sys.NewProcess(ns, o)
	fd, err := p.Socket(abi.AF_INET, abi.SOCK_DGRAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	return p, ns, fd
}

func i32(v int) []byte {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], uint32(int32(v)))
	return b[:]
}

// TestSolSocketOptions checks SOL_SOCKET option handling against the
// values Linux 6.18 gives (sk_setsockopt / sk_getsockopt).
func TestSolSocketOptions(t *testing.T) {
	p, ns, fd := setup(t, sys.Options{})
	rmemMax := int(ns.Sysctl.Int(netns.RmemMax))
	wmemMax := int(ns.Sysctl.Int(netns.WmemMax))
	cases := []struct {
		name string
		opt  int
		set  int
		get  int
	}{
		{"rcvbuf doubled", abi.SO_RCVBUF, 100000, 200000},
		{"rcvbuf minimum", abi.SO_RCVBUF, 100, 2304},
		{"rcvbuf clamped to rmem_max", abi.SO_RCVBUF, 1 << 30, 2 * rmemMax},
		{"rcvbuf negative is huge unsigned", abi.SO_RCVBUF, -1, 2 * rmemMax},
		{"sndbuf minimum", abi.SO_SNDBUF, 0, 4608},
		{"sndbuf clamped", abi.SO_SNDBUF, 1 << 30, 2 * wmemMax},
		{"rcvlowat zero is one", abi.SO_RCVLOWAT, 0, 1},
		{"reuseaddr", abi.SO_REUSEADDR, 5, 1},
		{"keepalive off", abi.SO_KEEPALIVE, 0, 0},
		{"priority", abi.SO_PRIORITY, 6, 6},
		{"mark as root", abi.SO_MARK, 77, 77},
	}
	for _, c := range cases {
		if err := p.SetsockoptInt(fd, abi.SOL_SOCKET, c.opt, c.set); err != nil {
			t.Errorf("%s: set: %v", c.name, err)
			continue
		}
		if got, err := p.GetsockoptInt(fd, abi.SOL_SOCKET, c.opt); err != nil || got != c.get {
			t.Errorf("%s: got %d %v, want %d", c.name, got, err, c.get)
		}
	}
	for _, c := range []struct {
		opt, want int
	}{{abi.SO_TYPE, abi.SOCK_DGRAM}, {abi.SO_PROTOCOL, abi.IPPROTO_UDP}, {abi.SO_DOMAIN, abi.AF_INET}, {abi.SO_SNDLOWAT, 1}} {
		if got, err := p.GetsockoptInt(fd, abi.SOL_SOCKET, c.opt); err != nil || got != c.want {
			t.Errorf("option %d: %d %v, want %d", c.opt, got, err, c.want)
		}
	}
	errCases := []struct {
		name string
		opt  int
		val  []byte
		want errno.Errno
	}{
		{"short int", abi.SO_REUSEADDR, []byte{1, 0}, errno.EINVAL},
		{"read-only SO_TYPE", abi.SO_TYPE, i32(1), errno.ENOPROTOOPT},
		{"SO_SNDLOWAT", abi.SO_SNDLOWAT, i32(1), errno.ENOPROTOOPT},
		{"unknown", 9999, i32(1), errno.ENOPROTOOPT},
		{"timeval usec out of range", abi.SO_RCVTIMEO, make16(1, 1000000), errno.EDOM},
		{"short timeval", abi.SO_RCVTIMEO, make([]byte, 8), errno.EINVAL},
		{"short linger", abi.SO_LINGER, i32(1), errno.EINVAL},
		{"unknown device", abi.SO_BINDTODEVICE, []byte("nosuch0\x00"), errno.ENODEV},
	}
	for _, c := range errCases {
		if err := p.Setsockopt(fd, abi.SOL_SOCKET, c.opt, c.val); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	// Linger and timeouts read back as set.
	if err := p.SetsockoptLinger(fd, true, 7); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 8)
	if n, err := p.Getsockopt(fd, abi.SOL_SOCKET, abi.SO_LINGER, b); err != nil || n != 8 ||
		binary.LittleEndian.Uint32(b) != 1 || binary.LittleEndian.Uint32(b[4:]) != 7 {
		t.Errorf("linger %v %v %v", n, err, b)
	}
	if err := p.SetsockoptTimeval(fd, abi.SOL_SOCKET, abi.SO_RCVTIMEO, 1500*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	tv := make([]byte, 16)
	if n, err := p.Getsockopt(fd, abi.SOL_SOCKET, abi.SO_RCVTIMEO, tv); err != nil || n != 16 ||
		binary.LittleEndian.Uint64(tv) != 1 || binary.LittleEndian.Uint64(tv[8:]) != 500000 {
		t.Errorf("rcvtimeo %v %v %v", n, err, tv)
	}
	// Short getsockopt buffers get a short copy, as Linux's min(len, 4).
	if n, err := p.Getsockopt(fd, abi.SOL_SOCKET, abi.SO_TYPE, make([]byte, 2)); err != nil || n != 2 {
		t.Errorf("short getsockopt: %d %v", n, err)
	}
	// SO_BINDTODEVICE: bind to lo, read the name back.
	if err := p.Setsockopt(fd, abi.SOL_SOCKET, abi.SO_BINDTODEVICE, []byte("lo")); err != nil {
		t.Fatal(err)
	}
	name := make([]byte, 16)
	if n, err := p.Getsockopt(fd, abi.SOL_SOCKET, abi.SO_BINDTODEVICE, name); err != nil || string(name[:n]) != "lo\x00" {
		t.Errorf("bindtodevice read back %q %v", name[:n], err)
	}
}

func make16(sec, usec int64) []byte {
	b := make([]byte, 16)
	binary.LittleEndian.PutUint64(b, uint64(sec))
	binary.LittleEndian.PutUint64(b[8:], uint64(usec))
	return b
}

func TestUnprivilegedOptions(t *testing.T) {
	p, _, fd := setup(t, sys.Options{UID: 1000, Caps: 0})
	for _, c := range []struct {
		name string
		opt  int
		val  int
		want errno.Errno
	}{
		{"SO_MARK", abi.SO_MARK, 1, errno.EPERM},
		{"SO_PRIORITY 7", abi.SO_PRIORITY, 7, errno.EPERM},
		{"SO_RCVBUFFORCE", abi.SO_RCVBUFFORCE, 1, errno.EPERM},
		{"SO_DEBUG", abi.SO_DEBUG, 1, errno.EACCES},
	} {
		if err := p.SetsockoptInt(fd, abi.SOL_SOCKET, c.opt, c.val); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	if err := p.SetsockoptInt(fd, abi.SOL_SOCKET, abi.SO_PRIORITY, 6); err != nil {
		t.Errorf("priority 6 unprivileged: %v", err)
	}
}

// TestBlockingEdge checks the generic blocking layer: SO_RCVTIMEO gives
// EAGAIN after exactly the timeout, a signal gives EINTR, MSG_DONTWAIT
// never waits.
func TestBlockingEdge(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, _, fd := setup(t, sys.Options{})
		if err := p.Bind(fd, &abi.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 10)
		start := time.Now()
		if _, _, err := p.Recvfrom(fd, buf, abi.MSG_DONTWAIT); !errors.Is(err, errno.EAGAIN) || time.Since(start) != 0 {
			t.Errorf("MSG_DONTWAIT: %v after %v", err, time.Since(start))
		}
		if err := p.SetsockoptTimeval(fd, abi.SOL_SOCKET, abi.SO_RCVTIMEO, 250*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		if _, _, err := p.Recvfrom(fd, buf, 0); !errors.Is(err, errno.EAGAIN) || time.Since(start) != 250*time.Millisecond {
			t.Errorf("SO_RCVTIMEO: %v after %v", err, time.Since(start))
		}
		if err := p.SetsockoptTimeval(fd, abi.SOL_SOCKET, abi.SO_RCVTIMEO, 0); err != nil {
			t.Fatal(err)
		}
		done := make(chan error)
		go func() {
			_, _, err := p.Recvfrom(fd, buf, 0)
			done <- err
		}()
		synctest.Wait()
		p.Interrupt()
		if err := <-done; !errors.Is(err, errno.EINTR) {
			t.Errorf("interrupted recv: %v, want EINTR", err)
		}
	})
}

func TestListenOnDatagramSocket(t *testing.T) {
	p, _, fd := setup(t, sys.Options{})
	if err := p.Listen(fd, 5); !errors.Is(err, errno.EOPNOTSUPP) {
		t.Errorf("listen on UDP: %v, want EOPNOTSUPP", err)
	}
	if err := p.Shutdown(fd, 7); !errors.Is(err, errno.EINVAL) {
		t.Errorf("shutdown(7): %v, want EINVAL", err)
	}
}

// TestBufLockOption: SO_SNDBUF and SO_RCVBUF set SOCK_SNDBUF_LOCK and
// SOCK_RCVBUF_LOCK, which SO_BUF_LOCK reads and replaces (Linux 6.18's
// sk_userlocks); bits beyond the two are EINVAL.
func TestBufLockOption(t *testing.T) {
	p, _, fd := setup(t, sys.Options{})
	lock := func() int {
		t.Helper()
		v, err := p.GetsockoptInt(fd, abi.SOL_SOCKET, abi.SO_BUF_LOCK)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if v := lock(); v != 0 {
		t.Fatalf("new socket: SO_BUF_LOCK %d, want 0", v)
	}
	for _, step := range []struct {
		opt, set, want int
	}{
		{abi.SO_SNDBUF, 8192, 1},
		{abi.SO_RCVBUF, 8192, 3},
		{abi.SO_BUF_LOCK, 0, 0},
		{abi.SO_BUF_LOCK, 2, 2},
	} {
		if err := p.SetsockoptInt(fd, abi.SOL_SOCKET, step.opt, step.set); err != nil {
			t.Fatal(err)
		}
		if v := lock(); v != step.want {
			t.Errorf("after option %d = %d: SO_BUF_LOCK %d, want %d", step.opt, step.set, v, step.want)
		}
	}
	if err := p.SetsockoptInt(fd, abi.SOL_SOCKET, abi.SO_BUF_LOCK, 4); !errors.Is(err, errno.EINVAL) {
		t.Errorf("SO_BUF_LOCK 4: %v, want EINVAL", err)
	}
}
