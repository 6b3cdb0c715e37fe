package inet

import (
	"encoding/binary"
	"net/netip"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/socket"
)

// Address types, as Linux's RTN_* results of inet_addr_type.
const (
	rtnUnicast   = 1
	rtnLocal     = 2
	rtnBroadcast = 3
	rtnMulticast = 5
)

var limitedBroadcast = netip.AddrFrom4([4]byte{255, 255, 255, 255})

// AddrType4 classifies an IPv4 address as this namespace sees it
// (inet_addr_type_dev_table): local, broadcast, multicast or unicast,
// optionally only through interface dev.
func AddrType4(ns *netns.Namespace, a netip.Addr, dev int) int {
	switch {
	case a.IsUnspecified() || a == limitedBroadcast:
		return rtnBroadcast
	case a.IsMulticast():
		return rtnMulticast
	}
	for r := range ns.RouteSeq(false) {
		if r.Table != netns.TableLocal || !r.Dst.Contains(a) {
			continue
		}
		if dev != 0 && r.Iface != nil && r.Iface.Index() != dev && !r.Iface.IsLoopback() {
			continue
		}
		switch r.Type {
		case netns.RouteLocal:
			return rtnLocal
		case netns.RouteBroadcast:
			return rtnBroadcast
		}
	}
	return rtnUnicast
}

// IsLocal6 reports whether a is a usable address of this namespace
// (ipv6_chk_addr), on interface dev if not 0.
func IsLocal6(ns *netns.Namespace, a netip.Addr, dev int) bool {
	for _, ifc := range ns.Interfaces() {
		if dev != 0 && ifc.Index() != dev {
			continue
		}
		for _, x := range ifc.Addresses() {
			if x.Addr() == a && x.Usable() {
				return true
			}
		}
	}
	return false
}

// canNonlocal reports IP_FREEBIND, IP_TRANSPARENT or the nonlocal-bind
// sysctl (inet_can_nonlocal_bind, ipv6_can_nonlocal_bind).
func (sk *Sock) canNonlocal(v6 bool) bool {
	if sk.opts.freebind || sk.opts.transparent {
		return true
	}
	if v6 {
		return sk.NS().Sysctl.Int(netns.IP6NonlocalBind) != 0
	}
	return sk.NS().Sysctl.Int(netns.IPNonlocalBind) != 0
}

// validOrNonlocal is inet_addr_valid_or_nonlocal.
func (sk *Sock) validOrNonlocal(a netip.Addr, typ int) bool {
	return sk.canNonlocal(false) || a.IsUnspecified() || typ == rtnLocal || typ == rtnMulticast || typ == rtnBroadcast
}

// portNeedsCap is inet_port_requires_bind_service plus the capability.
func (sk *Sock) portNeedsCap(port uint16) bool {
	return port != 0 && int64(port) < sk.NS().Sysctl.Int(netns.IPUnprivilegedPortStart) &&
		!sk.S.Creds.Has(socket.CapNetBindService)
}

// Sockaddr4 parses a sockaddr_in: length and family checked by the
// caller.
func Sockaddr4(b []byte) netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[4:8])), binary.BigEndian.Uint16(b[2:]))
}

// Sockaddr6 parses a sockaddr_in6 (at least 24 bytes): address, port and
// scope id (0 when the old 24-byte form is used).
func Sockaddr6(b []byte) (netip.AddrPort, uint32) {
	ap := netip.AddrPortFrom(netip.AddrFrom16([16]byte(b[8:24])), binary.BigEndian.Uint16(b[2:]))
	var scope uint32
	if len(b) >= abi.SizeofSockaddrInet6 {
		scope = binary.LittleEndian.Uint32(b[24:])
	}
	return ap, scope
}

// bind4 is inet_bind / __inet_bind.
func (sk *Sock) bind4(addr []byte) errno.Errno {
	if len(addr) < abi.SizeofSockaddrInet4 {
		return errno.EINVAL
	}
	ap := Sockaddr4(addr)
	a := ap.Addr()
	if abi.Family(addr) != abi.AF_INET {
		// Compatibility games: AF_UNSPEC is accepted with INADDR_ANY.
		if abi.Family(addr) != abi.AF_UNSPEC || !a.IsUnspecified() {
			return errno.EAFNOSUPPORT
		}
	}
	sk.Mu.Lock()
	defer sk.Mu.Unlock()
	sk.syncDev()
	typ := AddrType4(sk.NS(), a, sk.Addrs().Dev)
	if !sk.validOrNonlocal(a, typ) {
		return errno.EADDRNOTAVAIL
	}
	port := ap.Port()
	if sk.portNeedsCap(port) {
		return errno.EACCES
	}
	if sk.State() != StateClose || sk.Num != 0 {
		return errno.EINVAL
	}
	old := *sk.Addrs()
	n := old
	n.RcvAddr, n.Src = a, a
	if typ == rtnMulticast || typ == rtnBroadcast && !a.IsUnspecified() {
		n.Src = netip.Addr{} // use the device's
	}
	sk.SetAddrs(n)
	if port != 0 || !sk.opts.bindNoPort {
		if e := sk.Proto.GetPort(port); e != 0 {
			sk.SetAddrs(old)
			return e
		}
	}
	return sk.finishBind(port, isSet(a))
}

func (sk *Sock) finishBind(port uint16, addrLocked bool) errno.Errno {
	if addrLocked {
		sk.userLocks |= bindAddrLock
	}
	if port != 0 {
		sk.userLocks |= bindPortLock
	}
	n := *sk.Addrs()
	n.Dst, n.DstPort = netip.Addr{}, 0
	sk.SetAddrs(n)
	return 0
}

// needsScope is __ipv6_addr_needs_scope_id: link-local unicast, and
// interface- or link-local multicast.
func needsScope(a netip.Addr) bool {
	if a.IsLinkLocalUnicast() {
		return true
	}
	return a.IsMulticast() && (a.As16()[1]&0xf == 1 || a.As16()[1]&0xf == 2)
}

// bind6 is inet6_bind / __inet6_bind.
func (sk *Sock) bind6(addr []byte) errno.Errno {
	if len(addr) < 24 {
		return errno.EINVAL
	}
	if abi.Family(addr) != abi.AF_INET6 {
		return errno.EAFNOSUPPORT
	}
	ap, scope := Sockaddr6(addr)
	a := ap.Addr()
	if a.IsMulticast() && sk.Type() == abi.SOCK_STREAM {
		return errno.EINVAL
	}
	port := ap.Port()
	if sk.portNeedsCap(port) {
		return errno.EACCES
	}
	sk.Mu.Lock()
	defer sk.Mu.Unlock()
	sk.syncDev()
	if sk.State() != StateClose || sk.Num != 0 {
		return errno.EINVAL
	}
	old := *sk.Addrs()
	n := old
	ns := sk.NS()
	switch {
	case a.Is4In6():
		if old.V6Only {
			return errno.EINVAL
		}
		if n.Dev != 0 && ns.Interface(n.Dev) == nil {
			return errno.ENODEV
		}
		v4 := a.Unmap()
		if !sk.validOrNonlocal(v4, AddrType4(ns, v4, n.Dev)) {
			return errno.EADDRNOTAVAIL
		}
	case !a.IsUnspecified():
		if needsScope(a) {
			if scope != 0 {
				n.Dev = int(scope)
			}
			if n.Dev == 0 {
				return errno.EINVAL
			}
		}
		if n.Dev != 0 && ns.Interface(n.Dev) == nil {
			return errno.ENODEV
		}
		if !a.IsMulticast() && !sk.canNonlocal(true) && !IsLocal6(ns, a, devIfScoped(a, n.Dev)) {
			return errno.EADDRNOTAVAIL
		}
	}
	n.RcvAddr = a
	n.Src = a
	if a.IsMulticast() {
		n.Src = netip.Addr{}
	}
	if !a.IsUnspecified() && !a.Is4In6() {
		n.V6Only = true
	}
	sk.SetAddrs(n)
	if n.Dev != old.Dev {
		sk.S.SetBoundDevice(n.Dev)
	}
	if port != 0 || !sk.opts.bindNoPort {
		if e := sk.Proto.GetPort(port); e != 0 {
			sk.SetAddrs(old)
			sk.S.SetBoundDevice(old.Dev)
			return e
		}
	}
	return sk.finishBind(port, !a.IsUnspecified())
}

// devIfScoped restricts an address check to the bound device only for
// addresses that need a scope (Linux passes the device for those; a
// global address may be on any interface only with strict routing off).
func devIfScoped(a netip.Addr, dev int) int {
	if needsScope(a) || a.IsLoopback() {
		return dev
	}
	return 0
}

// getname is inet_getname / inet6_getname.
func (sk *Sock) getname(buf []byte, peer bool) (int, errno.Errno) {
	sk.Mu.Lock()
	a := *sk.Addrs()
	st := sk.State()
	sk.Mu.Unlock()
	var addr netip.Addr
	var port uint16
	if peer {
		if a.DstPort == 0 || (st == StateClose || st == StateSynSent) {
			return 0, errno.ENOTCONN
		}
		addr, port = a.Dst, a.DstPort
	} else {
		addr = a.RcvAddr
		if !isSet(addr) && isSet(a.Src) || !addr.IsValid() {
			addr = a.Src
		}
		port = a.Port
	}
	return PutSockaddr(buf, sk.V6, sk.orAny(addr), port, a.Dev), 0
}

// PutSockaddr writes a sockaddr_in (v6 false) or sockaddr_in6 for addr
// and port into buf, as much as fits, and returns its full length. A v6
// link-local address gets dev as its scope id.
func PutSockaddr(buf []byte, v6 bool, addr netip.Addr, port uint16, dev int) int {
	var b [abi.SizeofSockaddrInet6]byte
	n := abi.SizeofSockaddrInet4
	if v6 {
		n = abi.SizeofSockaddrInet6
		binary.LittleEndian.PutUint16(b[:], abi.AF_INET6)
		binary.BigEndian.PutUint16(b[2:], port)
		a16 := addr.As16()
		copy(b[8:24], a16[:])
		if needsScope(addr) {
			binary.LittleEndian.PutUint32(b[24:], uint32(dev))
		}
	} else {
		binary.LittleEndian.PutUint16(b[:], abi.AF_INET)
		binary.BigEndian.PutUint16(b[2:], port)
		a4 := addr.Unmap().As4()
		copy(b[4:8], a4[:])
	}
	copy(buf, b[:n])
	return n
}

// Address types AddrType4 returns.
const (
	RTNUnicast   = rtnUnicast
	RTNLocal     = rtnLocal
	RTNBroadcast = rtnBroadcast
	RTNMulticast = rtnMulticast
)

// CanNonlocal reports whether the socket may bind an address that is
// not local (IP_FREEBIND, IP_TRANSPARENT, ip_nonlocal_bind). Called with
// Mu held.
func (sk *Sock) CanNonlocal(v6 bool) bool { return sk.canNonlocal(v6) }

// NeedsScope reports whether an IPv6 address needs a scope id (link-local
// unicast, interface- and link-local multicast).
func NeedsScope(a netip.Addr) bool { return needsScope(a) }

// SetBindLocks records an explicit bind of the address and/or the port
// (SOCK_BINDADDR_LOCK, SOCK_BINDPORT_LOCK), which a disconnect keeps.
// Called with Mu held.
func (sk *Sock) SetBindLocks(addr, port bool) {
	if addr {
		sk.userLocks |= bindAddrLock
	}
	if port {
		sk.userLocks |= bindPortLock
	}
}

// RawBind is raw_bind / rawv6_bind: a raw socket binds an address only
// (no port, no family check for IPv4), and may do so again.
func (sk *Sock) RawBind(addr []byte) errno.Errno {
	if !sk.V6 {
		sk.Mu.Lock()
		defer sk.Mu.Unlock()
		if sk.State() != StateClose || len(addr) < abi.SizeofSockaddrInet4 {
			return errno.EINVAL
		}
		a := Sockaddr4(addr).Addr()
		n := *sk.Addrs()
		typ := AddrType4(sk.NS(), a, n.Dev)
		if !sk.validOrNonlocal(a, typ) {
			return errno.EADDRNOTAVAIL
		}
		n.RcvAddr, n.Src = a, a
		if typ == rtnMulticast || typ == rtnBroadcast {
			n.Src = netip.Addr{}
		}
		sk.SetAddrs(n)
		return 0
	}
	if len(addr) < 24 {
		return errno.EINVAL
	}
	if abi.Family(addr) != abi.AF_INET6 {
		return errno.EINVAL
	}
	ap, scope := Sockaddr6(addr)
	a := ap.Addr()
	if a.Is4In6() {
		return errno.EADDRNOTAVAIL
	}
	sk.Mu.Lock()
	defer sk.Mu.Unlock()
	if sk.State() != StateClose {
		return errno.EINVAL
	}
	n := *sk.Addrs()
	if !a.IsUnspecified() {
		if needsScope(a) {
			if scope != 0 {
				n.Dev = int(scope)
			}
			if n.Dev == 0 {
				return errno.EINVAL
			}
		}
		if n.Dev != 0 && sk.NS().Interface(n.Dev) == nil {
			return errno.ENODEV
		}
		if !a.IsMulticast() && !sk.canNonlocal(true) && !IsLocal6(sk.NS(), a, devIfScoped(a, n.Dev)) {
			return errno.EADDRNOTAVAIL
		}
	}
	n.RcvAddr = a
	if !a.IsMulticast() {
		n.Src = a
	}
	if n.Dev != sk.Addrs().Dev {
		sk.S.SetBoundDevice(n.Dev)
	}
	sk.SetAddrs(n)
	return 0
}
