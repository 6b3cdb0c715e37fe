package inet

import (
	"maps"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/socket"
)

// Addrs are a socket's addresses and ports, published as an immutable
// snapshot so the packet path can read them without the socket lock.
// Addresses of AF_INET6 sockets are 16-byte (v4-mapped for IPv4 peers);
// an invalid netip.Addr means unset (INADDR_ANY / in6addr_any).
type Addrs struct {
	// RcvAddr is the bound address lookups match (inet_rcv_saddr,
	// sk_v6_rcv_saddr).
	RcvAddr netip.Addr
	// Src is the source address for sending (inet_saddr, np->saddr):
	// RcvAddr, except unset when bound to a multicast or broadcast
	// address, and set by connect.
	Src netip.Addr
	// Dst and DstPort (below) are the connected peer (inet_daddr,
	// inet_dport).
	Dst netip.Addr
	// Dev is the bound interface (sk_bound_dev_if), 0 for none.
	Dev int
	// The small fields share a word at the end (between the addresses
	// each took one): 88 bytes, the 96-byte allocation size class rather
	// than 112, and every connection end holds a snapshot (TestAddrsSize).

	// Port is the local port (inet_num); 0 means unbound.
	Port    uint16
	DstPort uint16
	// V6Only is IPV6_V6ONLY (always true for a v6 socket bound to a
	// specific IPv6 address, as Linux sets it).
	V6Only bool
}

// User lock bits, as SOCK_BINDADDR_LOCK and SOCK_BINDPORT_LOCK.
const (
	bindAddrLock = 4
	bindPortLock = 8
)

// Sock is an inet socket: Linux's struct inet_sock with the ipv6_pinfo of
// AF_INET6 sockets.
type Sock struct {
	// S is the generic half (options, wait queue, pending error).
	S *socket.Sock
	// Stack is the namespace's inet state.
	Stack *Stack
	// Proto is the protocol half.
	Proto ProtoSock
	// V6 says this is an AF_INET6 socket. (The small fields sit
	// together so that alignment wastes no padding: the struct stays in
	// a smaller allocation size class.)
	V6 bool
	// Num is the local port, or the protocol number of a raw socket
	// (inet_num), kept under Mu; Addrs().Port mirrors it.
	Num uint16
	// portKid is one more than the socket's index among the inherited
	// sockets of its port in the PortTable, 0 if it is not one; guarded
	// by the table's lock.
	portKid int32

	sw *Protosw // the inetsw entry, shared by every socket made from it

	// Mu is lock_sock: it serialises the user calls that change the
	// socket.
	Mu sync.Mutex

	addrs     atomic.Pointer[Addrs]
	userLocks int
	opts      ipOpts // guarded by Mu

	// Fields the packet path reads without Mu.
	recvErr   atomic.Bool // IP_RECVERR / IPV6_RECVERR
	mcAll     atomic.Bool // IP_MULTICAST_ALL
	mcLoop    atomic.Bool // IP_MULTICAST_LOOP
	mcLoop6   atomic.Bool // IPV6_MULTICAST_LOOP
	pmtuDisc  atomic.Int32
	pmtuDisc6 atomic.Int32
	drops     atomic.Uint32 // sk_drops
	state     atomic.Int32
	// transparent mirrors IP_TRANSPARENT / IPV6_TRANSPARENT for the
	// steering lookups (netns InterceptRule), which run without Mu.
	transparent atomic.Bool

	mcMu sync.Mutex
	mc   []membership // guarded by mcMu

	errq errQueue
}

func newSock(s *Stack, so *socket.Sock, v6 bool, sw *Protosw) *Sock {
	sk := &Sock{S: so, Stack: s, V6: v6, sw: sw}
	sk.state.Store(StateClose)
	a := &Addrs{}
	if v6 {
		a.V6Only = s.ns.Sysctl.Int(netns.IP6Bindv6only) != 0
	}
	sk.addrs.Store(a)
	sk.opts.init(s.ns, v6)
	sk.mcAll.Store(true)
	sk.mcLoop.Store(true)
	sk.mcLoop6.Store(true)
	if s.ns.Sysctl.Int(netns.IPNoPMTUDisc) != 0 {
		sk.pmtuDisc.Store(abi.IP_PMTUDISC_DONT)
	} else {
		sk.pmtuDisc.Store(abi.IP_PMTUDISC_WANT)
	}
	sk.pmtuDisc6.Store(abi.IPV6_PMTUDISC_WANT)
	return sk
}

// NewChild makes a socket of the same kind as parent for a connection a
// listener accepted (sk_clone_lock): TCP calls it for each new
// connection, with its own socket.Sock.
func NewChild(parent *Sock, so *socket.Sock) *Sock {
	sk := newSock(parent.Stack, so, parent.V6, parent.sw)
	parent.Mu.Lock()
	sk.opts = parent.opts
	// The child's flags are its own from here (the maps were shared).
	sk.opts.flags = maps.Clone(parent.opts.flags)
	sk.opts.flags6 = maps.Clone(parent.opts.flags6)
	sk.opts.mcGroups = 0
	parent.Mu.Unlock()
	return sk
}

// NS returns the socket's namespace.
func (sk *Sock) NS() *netns.Namespace { return sk.Stack.ns }

// Addrs returns the current addresses snapshot; it must not be modified.
func (sk *Sock) Addrs() *Addrs { return sk.addrs.Load() }

// SetAddrs publishes new addresses (caller holds Mu).
func (sk *Sock) SetAddrs(a Addrs) { sk.addrs.Store(&a) }

// State returns the socket state (StateClose, StateEstablished …).
func (sk *Sock) State() int { return int(sk.state.Load()) }

// SetState sets the socket state.
func (sk *Sock) SetState(st int) { sk.state.Store(int32(st)) }

// Type returns the socket type (SOCK_DGRAM …).
func (sk *Sock) Type() int { return sk.S.Type }

// Protocol returns the protocol number.
func (sk *Sock) Protocol() int { return sk.S.Protocol }

// RecvErr reports IP_RECVERR (IPV6_RECVERR for v6 traffic of a v6
// socket).
func (sk *Sock) RecvErr() bool { return sk.recvErr.Load() }

// MulticastAll reports IP_MULTICAST_ALL.
func (sk *Sock) MulticastAll() bool { return sk.mcAll.Load() }

// MulticastLoop reports IP_MULTICAST_LOOP (v6 false) or
// IPV6_MULTICAST_LOOP.
func (sk *Sock) MulticastLoop(v6 bool) bool {
	if v6 {
		return sk.mcLoop6.Load()
	}
	return sk.mcLoop.Load()
}

// AddDrop counts a packet the socket dropped (sk_drops, SO_RXQ_OVFL).
func (sk *Sock) AddDrop() { sk.drops.Add(1) }

// Drops returns sk_drops.
func (sk *Sock) Drops() uint32 { return sk.drops.Load() }

// Uid returns the owner's uid (sock_i_uid), for SO_REUSEPORT groups.
func (sk *Sock) Uid() int { return sk.S.Creds.UID }

// Reuse and ReusePort report SO_REUSEADDR and SO_REUSEPORT.
func (sk *Sock) Reuse() bool     { return sk.S.Flag(abi.SO_REUSEADDR) }
func (sk *Sock) ReusePort() bool { return sk.S.Flag(abi.SO_REUSEPORT) }

// Listening reports whether the socket listens (for bind conflicts).
func (sk *Sock) Listening() bool { return sk.State() == StateListen }

// HdrIncl reports IP_HDRINCL.
func (sk *Sock) HdrIncl() bool {
	sk.Mu.Lock()
	defer sk.Mu.Unlock()
	return sk.opts.hdrincl
}

// setBoundDevice records the bound interface in both halves.
func (sk *Sock) setBoundDevice(a *Addrs, idx int) {
	a.Dev = idx
	sk.S.SetBoundDevice(idx)
}

// syncDev refreshes Addrs.Dev from SO_BINDTODEVICE (set by the generic
// layer).
func (sk *Sock) syncDev() {
	a := *sk.Addrs()
	if d := sk.S.BoundDevice(); d != a.Dev {
		a.Dev = d
		sk.SetAddrs(a)
	}
}

// Autobind gives an unbound socket an ephemeral port (inet_autobind):
// when none is free, EAGAIN at once, even for a blocking call
// (socket.EAgainNow). Called with Mu held.
func (sk *Sock) Autobind() errno.Errno {
	if sk.Num != 0 {
		return 0
	}
	if sk.Proto.GetPort(0) != 0 {
		return socket.EAgainNow
	}
	return 0
}

// Bound reports the local port (0 unbound).
func (sk *Sock) Bound() uint16 { return sk.Num }

// AnyAddr returns the unspecified address of the socket's family.
func (sk *Sock) AnyAddr() netip.Addr {
	if sk.V6 {
		return netip.IPv6Unspecified()
	}
	return netip.IPv4Unspecified()
}

// orAny returns a, or the unspecified address when a is unset.
func (sk *Sock) orAny(a netip.Addr) netip.Addr {
	if !a.IsValid() {
		return sk.AnyAddr()
	}
	return a
}

// isSet reports whether a is a set, specified address.
func isSet(a netip.Addr) bool { return a.IsValid() && !a.IsUnspecified() && a != mappedAny }

var mappedAny = netip.AddrFrom16([16]byte{10: 0xff, 11: 0xff})

// Wire converts a socket address to what goes on the wire: v4-mapped
// addresses become IPv4.
func Wire(a netip.Addr) netip.Addr {
	if a.Is4In6() {
		return a.Unmap()
	}
	return a
}

// ForFamily converts an address of the wire to the socket's family:
// IPv4 addresses become v4-mapped for an AF_INET6 socket.
func (sk *Sock) ForFamily(a netip.Addr) netip.Addr {
	if sk.V6 && a.Is4() {
		return netip.AddrFrom16(a.As16())
	}
	return a
}

// HdrInclLocked is HdrIncl for a caller holding Mu.
func (sk *Sock) HdrInclLocked() bool { return sk.opts.hdrincl }
