package inet

import (
	"net/netip"
	"testing"
	"unsafe"

	"github.com/gosock/gosock/internal/israce"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/socket"
)

// TestSockSize keeps an inet socket in the 384-byte allocation size
// class: every connection end holds one, and the idle-connection memory
// target (bench idle) counts it. A field that pushes it over costs the
// next class, 416 bytes; regroup the small fields to find the room.
func TestSockSize(t *testing.T) {
	if n := unsafe.Sizeof(Sock{}); n > 384 {
		t.Errorf("inet.Sock is %d bytes, over the 384-byte size class", n)
	}
}

// TestAddrsSize keeps an address snapshot in the 96-byte allocation size
// class: every connection end holds one (the next class is 112 bytes).
func TestAddrsSize(t *testing.T) {
	if n := unsafe.Sizeof(Addrs{}); n > 96 {
		t.Errorf("inet.Addrs is %d bytes, over the 96-byte size class", n)
	}
}

// TestNewSockAllocs: a new socket costs the Sock and its address
// snapshot, not an inetsw entry copy or empty option maps.
func TestNewSockAllocs(t *testing.T) {
	ns := netns.New(netns.Options{Name: "allocs", Seed: 1})
	defer ns.Close()
	st := Register(ns)
	sw := &Protosw{Type: abi.SOCK_STREAM}
	so := &socket.Sock{NS: ns}
	if n := testing.AllocsPerRun(100, func() { newSock(st, so, false, sw) }); n > 2 {
		t.Errorf("newSock allocates %v times, want at most 2", n)
	}
}

// TestChildFlagsOwn: an accepted socket starts with its listener's plain
// IP flags and from then on keeps its own, as sk_clone_lock copies them.
func TestChildFlagsOwn(t *testing.T) {
	ns := netns.New(netns.Options{Name: "flags", Seed: 1})
	defer ns.Close()
	st := Register(ns)
	parent := newSock(st, &socket.Sock{NS: ns}, true, &Protosw{Type: abi.SOCK_STREAM})
	setFlag(&parent.opts.flags, abi.IP_PKTINFO, true)
	child := NewChild(parent, &socket.Sock{NS: ns})
	if !child.opts.flags[abi.IP_PKTINFO] {
		t.Fatal("child did not inherit IP_PKTINFO")
	}
	setFlag(&child.opts.flags, abi.IP_RECVTTL, true)
	setFlag(&child.opts.flags6, abi.IPV6_RECVPKTINFO, true)
	setFlag(&child.opts.flags, abi.IP_PKTINFO, false)
	if parent.opts.flags[abi.IP_RECVTTL] || parent.opts.flags6[abi.IPV6_RECVPKTINFO] || !parent.opts.flags[abi.IP_PKTINFO] {
		t.Errorf("the child's setsockopt changed its listener's flags: %v %v", parent.opts.flags, parent.opts.flags6)
	}
	setFlag(&parent.opts.flags6, abi.IPV6_RECVPKTINFO, false)
	if parent.opts.flags6 != nil {
		t.Error("turning a flag off made a map")
	}
}

// TestAddrType4: bind and connect classify addresses by scanning the local
// routing table; the scan gives the right answers and allocates nothing
// (a copy of the table per call was a tenth of a connection's bytes).
func TestAddrType4(t *testing.T) {
	ns := netns.New(netns.Options{Name: "addrtype", Seed: 1})
	defer ns.Close()
	ns.Loopback().SetUp(true)
	for _, tc := range []struct {
		addr string
		want int
	}{
		{"127.0.0.1", rtnLocal},
		{"127.1.2.3", rtnLocal},
		{"0.0.0.0", rtnBroadcast},
		{"255.255.255.255", rtnBroadcast},
		{"224.0.0.1", rtnMulticast},
		{"10.0.0.1", rtnUnicast},
	} {
		if got := AddrType4(ns, netip.MustParseAddr(tc.addr), 0); got != tc.want {
			t.Errorf("AddrType4(%s) = %d, want %d", tc.addr, got, tc.want)
		}
	}
	if israce.Enabled {
		return // the race detector's instrumentation moves the scan's closure to the heap
	}
	a := netip.MustParseAddr("10.0.0.1")
	if n := testing.AllocsPerRun(100, func() { AddrType4(ns, a, 0) }); n != 0 {
		t.Errorf("AddrType4 allocates %v times, want 0", n)
	}
}
