package inet

import (
	"testing"
	"unsafe"

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
