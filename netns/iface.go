package netns

import (
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/wire"
)

// AddrFlags are an address's IFA_F_* flags.
type AddrFlags uint32

// Address flags, with Linux's IFA_F_* values.
const (
	AddrSecondary  AddrFlags = 0x01
	AddrNoDAD      AddrFlags = 0x02
	AddrDADFailed  AddrFlags = 0x08
	AddrDeprecated AddrFlags = 0x20
	AddrTentative  AddrFlags = 0x40
	AddrPermanent  AddrFlags = 0x80
)

// Scope is an address or route scope, with Linux's RT_SCOPE_* values.
type Scope uint8

// Scopes, narrowest last.
const (
	ScopeUniverse Scope = 0
	ScopeLink     Scope = 253
	ScopeHost     Scope = 254
)

// String names the scope as `ip addr` does.
func (s Scope) String() string {
	switch s {
	case ScopeUniverse:
		return "global"
	case ScopeLink:
		return "link"
	case ScopeHost:
		return "host"
	}
	return fmt.Sprint(uint8(s))
}

// Address is one address configured on an interface.
type Address struct {
	// Prefix is the address with its prefix length (10.0.0.1/24).
	Prefix netip.Prefix
	// Broadcast is the IPv4 subnet broadcast address (zero for /31, /32
	// and IPv6).
	Broadcast netip.Addr
	Flags     AddrFlags
	Scope     Scope
}

// Addr returns the address without its prefix length.
func (a Address) Addr() netip.Addr { return a.Prefix.Addr() }

// Usable reports whether the address may be used as a source: not
// tentative and not failed duplicate detection.
func (a Address) Usable() bool { return a.Flags&(AddrTentative|AddrDADFailed) == 0 }

// Interface is a device attached to a namespace, with its addresses and
// state; Linux's net_device as the stack sees it.
type Interface struct {
	ns    *Namespace
	index int
	dev   link.Device

	mu    sync.Mutex // serialises configuration changes
	up    atomic.Bool
	mtu   atomic.Int64
	addrs atomic.Pointer[[]Address] // immutable snapshot

	neighMu sync.Mutex
	neigh   [2]*NeighTable // per IP version, made on first use

	// Multicast groups joined on this interface, counted by user.
	mcastMu sync.Mutex
	mcast   map[netip.Addr]int
}

// Namespace returns the namespace the interface belongs to.
func (ifc *Interface) Namespace() *Namespace { return ifc.ns }

// Index returns the interface index (ifindex).
func (ifc *Interface) Index() int { return ifc.index }

// Name returns the device name.
func (ifc *Interface) Name() string { return ifc.dev.Name() }

// Device returns the underlying device.
func (ifc *Interface) Device() link.Device { return ifc.dev }

// MTU returns the interface MTU, which may be lower than the device's.
func (ifc *Interface) MTU() int { return int(ifc.mtu.Load()) }

// SetMTU sets the interface MTU; Linux refuses values below 68 for IPv4
// (and the device's maximum above).
func (ifc *Interface) SetMTU(mtu int) error {
	if mtu < 68 || mtu > ifc.dev.MTU() {
		return errno.EINVAL
	}
	ifc.mtu.Store(int64(mtu))
	// The IPv6 conf "mtu" follows the device, as addrconf's
	// NETDEV_CHANGEMTU handling does.
	return ifc.ns.Sysctl.SetDeviceMTU(ifc.Name(), mtu)
}

// IsUp reports whether the interface is administratively up.
func (ifc *Interface) IsUp() bool { return ifc.up.Load() }

// IsLoopback reports whether this is a loopback device.
func (ifc *Interface) IsLoopback() bool { return ifc.dev.Flags()&link.FlagLoopback != 0 }

// Flags returns the interface flags as `ip link` shows them.
func (ifc *Interface) Flags() link.Flags {
	f := ifc.dev.Flags()
	if ifc.IsUp() {
		f |= link.FlagUp
	} else {
		f &^= link.FlagRunning | link.FlagLowerUp
	}
	return f
}

// SetUp brings the interface up or down (`ip link set dev X up|down`).
// Down flushes neighbour entries; routes through the interface stay, as
// Linux keeps them but skips them while the link is down.
func (ifc *Interface) SetUp(up bool) error {
	ifc.mu.Lock()
	was := ifc.up.Swap(up)
	ifc.mu.Unlock()
	if was == up {
		return nil
	}
	if !up {
		ifc.flushNeighbours()
	}
	ifc.ns.notifyLink(ifc, up)
	return nil
}

// Addresses returns the interface's addresses; the slice must not be
// modified.
func (ifc *Interface) Addresses() []Address { return *ifc.addrs.Load() }

// AddAddress adds an address (`ip addr add`). IPv4 addresses get their
// subnet broadcast address; the first IPv4 address in a subnet is
// primary, later ones secondary. The namespace adds the local and
// connected routes as Linux does. An address already present is EEXIST.
func (ifc *Interface) AddAddress(p netip.Prefix) error {
	return ifc.AddAddressFlags(p, 0)
}

// AddAddressFlags is AddAddress with IFA_F_* flags (AddrNoDAD).
func (ifc *Interface) AddAddressFlags(p netip.Prefix, flags AddrFlags) error {
	if !p.IsValid() || p.Addr().Zone() != "" {
		return errno.EINVAL
	}
	p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits())
	if p.Addr().Is4() && p.Bits() > 32 {
		return errno.EINVAL
	}
	a := Address{Prefix: p, Flags: flags | AddrPermanent}
	switch {
	case p.Addr().IsLoopback():
		a.Scope = ScopeHost
	case p.Addr().IsLinkLocalUnicast():
		a.Scope = ScopeLink
	}
	ifc.mu.Lock()
	old := ifc.Addresses()
	for _, o := range old {
		if o.Addr() == a.Addr() {
			ifc.mu.Unlock()
			return errno.EEXIST
		}
		if a.Addr().Is4() && o.Addr().Is4() && o.Prefix.Masked() == p.Masked() && o.Flags&AddrSecondary == 0 {
			a.Flags |= AddrSecondary
		}
	}
	if a.Addr().Is4() && p.Bits() < 31 && !ifc.IsLoopback() {
		a.Broadcast = broadcastOf(p)
	}
	if a.Addr().Is6() && ifc.dev.Type() == link.TypeEthernet && !ifc.IsLoopback() && a.Flags&AddrNoDAD == 0 &&
		ifc.ns.Sysctl.DevInt6(ifc.Name(), "accept_dad") > 0 && ifc.ns.Sysctl.DevInt6(ifc.Name(), "dad_transmits") > 0 {
		a.Flags |= AddrTentative
	}
	next := append(slices.Clone(old), a)
	ifc.addrs.Store(&next)
	ifc.mu.Unlock()
	ifc.ns.addAddressRoutes(ifc, a)
	ifc.ns.notifyAddress(ifc, a, true)
	return nil
}

// RemoveAddress removes an address and the routes it brought.
func (ifc *Interface) RemoveAddress(addr netip.Addr) error {
	addr = addr.Unmap()
	ifc.mu.Lock()
	old := ifc.Addresses()
	i := slices.IndexFunc(old, func(a Address) bool { return a.Addr() == addr })
	if i < 0 {
		ifc.mu.Unlock()
		return errno.EADDRNOTAVAIL
	}
	a := old[i]
	next := slices.Delete(slices.Clone(old), i, i+1)
	ifc.addrs.Store(&next)
	ifc.mu.Unlock()
	ifc.ns.removeAddressRoutes(ifc, a)
	ifc.ns.notifyAddress(ifc, a, false)
	return nil
}

// UpdateAddressFlags sets and clears flags of an existing address (DAD
// finishing or failing) and reports whether the address exists.
func (ifc *Interface) UpdateAddressFlags(addr netip.Addr, set, clear AddrFlags) bool {
	ifc.mu.Lock()
	defer ifc.mu.Unlock()
	old := ifc.Addresses()
	i := slices.IndexFunc(old, func(a Address) bool { return a.Addr() == addr })
	if i < 0 {
		return false
	}
	next := slices.Clone(old)
	next[i].Flags = next[i].Flags&^clear | set
	ifc.addrs.Store(&next)
	return true
}

// HasAddress reports whether addr is configured on the interface (in any
// state).
func (ifc *Interface) HasAddress(addr netip.Addr) bool {
	for _, a := range ifc.Addresses() {
		if a.Addr() == addr {
			return true
		}
	}
	return false
}

// JoinGroup counts one more member of a multicast group on the interface
// and reports whether it is the first (so the caller sends a report).
func (ifc *Interface) JoinGroup(group netip.Addr) bool {
	ifc.mcastMu.Lock()
	defer ifc.mcastMu.Unlock()
	if ifc.mcast == nil {
		ifc.mcast = make(map[netip.Addr]int)
	}
	ifc.mcast[group]++
	return ifc.mcast[group] == 1
}

// LeaveGroup counts one member less and reports whether it was the last.
func (ifc *Interface) LeaveGroup(group netip.Addr) bool {
	ifc.mcastMu.Lock()
	defer ifc.mcastMu.Unlock()
	n := ifc.mcast[group]
	if n == 0 {
		return false
	}
	if n == 1 {
		delete(ifc.mcast, group)
		return true
	}
	ifc.mcast[group] = n - 1
	return false
}

// InGroup reports whether the interface has joined group.
func (ifc *Interface) InGroup(group netip.Addr) bool {
	ifc.mcastMu.Lock()
	defer ifc.mcastMu.Unlock()
	return ifc.mcast[group] > 0
}

// String returns "index: name".
func (ifc *Interface) String() string { return fmt.Sprintf("%d: %s", ifc.index, ifc.Name()) }

// Receive is the device's receive path (link.Receiver): it strips the
// link header, classifies the frame and hands it to its network protocol.
func (ifc *Interface) Receive(dev link.Device, pkt *pktbuf.Buffer) {
	st := dev.Stats()
	if !ifc.IsUp() {
		st.RxDropped.Add(1)
		ifc.ns.MIB.Drop(DropDevReady)
		pkt.Release()
		return
	}
	if pkt.Shared() {
		// Another holder (a sender's retransmit queue, a sniffer) shares
		// the buffer and its window; take a private copy before pulling
		// headers, as Linux's skb_share_check.
		c := pkt.Clone()
		pkt.Release()
		pkt = c
	}
	pkt.IfIndex = int32(ifc.index)
	// A looped-back or reused buffer may carry an earlier hop's view.
	pkt.Broadcast, pkt.Multicast, pkt.OtherHost = false, false, false
	switch dev.Type() {
	case link.TypeEthernet:
		eth, err := wire.ParseEthernet(pkt.Bytes())
		if err != nil {
			st.RxErrors.Add(1)
			ifc.ns.MIB.Drop(DropDevHdr)
			pkt.Release()
			return
		}
		dst := eth.Dst()
		switch {
		case dst == wire.BroadcastMAC:
			pkt.Broadcast = true
		case dst[0]&1 != 0:
			pkt.Multicast = true
		case dst != dev.HardwareAddr():
			pkt.OtherHost = true
		}
		// Taps see the frame classified, link header still on.
		ifc.ns.tap(ifc, pkt, false)
		proto := eth.Type()
		pkt.SetLinkHeader()
		pkt.Pull(wire.EthernetHeaderLen)
		ifc.ns.dispatch(ifc, proto, pkt)
	case link.TypeRawIP:
		ifc.ns.tap(ifc, pkt, false)
		b := pkt.Bytes()
		if len(b) == 0 {
			ifc.ns.MIB.Drop(DropPktTooSmall)
			pkt.Release()
			return
		}
		switch b[0] >> 4 {
		case 4:
			ifc.ns.dispatch(ifc, wire.EtherTypeIPv4, pkt)
		case 6:
			ifc.ns.dispatch(ifc, wire.EtherTypeIPv6, pkt)
		default:
			ifc.ns.MIB.Drop(DropUnhandledProto)
			pkt.Release()
		}
	default:
		pkt.Release()
	}
}

// TransmitFrame sends a frame whose link header is already written, or
// which needs none; it takes the reference to pkt.
func (ifc *Interface) TransmitFrame(pkt *pktbuf.Buffer) error {
	if !ifc.IsUp() {
		pkt.Release()
		return errno.ENETDOWN
	}
	pkt.IfIndex = int32(ifc.index)
	if pkt.GSOType != pktbuf.GSONone || pkt.ChecksumPartial {
		if ifc.needsSoftwareGSO(pkt) {
			return ifc.transmitSegmented(pkt) // gso.go
		}
	}
	ifc.ns.tap(ifc, pkt, true)
	return ifc.dev.Transmit(pkt)
}

// TransmitTo prepends the link header for an Ethernet device (addressed
// to dst, carrying proto) and transmits; on other devices it transmits
// the packet as it is. It takes the reference to pkt.
func (ifc *Interface) TransmitTo(dst wire.MAC, proto wire.EtherType, pkt *pktbuf.Buffer) error {
	if ifc.dev.Type() == link.TypeEthernet {
		h := wire.Ethernet(pkt.Push(wire.EthernetHeaderLen))
		f := wire.EthernetFields{Dst: dst, Src: ifc.dev.HardwareAddr(), Type: proto}
		f.Encode(h)
		pkt.SetLinkHeader()
	}
	pkt.Protocol = uint16(proto)
	return ifc.TransmitFrame(pkt)
}

func broadcastOf(p netip.Prefix) netip.Addr {
	a := p.Addr().As4()
	bits := p.Bits()
	for i := range 4 {
		for b := 0; b < 8; b++ {
			if i*8+b >= bits {
				a[i] |= 0x80 >> b
			}
		}
	}
	return netip.AddrFrom4(a)
}

func mustParsePrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }
