package udp_test

import (
	"errors"
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosock/gosock"
	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/raw"
	"github.com/gosock/gosock/sys"
	"github.com/gosock/gosock/udp"
)

// host is a namespace with every protocol and a root process.
type host struct {
	ns *netns.Namespace
	p  *sys.Process
}

// env collects what a test made, to close before the leak check.
type env struct {
	closers   []func()
	flowOwner map[string]int
}

func (e *env) newHost(t *testing.T, name string, seed uint64) *host {
	t.Helper()
	ns := gosock.NewNamespace(netns.Options{Name: name, Seed: seed})
	udp.Register(ns)
	raw.Register(ns)
	h := &host{ns: ns, p: sys.NewProcess(ns, sys.Options{})}
	e.closers = append(e.closers, func() { h.p.Exit(); ns.Close() })
	return h
}

// pair joins two hosts on 10.0.0.0/24 and 2001:db8::/64 and waits for
// IPv6 duplicate address detection.
func (e *env) pair(t *testing.T) (*host, *host) {
	t.Helper()
	a, b := e.newHost(t, "a", 1), e.newHost(t, "b", 2)
	_, _, err := gosock.Connect(a.ns, b.ns,
		gosock.Link{Name: "eth0", Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.1/24"), netip.MustParsePrefix("2001:db8::1/64")}},
		gosock.Link{Name: "eth0", Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.2/24"), netip.MustParsePrefix("2001:db8::2/64")}},
		link.PipeConfig{AtoB: link.Impairments{Latency: time.Millisecond}, BtoA: link.Impairments{Latency: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second) // DAD
	return a, b
}

// bubble runs f in a synctest bubble and checks buffers come back.
func bubble(t *testing.T, f func(t *testing.T, e *env)) {
	synctest.Test(t, func(t *testing.T) {
		before := pktbuf.Outstanding()
		e := &env{}
		defer func() {
			for i := len(e.closers) - 1; i >= 0; i-- {
				e.closers[i]()
			}
			synctest.Wait()
			if n := pktbuf.Outstanding() - before; n != 0 {
				t.Errorf("%d packet buffers leaked", n)
			}
		}()
		f(t, e)
	})
}

func sa4(s string, port int) *abi.SockaddrInet4 {
	return &abi.SockaddrInet4{Port: port, Addr: netip.MustParseAddr(s).As4()}
}

func sa6(s string, port int) *abi.SockaddrInet6 {
	return &abi.SockaddrInet6{Port: port, Addr: netip.MustParseAddr(s).As16()}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErr(t *testing.T, what string, err error, want errno.Errno) {
	t.Helper()
	if want == 0 {
		if err != nil {
			t.Errorf("%s: %v, want success", what, err)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Errorf("%s: %v, want %v", what, err, want)
	}
}

func (h *host) socket(t *testing.T, domain, typ, proto int) int {
	t.Helper()
	fd, err := h.p.Socket(domain, typ, proto)
	if err != nil {
		t.Fatalf("socket(%d, %d, %d): %v", domain, typ, proto, err)
	}
	return fd
}

func (h *host) port(t *testing.T, fd int) int {
	t.Helper()
	sa, err := h.p.Getsockname(fd)
	must(t, err)
	switch sa := sa.(type) {
	case *abi.SockaddrInet4:
		return sa.Port
	case *abi.SockaddrInet6:
		return sa.Port
	}
	t.Fatalf("getsockname: %T", sa)
	return 0
}

type sysProcess = sys.Process

func newSysProcess(ns *netns.Namespace, uid int) *sys.Process {
	return sys.NewProcess(ns, sys.Options{UID: uid, GID: uid, Caps: 1 << 40})
}
