package sys_test

import (
	"sync/atomic"
	"testing"

	"github.com/gosock/gosock"
	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/sys"
)

// TestTCPSIGURG checks that TCP urgent data raises SIGURG at the socket's
// F_SETOWN owner (tcp_check_urg's sk_send_sigurg), once per new urgent
// pointer, and never for ordinary data.
func TestTCPSIGURG(t *testing.T) {
	ns := gosock.NewNamespace(netns.Options{Seed: 1})
	defer ns.Close()
	var sigurg atomic.Int32
	p := sys.NewProcess(ns, sys.Options{PID: 9, OnSignal: func(sig int) {
		if sig == sys.SIGURG {
			sigurg.Add(1)
		}
	}})
	defer p.Exit()
	addr := &abi.SockaddrInet4{Port: 5100, Addr: [4]byte{127, 0, 0, 1}}
	l, _ := p.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
	if err := p.Bind(l, addr); err != nil {
		t.Fatal(err)
	}
	if err := p.Listen(l, 1); err != nil {
		t.Fatal(err)
	}
	c, _ := p.Socket(abi.AF_INET, abi.SOCK_STREAM, 0)
	if err := p.Connect(c, addr); err != nil {
		t.Fatal(err)
	}
	a, _, err := p.Accept(l)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Fcntl(a, abi.F_SETOWN, 9); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 8)
	// recv blocks until the segment was processed, SIGURG included.
	recv := func(flags int) string {
		t.Helper()
		n, _, err := p.Recvfrom(a, buf, flags)
		if err != nil {
			t.Fatalf("recv: %v", err)
		}
		return string(buf[:n])
	}
	p.Send(c, []byte("plain"), 0)
	if got := recv(0); got != "plain" || sigurg.Load() != 0 {
		t.Fatalf("ordinary data: read %q, %d SIGURG", got, sigurg.Load())
	}
	p.Send(c, []byte("ab!"), abi.MSG_OOB)
	if got := recv(0); got != "ab" {
		t.Fatalf("read %q up to the mark, want \"ab\"", got)
	}
	if n := sigurg.Load(); n != 1 {
		t.Fatalf("%d SIGURG for urgent data, want 1", n)
	}
	if mark, err := p.IoctlGetInt(a, abi.SIOCATMARK); err != nil || mark != 1 {
		t.Fatalf("SIOCATMARK = %d, %v at the mark", mark, err)
	}
	if got := recv(abi.MSG_OOB); got != "!" {
		t.Fatalf("MSG_OOB read %q, want \"!\"", got)
	}
	fds := []sys.PollFd{{Fd: int32(a), Events: abi.EPOLLPRI}}
	if n, _ := p.Poll(fds, 0); n != 0 {
		t.Errorf("POLLPRI after the byte was read: revents %#x", fds[0].Revents)
	}
}
