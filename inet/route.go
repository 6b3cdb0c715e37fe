package inet

import (
	"errors"
	"net/netip"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/ipv4"
	"github.com/gosock/gosock/ipv6"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/pktbuf"
)

// Flow is an output decision for one datagram: the route and the header
// values (Linux's flowi with the ipcm cookie). Addresses are wire
// addresses; V6 says the packet is IPv6 (a v6 socket sending to a
// v4-mapped address sends IPv4).
type Flow struct {
	V6       bool
	Src, Dst netip.Addr
	Route    netns.RouteResult
	TTL      uint8 // 0: the default
	TOS      uint8
	DF       bool // don't fragment (IP_PMTUDISC_DO/PROBE, IPV6_DONTFRAG)
	// MTU is the size a datagram must fit when DF is set, else 0.
	MTU int
	// Broadcast and Multicast describe the destination.
	Broadcast, Multicast bool
}

// errnoOf converts a netns error.
func errnoOf(err error) errno.Errno {
	var e errno.Errno
	if errors.As(err, &e) {
		return e
	}
	return errno.EINVAL
}

// RouteOutput decides how a datagram to dst (a wire address, with the
// scope id of a sockaddr_in6) leaves, from the socket's options and the
// send's ancillary data: ip_route_output_flow with udp_sendmsg's and
// udpv6_sendmsg's choice of interface, source, TTL and TOS. A broadcast
// destination needs SO_BROADCAST (EACCES); no route is ENETUNREACH,
// counted OutNoRoutes. Called with Mu held.
func (sk *Sock) RouteOutput(dst netip.Addr, scope uint32, c *SendControl) (Flow, errno.Errno) {
	o := &sk.opts
	a := *sk.Addrs()
	ns := sk.NS()
	f := Flow{V6: dst.Is6(), Dst: dst}
	src := Wire(a.Src)
	if !isSet(src) || src.Is6() != f.V6 {
		src = netip.Addr{}
	}
	oif := a.Dev
	if c != nil && c.IfIndex != 0 {
		oif = c.IfIndex
	}
	if c != nil && c.Src.IsValid() && !c.Src.IsUnspecified() {
		src = c.Src
	}
	if !f.V6 {
		f.TOS = uint8(o.tos)
		if c != nil && c.TOS >= 0 {
			f.TOS = uint8(c.TOS)
		}
		if dst.IsUnspecified() {
			// Linux routes INADDR_ANY to the local host.
			dst = netip.AddrFrom4([4]byte{127, 0, 0, 1})
			if src.IsValid() {
				dst = src
			}
			f.Dst = dst
		}
		switch {
		case dst.IsMulticast():
			if oif == 0 {
				oif = o.mcIndex
			}
			if !src.IsValid() && o.mcAddr.IsValid() {
				src = o.mcAddr
			}
			f.TTL = uint8(o.mcTTL)
			f.Multicast = true
		case oif == 0:
			oif = o.ucIndex
		}
		if !dst.IsMulticast() && o.ttl > 0 {
			f.TTL = uint8(o.ttl)
		}
		if c != nil && c.TTL > 0 {
			f.TTL = uint8(c.TTL)
		}
	} else {
		f.TOS = uint8(o.tclass)
		if c != nil && c.TClass >= 0 {
			f.TOS = uint8(c.TClass)
		}
		if dst.IsUnspecified() {
			dst = netip.IPv6Loopback()
			f.Dst = dst
		}
		if needsScope(dst) && scope != 0 {
			if oif != 0 && a.Dev != 0 && int(scope) != a.Dev {
				return f, errno.EINVAL
			}
			oif = int(scope)
		}
		if dst.IsMulticast() {
			if oif == 0 {
				oif = o.mcOIF6
			}
			f.TTL = uint8(o.mcHops)
			f.Multicast = true
		} else {
			if oif == 0 {
				oif = o.ucIndex6
			}
			if o.hops >= 0 {
				f.TTL = uint8(o.hops)
			}
		}
		if c != nil && c.HopLimit >= 0 {
			f.TTL = uint8(c.HopLimit)
		}
		if f.TTL == 0 && !dst.IsMulticast() && o.hops < 0 {
			f.TTL = 0
		}
	}
	rt, err := ns.Lookup(dst, netns.LookupFlags{OIF: oif, Src: src})
	if err != nil {
		e := errnoOf(err)
		if e == errno.ENETUNREACH {
			if f.V6 {
				ns.MIB.Inc(netns.IP6OutNoRoutes)
			} else {
				ns.MIB.Inc(netns.IPOutNoRoutes)
			}
		}
		return f, e
	}
	f.Route = rt
	f.Src = rt.Src
	if src.IsValid() {
		f.Src = src
	}
	if !f.V6 && (rt.Broadcast || dst == limitedBroadcast || rt.Iface != nil && rt.Iface.IsBroadcast4(dst)) {
		f.Broadcast = true
		if !sk.S.Flag(abi.SO_BROADCAST) {
			return f, errno.EACCES
		}
	}
	if f.V6 {
		d := sk.pmtuDisc6.Load()
		f.DF = d == abi.IPV6_PMTUDISC_DO || d == abi.IPV6_PMTUDISC_PROBE || o.dontFrag6
		if c != nil && c.DontFrag >= 0 {
			f.DF = c.DontFrag == 1
		}
		if f.DF {
			f.MTU = rt.MTU
			if d != abi.IPV6_PMTUDISC_PROBE {
				if p := ipv6.Of(ns); p != nil {
					if pm := p.PathMTU(dst); pm != 0 && pm < f.MTU {
						f.MTU = pm
					}
				}
			}
		}
	} else {
		d := sk.pmtuDisc.Load()
		f.DF = d == abi.IP_PMTUDISC_DO || d == abi.IP_PMTUDISC_PROBE
		if f.DF {
			f.MTU = rt.MTU
			if d == abi.IP_PMTUDISC_DO {
				if p := ipv4.Of(ns); p != nil {
					if pm := p.PathMTU(dst); pm != 0 && pm < f.MTU {
						f.MTU = pm
					}
				}
			}
		}
	}
	return f, 0
}

// HeaderLen returns the network header length of the flow's packets.
func (f *Flow) HeaderLen() int {
	if f.V6 {
		return 40
	}
	return 20
}

// Output sends a transport segment (header at pkt's front) along the
// flow with IP protocol proto, taking the reference to pkt. Path MTU
// discovery's DF is set as __ip_make_skb sets it: always with
// IP_PMTUDISC_DO/PROBE, and with WANT when the packet fits the route.
func (sk *Sock) Output(f *Flow, proto uint8, pkt *pktbuf.Buffer) errno.Errno {
	ns := sk.NS()
	var err error
	if f.V6 {
		p := ipv6.Of(ns)
		if p == nil {
			pkt.Release()
			return errno.EAFNOSUPPORT
		}
		err = p.Output(&f.Route, &ipv6.Header{Src: f.Src, Dst: f.Dst, NextHeader: proto, HopLimit: f.TTL,
			TrafficClass: f.TOS, DontFragment: f.DF}, pkt)
	} else {
		p := ipv4.Of(ns)
		if p == nil {
			pkt.Release()
			return errno.EAFNOSUPPORT
		}
		df := f.DF
		if !df && sk.pmtuDisc.Load() == abi.IP_PMTUDISC_WANT && pkt.Len()+20 <= f.Route.MTU && !f.Route.Local {
			df = true
		}
		var id uint16
		if df {
			id = uint16(ns.Rand())
		}
		err = p.Output(&f.Route, &ipv4.Header{Src: f.Src, Dst: f.Dst, Protocol: proto, TTL: f.TTL, TOS: f.TOS,
			DontFragment: df, ID: id}, pkt)
	}
	if err != nil {
		return errnoOf(err)
	}
	return 0
}

// pathMTU is IP_MTU / IPV6_MTU of a connected socket: the MTU of the
// route to the peer, lowered by what path MTU discovery learned.
func (sk *Sock) pathMTU() (int, errno.Errno) {
	a := sk.Addrs()
	dst := Wire(a.Dst)
	ns := sk.NS()
	rt, err := ns.Lookup(dst, netns.LookupFlags{OIF: a.Dev})
	if err != nil {
		return 0, errnoOf(err)
	}
	mtu := rt.MTU
	if dst.Is4() {
		if p := ipv4.Of(ns); p != nil {
			if pm := p.PathMTU(dst); pm != 0 && pm < mtu {
				mtu = pm
			}
		}
	} else if p := ipv6.Of(ns); p != nil {
		if pm := p.PathMTU(dst); pm != 0 && pm < mtu {
			mtu = pm
		}
	}
	return mtu, 0
}

// DatagramConnect is ip4_datagram_connect / ip6_datagram_connect: it
// routes to the peer, fills in the source address if unset, records the
// peer and moves to StateEstablished. Called with Mu held (from
// ProtoSock.Connect).
func (sk *Sock) DatagramConnect(addr []byte) errno.Errno {
	fam := abi.Family(addr)
	if !sk.V6 || fam == abi.AF_INET {
		if sk.V6 && sk.Addrs().V6Only {
			return errno.EAFNOSUPPORT
		}
		if len(addr) < abi.SizeofSockaddrInet4 {
			return errno.EINVAL
		}
		if fam != abi.AF_INET {
			return errno.EAFNOSUPPORT
		}
		return sk.connect4(Sockaddr4(addr))
	}
	if len(addr) < 24 {
		return errno.EINVAL
	}
	if fam != abi.AF_INET6 {
		return errno.EAFNOSUPPORT
	}
	ap, scope := Sockaddr6(addr)
	d := ap.Addr()
	a := *sk.Addrs()
	if d.IsUnspecified() {
		if a.RcvAddr.Is4In6() {
			d = netip.AddrFrom16(netip.AddrFrom4([4]byte{127, 0, 0, 1}).As16())
		} else {
			d = netip.IPv6Loopback()
		}
	}
	if d.Is4In6() {
		if a.V6Only {
			return errno.ENETUNREACH
		}
		return sk.connect4(netip.AddrPortFrom(d.Unmap(), ap.Port()))
	}
	dev := a.Dev
	if needsScope(d) {
		if scope != 0 {
			if dev != 0 && int(scope) != dev {
				return errno.EINVAL
			}
			dev = int(scope)
		}
		if dev == 0 && d.IsMulticast() {
			dev = sk.opts.mcOIF6
		}
		if dev == 0 {
			return errno.EINVAL
		}
	}
	src := a.Src
	if !isSet(src) || src.Is4In6() {
		src = netip.Addr{}
	}
	rt, err := sk.NS().Lookup(d, netns.LookupFlags{OIF: dev, Src: src})
	if err != nil {
		e := errnoOf(err)
		if e == errno.ENETUNREACH {
			sk.NS().MIB.Inc(netns.IP6OutNoRoutes)
		}
		return e
	}
	if !isSet(a.Src) || a.Src.Is4In6() {
		a.Src = rt.Src
	}
	if !isSet(a.RcvAddr) || a.RcvAddr.Is4In6() {
		a.RcvAddr = rt.Src
	}
	a.Dst, a.DstPort = d, ap.Port()
	if dev != a.Dev {
		sk.setBoundDevice(&a, dev)
	}
	sk.SetAddrs(a)
	sk.SetState(StateEstablished)
	return 0
}

// connect4 is __ip4_datagram_connect (for a v6 socket, with the
// addresses kept v4-mapped).
func (sk *Sock) connect4(ap netip.AddrPort) errno.Errno {
	a := *sk.Addrs()
	ns := sk.NS()
	d := ap.Addr()
	oif := a.Dev
	src := Wire(a.Src)
	if !isSet(src) || !src.Is4() {
		src = netip.Addr{}
	}
	if d.IsMulticast() {
		if oif == 0 {
			oif = sk.opts.mcIndex
		}
		if !src.IsValid() && sk.opts.mcAddr.IsValid() {
			src = sk.opts.mcAddr
		}
	} else if oif == 0 {
		oif = sk.opts.ucIndex
	}
	if d.IsUnspecified() {
		d = netip.AddrFrom4([4]byte{127, 0, 0, 1})
		if src.IsValid() {
			d = src
		}
	}
	rt, err := ns.Lookup(d, netns.LookupFlags{OIF: oif, Src: src})
	if err != nil {
		e := errnoOf(err)
		if e == errno.ENETUNREACH {
			ns.MIB.Inc(netns.IPOutNoRoutes)
		}
		return e
	}
	bcast := rt.Broadcast || d == limitedBroadcast || rt.Iface != nil && rt.Iface.IsBroadcast4(d)
	if bcast && !sk.S.Flag(abi.SO_BROADCAST) {
		return errno.EACCES
	}
	s := rt.Src
	if src.IsValid() {
		s = src
	}
	if !isSet(Wire(a.Src)) {
		a.Src = sk.ForFamily(s)
	}
	if !isSet(Wire(a.RcvAddr)) {
		a.RcvAddr = sk.ForFamily(s)
	}
	a.Dst, a.DstPort = sk.ForFamily(d), ap.Port()
	sk.SetAddrs(a)
	sk.SetState(StateEstablished)
	return 0
}

// DatagramDisconnect is __udp_disconnect (and raw's and ping's): back to
// StateClose, forgetting the peer, the source address unless bound
// explicitly, the port unless bound explicitly (unhash is called for
// that), and the bound device unless set with SO_BINDTODEVICE.
func (sk *Sock) DatagramDisconnect(unhash func()) {
	sk.SetState(StateClose)
	a := *sk.Addrs()
	a.Dst, a.DstPort = netip.Addr{}, 0
	if sk.userLocks&bindAddrLock == 0 {
		a.RcvAddr, a.Src = netip.Addr{}, netip.Addr{}
	}
	sk.SetAddrs(a)
	if sk.userLocks&bindPortLock == 0 && unhash != nil {
		unhash()
	}
}
