package sys_test

import (
	"errors"
	"testing"

	"github.com/gosock/gosock"
	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/internal/israce"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/sys"
)

// TestRRAllocs bounces one byte back and forth over TCP on loopback
// through the syscall face and counts heap allocations per round trip
// once warm: blocking read(2)/write(2) and the typed sendmsg/recvmsg,
// their per-call context, the descriptor lookups and TCP beneath them
// allocate nothing.
func TestRRAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counting")
	}
	if israce.Enabled {
		t.Skip("the race detector makes sync.Pool drop its contents at random")
	}
	ns := gosock.NewNamespace(netns.Options{Name: "rr", Seed: 1})
	defer ns.Close()
	p := sys.NewProcess(ns, sys.Options{})
	ls := mustFD(t)(p.Socket(abi.AF_INET, abi.SOCK_STREAM, 0))
	addr := &abi.SockaddrInet4{Port: 80, Addr: [4]byte{127, 0, 0, 1}}
	must(t, p.Bind(ls, addr))
	must(t, p.Listen(ls, 1))
	c := mustFD(t)(p.Socket(abi.AF_INET, abi.SOCK_STREAM, 0))
	must(t, p.SetsockoptInt(c, abi.SOL_TCP, abi.TCP_NODELAY, 1))
	must(t, p.Connect(c, addr))
	s, _, err := p.Accept(ls)
	must(t, err)
	must(t, p.SetsockoptInt(s, abi.SOL_TCP, abi.TCP_NODELAY, 1))
	echoed := make(chan struct{})
	go func() {
		defer close(echoed)
		var b [1]byte
		for {
			if n, err := p.Read(s, b[:]); err != nil || n == 0 {
				return
			}
			if _, err := p.Write(s, b[:]); err != nil {
				return
			}
		}
	}()
	var b [1]byte
	rounds := map[string]func(){
		"read/write": func() {
			if _, err := p.Write(c, b[:]); err != nil {
				t.Fatal(err)
			}
			if n, err := p.Read(c, b[:]); err != nil || n != 1 {
				t.Fatal(n, err)
			}
		},
		"sendmsg/recvmsg": func() {
			if _, err := p.Sendmsg(c, b[:], nil, nil, 0); err != nil {
				t.Fatal(err)
			}
			if n, _, _, _, err := p.Recvmsg(c, b[:], nil, 0); err != nil || n != 1 {
				t.Fatal(n, err)
			}
		},
	}
	// An event loop's client: epoll_wait for the reply, then a
	// non-blocking read.
	ep, err := p.EpollCreate1(0)
	must(t, err)
	must(t, p.EpollCtl(ep, abi.EPOLL_CTL_ADD, c, &sys.EpollEvent{Events: uint32(abi.EPOLLIN), Fd: int32(c)}))
	evs := make([]sys.EpollEvent, 4)
	rounds["epoll"] = func() {
		if _, err := p.Write(c, b[:]); err != nil {
			t.Fatal(err)
		}
		for {
			if n, err := p.EpollWait(ep, evs, -1); err != nil || n != 1 {
				t.Fatal(n, err)
			}
			n, _, err := p.Recvfrom(c, b[:], abi.MSG_DONTWAIT)
			if err == nil && n == 1 {
				return
			}
			if !errors.Is(err, errno.EAGAIN) {
				t.Fatal(n, err)
			}
		}
	}
	pfd := []sys.PollFd{{Fd: int32(c), Events: sys.POLLIN}}
	rounds["poll"] = func() {
		if _, err := p.Write(c, b[:]); err != nil {
			t.Fatal(err)
		}
		for {
			if n, err := p.Poll(pfd, -1); err != nil || n != 1 {
				t.Fatal(n, err)
			}
			n, _, err := p.Recvfrom(c, b[:], abi.MSG_DONTWAIT)
			if err == nil && n == 1 {
				return
			}
			if !errors.Is(err, errno.EAGAIN) {
				t.Fatal(n, err)
			}
		}
	}
	for _, name := range []string{"read/write", "sendmsg/recvmsg", "epoll", "poll"} {
		round := rounds[name]
		for range 2000 {
			round() // warm up: pools fill, timers exist
		}
		if allocs := testing.AllocsPerRun(2000, round); allocs > 0 {
			t.Errorf("%s: %.2f allocations per 1-byte round trip, want 0", name, allocs)
		}
	}
	must(t, p.Close(c))
	<-echoed
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func mustFD(t *testing.T) func(int, error) int {
	return func(fd int, err error) int {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return fd
	}
}
