package inet

import (
	"encoding/binary"
	"net/netip"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/socket"
)

// ipOpts are the IP-level option values of a socket (the option fields
// of inet_sock and ipv6_pinfo), guarded by Sock.Mu.
type ipOpts struct {
	tos         int // IP_TOS
	ttl         int // IP_TTL, -1: net.ipv4.ip_default_ttl
	mcTTL       int // IP_MULTICAST_TTL
	mcIndex     int // IP_MULTICAST_IF
	mcAddr      netip.Addr
	ucIndex     int // IP_UNICAST_IF
	minTTL      int
	hdrincl     bool
	freebind    bool
	transparent bool
	bindNoPort  bool
	recvErr6    bool // IPv6, with the small fields for alignment
	dontFrag6   bool // IPv6, with the small fields for alignment
	// flags are the plain SOL_IP flags set (IP_PKTINFO, IP_RECVTTL …),
	// flags6 the plain SOL_IPV6 ones; nil until one is set, since most
	// sockets never set any and an empty map costs an allocation each.
	flags     map[int]bool
	options   []byte // IP_OPTIONS as set (not sent: see the package doc)
	portRange uint32 // IP_LOCAL_PORT_RANGE
	mcGroups  int

	// IPv6.
	hops     int // IPV6_UNICAST_HOPS, -1: the route's (hop_limit)
	mcHops   int // IPV6_MULTICAST_HOPS
	mcOIF6   int // IPV6_MULTICAST_IF
	ucIndex6 int
	tclass   int
	mtu6     int // IPV6_MTU (frag_size)
	minHops  int
	flags6   map[int]bool
	prefs6   int
}

func (o *ipOpts) init(ns *netns.Namespace, v6 bool) {
	o.ttl, o.mcTTL, o.hops, o.mcHops = -1, 1, -1, 1
}

// setFlag records a plain flag in *m (flags or flags6), making the map
// on the first flag turned on.
func setFlag(m *map[int]bool, name int, on bool) {
	if *m == nil {
		if !on {
			return
		}
		*m = make(map[int]bool)
	}
	(*m)[name] = on
}

// ipBoolOpts are SOL_IP options that are plain flags.
var ipBoolOpts = map[int]bool{
	abi.IP_PKTINFO: true, abi.IP_RECVTTL: true, abi.IP_RECVTOS: true, abi.IP_RECVOPTS: true,
	abi.IP_RETOPTS: true, abi.IP_PASSSEC: true, abi.IP_RECVORIGDSTADDR: true, abi.IP_CHECKSUM: true,
	abi.IP_RECVFRAGSIZE: true, abi.IP_RECVERR_RFC4884: true, abi.IP_NODEFRAG: true, abi.IP_ROUTER_ALERT: true,
}

// ipIntOpts are the options do_ip_setsockopt reads as an int (or a byte).
var ipIntOpts = map[int]bool{
	abi.IP_PKTINFO: true, abi.IP_RECVTTL: true, abi.IP_RECVOPTS: true, abi.IP_RECVTOS: true,
	abi.IP_RETOPTS: true, abi.IP_TOS: true, abi.IP_TTL: true, abi.IP_HDRINCL: true,
	abi.IP_MTU_DISCOVER: true, abi.IP_RECVERR: true, abi.IP_ROUTER_ALERT: true, abi.IP_FREEBIND: true,
	abi.IP_PASSSEC: true, abi.IP_TRANSPARENT: true, abi.IP_MINTTL: true, abi.IP_NODEFRAG: true,
	abi.IP_BIND_ADDRESS_NO_PORT: true, abi.IP_UNICAST_IF: true, abi.IP_MULTICAST_TTL: true,
	abi.IP_MULTICAST_ALL: true, abi.IP_MULTICAST_LOOP: true, abi.IP_RECVORIGDSTADDR: true,
	abi.IP_CHECKSUM: true, abi.IP_RECVFRAGSIZE: true, abi.IP_RECVERR_RFC4884: true,
	abi.IP_LOCAL_PORT_RANGE: true,
}

// netfilterGet and netfilterSet are the SOL_IP option numbers Linux's
// netfilter registers (ip_tables 64-67, ipset 83, arp_tables 96-99):
// with no valid request behind them they answer EINVAL, not ENOPROTOOPT.
var (
	netfilterGet = map[int]bool{64: true, 65: true, 66: true, 67: true, 83: true, 96: true, 97: true, 98: true, 99: true}
	netfilterSet = map[int]bool{64: true, 65: true, 96: true, 97: true}
)

// isMroute reports the multicast-routing options (MRT_*), which answer
// EOPNOTSUPP on a socket that is not a multicast router.
func isMroute(name int) bool { return name >= 200 && name <= 212 }

func intVal(val []byte) int {
	switch {
	case len(val) >= 4:
		return int(int32(binary.LittleEndian.Uint32(val)))
	case len(val) >= 1:
		return int(val[0])
	}
	return 0
}

// setIPOption is do_ip_setsockopt.
func (sk *Sock) setIPOption(name int, val []byte) errno.Errno {
	v := 0
	if ipIntOpts[name] {
		v = intVal(val) // optlen 0 is the same as 0
	}
	on := v != 0
	sk.Mu.Lock()
	defer sk.Mu.Unlock()
	o := &sk.opts
	switch name {
	case abi.IP_TOS:
		if sk.Type() == abi.SOCK_STREAM {
			v = v&^3 | o.tos&3
		}
		o.tos = v & 0xff
	case abi.IP_TTL:
		if len(val) < 1 || v != -1 && (v < 1 || v > 255) {
			return errno.EINVAL
		}
		o.ttl = v
	case abi.IP_HDRINCL:
		if sk.Type() != abi.SOCK_RAW {
			return errno.ENOPROTOOPT
		}
		o.hdrincl = on
	case abi.IP_NODEFRAG:
		if sk.Type() != abi.SOCK_RAW {
			return errno.ENOPROTOOPT
		}
		setFlag(&o.flags, name, on)
	case abi.IP_ROUTER_ALERT:
		if sk.Type() != abi.SOCK_RAW || sk.Num == abi.IPPROTO_RAW {
			return errno.EINVAL
		}
		setFlag(&o.flags, name, on)
	case abi.IP_OPTIONS:
		if len(val) > 40 {
			return errno.EINVAL
		}
		o.options = append([]byte(nil), val...)
	case abi.IP_MTU_DISCOVER:
		if v < abi.IP_PMTUDISC_DONT || v > abi.IP_PMTUDISC_OMIT {
			return errno.EINVAL
		}
		sk.pmtuDisc.Store(int32(v))
	case abi.IP_RECVERR:
		sk.recvErr.Store(on)
		if !on {
			sk.errq.purge()
		}
	case abi.IP_RECVERR_RFC4884:
		if v != 0 && v != 1 {
			return errno.EINVAL
		}
		setFlag(&o.flags, name, on)
	case abi.IP_FREEBIND:
		o.freebind = on
	case abi.IP_TRANSPARENT:
		if on && !sk.S.Creds.Has(socket.CapNetRaw) && !sk.S.Creds.Has(socket.CapNetAdmin) {
			return errno.EPERM
		}
		o.transparent = on
		sk.transparent.Store(on)
	case abi.IP_BIND_ADDRESS_NO_PORT:
		o.bindNoPort = on
	case abi.IP_MINTTL:
		if len(val) < 1 || v < 0 || v > 255 {
			return errno.EINVAL
		}
		o.minTTL = v
	case abi.IP_MULTICAST_TTL:
		if sk.Type() == abi.SOCK_STREAM || len(val) < 1 {
			return errno.EINVAL
		}
		if v == -1 {
			v = 1
		}
		if v < 0 || v > 255 {
			return errno.EINVAL
		}
		o.mcTTL = v
	case abi.IP_MULTICAST_LOOP:
		sk.mcLoop.Store(on)
	case abi.IP_MULTICAST_ALL:
		if v != 0 && v != 1 {
			return errno.EINVAL
		}
		sk.mcAll.Store(on)
	case abi.IP_UNICAST_IF:
		if sk.Type() == abi.SOCK_STREAM || len(val) < 4 {
			return errno.EINVAL
		}
		idx := int(int32(binary.BigEndian.Uint32(val)))
		if idx != 0 && sk.NS().Interface(idx) == nil {
			return errno.EADDRNOTAVAIL
		}
		if a := sk.Addrs(); a.Dev != 0 && idx != 0 && idx != a.Dev {
			return errno.EINVAL
		}
		o.ucIndex = idx
	case abi.IP_LOCAL_PORT_RANGE:
		if len(val) < 4 {
			return errno.EINVAL
		}
		o.portRange = uint32(v)
	case abi.IP_MULTICAST_IF:
		return sk.setMulticastIf(val)
	case abi.IP_ADD_MEMBERSHIP, abi.IP_DROP_MEMBERSHIP:
		if sk.sw.Flags&ProtoswICSK != 0 {
			return errno.EPROTO
		}
		if len(val) < 8 {
			return errno.EINVAL
		}
		var r mreqn
		r.group = netip.AddrFrom4([4]byte(val[0:4]))
		r.addr = netip.AddrFrom4([4]byte(val[4:8]))
		if len(val) >= 12 {
			r.ifindex = int(int32(binary.LittleEndian.Uint32(val[8:])))
		}
		if name == abi.IP_ADD_MEMBERSHIP {
			return sk.join4(r)
		}
		return sk.leave4(r)
	case abi.MCAST_JOIN_GROUP, abi.MCAST_LEAVE_GROUP:
		if sk.sw.Flags&ProtoswICSK != 0 {
			return errno.EPROTO
		}
		idx, g, e := groupReq(val)
		if e != 0 {
			return e
		}
		if !g.Is4() {
			return errno.EINVAL
		}
		r := mreqn{group: g, ifindex: idx, addr: netip.IPv4Unspecified()}
		if name == abi.MCAST_JOIN_GROUP {
			return sk.join4(r)
		}
		return sk.leave4(r)
	case abi.IP_IPSEC_POLICY:
		return errno.EOPNOTSUPP
	case abi.IP_XFRM_POLICY:
		return errno.EINVAL
	case abi.IP_UNBLOCK_SOURCE, abi.IP_BLOCK_SOURCE, abi.IP_ADD_SOURCE_MEMBERSHIP,
		abi.IP_DROP_SOURCE_MEMBERSHIP, abi.IP_MSFILTER, abi.MCAST_BLOCK_SOURCE,
		abi.MCAST_UNBLOCK_SOURCE, abi.MCAST_JOIN_SOURCE_GROUP, abi.MCAST_LEAVE_SOURCE_GROUP, abi.MCAST_MSFILTER:
		// Source-specific multicast is not implemented; Linux rejects
		// these shorter than their structures with EINVAL too.
		return errno.EINVAL
	default:
		if ipBoolOpts[name] {
			setFlag(&o.flags, name, on)
			return 0
		}
		if netfilterSet[name] {
			return errno.EINVAL
		}
		if isMroute(name) {
			return errno.EOPNOTSUPP
		}
		return errno.ENOPROTOOPT
	}
	return 0
}

// groupReq parses a struct group_req (ifindex, then a sockaddr_storage
// at offset 8).
func groupReq(val []byte) (int, netip.Addr, errno.Errno) {
	if len(val) < 8+abi.SizeofSockaddrStorage {
		return 0, netip.Addr{}, errno.EINVAL
	}
	idx := int(binary.LittleEndian.Uint32(val))
	sa := val[8:]
	switch abi.Family(sa) {
	case abi.AF_INET:
		return idx, Sockaddr4(sa).Addr(), 0
	case abi.AF_INET6:
		ap, _ := Sockaddr6(sa)
		return idx, ap.Addr(), 0
	}
	return 0, netip.Addr{}, errno.EINVAL
}

func (sk *Sock) setMulticastIf(val []byte) errno.Errno {
	if sk.Type() == abi.SOCK_STREAM || len(val) < 4 {
		return errno.EINVAL
	}
	var addr netip.Addr
	idx := 0
	switch {
	case len(val) >= 12:
		addr = netip.AddrFrom4([4]byte(val[4:8]))
		idx = int(int32(binary.LittleEndian.Uint32(val[8:])))
	case len(val) >= 8:
		addr = netip.AddrFrom4([4]byte(val[4:8]))
	default:
		addr = netip.AddrFrom4([4]byte(val[0:4]))
	}
	ns := sk.NS()
	if idx == 0 {
		if addr.IsUnspecified() {
			sk.opts.mcIndex, sk.opts.mcAddr = 0, netip.Addr{}
			return 0
		}
		if ifc := ifaceWithAddr(ns, addr); ifc != nil {
			idx = ifc.Index()
		}
	}
	if idx == 0 || ns.Interface(idx) == nil {
		return errno.EADDRNOTAVAIL
	}
	if d := sk.Addrs().Dev; d != 0 && d != idx {
		return errno.EINVAL
	}
	sk.opts.mcIndex = idx
	sk.opts.mcAddr = addr
	if addr.IsUnspecified() {
		sk.opts.mcAddr = netip.Addr{}
	}
	return 0
}

func ifaceWithAddr(ns *netns.Namespace, a netip.Addr) *netns.Interface {
	for _, ifc := range ns.Interfaces() {
		if ifc.HasAddress(a) {
			return ifc
		}
	}
	return nil
}

// putInt writes an int option value as do_ip_getsockopt does: a buffer
// shorter than an int gets one byte when the value fits in one.
func putInt(buf []byte, v int, byteOK bool) int {
	if len(buf) == 0 {
		return 0
	}
	if byteOK && len(buf) < 4 && v >= 0 && v <= 255 {
		buf[0] = byte(v)
		return 1
	}
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], uint32(int32(v)))
	return copy(buf, b[:])
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// getIPOption is do_ip_getsockopt.
func (sk *Sock) getIPOption(name int, buf []byte) (int, errno.Errno) {
	sk.Mu.Lock()
	defer sk.Mu.Unlock()
	o := &sk.opts
	v := 0
	switch name {
	case abi.IP_TOS:
		v = o.tos
	case abi.IP_TTL:
		v = o.ttl
		if v < 0 {
			v = int(sk.NS().Sysctl.Int(netns.IPDefaultTTL))
		}
	case abi.IP_HDRINCL:
		v = b2i(o.hdrincl)
	case abi.IP_OPTIONS:
		return copy(buf, o.options), 0
	case abi.IP_MTU_DISCOVER:
		v = int(sk.pmtuDisc.Load())
	case abi.IP_MTU:
		if sk.State() != StateEstablished {
			return 0, errno.ENOTCONN
		}
		mtu, e := sk.pathMTU()
		if e != 0 {
			return 0, e
		}
		v = min(mtu, 0xffff) // IP_MAX_MTU
	case abi.IP_RECVERR:
		v = b2i(sk.recvErr.Load())
	case abi.IP_FREEBIND:
		v = b2i(o.freebind)
	case abi.IP_TRANSPARENT:
		v = b2i(o.transparent)
	case abi.IP_BIND_ADDRESS_NO_PORT:
		v = b2i(o.bindNoPort)
	case abi.IP_MINTTL:
		v = o.minTTL
	case abi.IP_MULTICAST_TTL:
		v = o.mcTTL
	case abi.IP_MULTICAST_LOOP:
		v = b2i(sk.mcLoop.Load())
	case abi.IP_MULTICAST_ALL:
		v = b2i(sk.mcAll.Load())
	case abi.IP_UNICAST_IF:
		v = o.ucIndex
	case abi.IP_LOCAL_PORT_RANGE:
		v = int(o.portRange)
	case abi.IP_PROTOCOL:
		v = sk.Protocol()
	case abi.IP_MULTICAST_IF:
		a := o.mcAddr
		if !a.IsValid() {
			a = netip.IPv4Unspecified()
		}
		b := a.As4()
		return copy(buf, b[:]), 0
	case abi.IP_MSFILTER, abi.MCAST_MSFILTER:
		return 0, errno.EINVAL
	default:
		if ipBoolOpts[name] {
			v = b2i(o.flags[name])
			break
		}
		if netfilterGet[name] {
			return 0, errno.EINVAL
		}
		if isMroute(name) {
			return 0, errno.EOPNOTSUPP
		}
		return 0, errno.ENOPROTOOPT
	}
	return putInt(buf, v, true), 0
}

// ipv6BoolOpts are SOL_IPV6 options that are plain flags.
var ipv6BoolOpts = map[int]bool{
	abi.IPV6_2292PKTINFO: true, abi.IPV6_2292HOPOPTS: true, abi.IPV6_2292DSTOPTS: true,
	abi.IPV6_2292RTHDR: true, abi.IPV6_2292HOPLIMIT: true, abi.IPV6_RECVPKTINFO: true,
	abi.IPV6_RECVHOPLIMIT: true, abi.IPV6_RECVHOPOPTS: true, abi.IPV6_RECVRTHDR: true,
	abi.IPV6_RECVDSTOPTS: true, abi.IPV6_RECVPATHMTU: true, abi.IPV6_RECVTCLASS: true,
	abi.IPV6_AUTOFLOWLABEL: true, abi.IPV6_RECVORIGDSTADDR: true, abi.IPV6_RECVFRAGSIZE: true,
	abi.IPV6_MULTICAST_ALL: true, abi.IPV6_ROUTER_ALERT_ISOLATE: true, abi.IPV6_RECVERR_RFC4884: true,
	33: true, // IPV6_FLOWINFO_SEND
}

// setIPv6Option is do_ipv6_setsockopt; SOL_IP options of an AF_INET6
// socket go to setIPOption as Linux passes them to ip_setsockopt.
func (sk *Sock) setIPv6Option(name int, val []byte) errno.Errno {
	v := 0
	if len(val) >= 4 {
		v = int(int32(binary.LittleEndian.Uint32(val)))
	}
	on := v != 0
	short := len(val) < 4
	sk.Mu.Lock()
	defer sk.Mu.Unlock()
	o := &sk.opts
	switch name {
	case abi.IPV6_V6ONLY:
		if short || sk.Num != 0 {
			return errno.EINVAL
		}
		a := *sk.Addrs()
		a.V6Only = on
		sk.SetAddrs(a)
	case abi.IPV6_UNICAST_HOPS:
		if short || v > 255 || v < -1 {
			return errno.EINVAL
		}
		o.hops = v
	case abi.IPV6_MULTICAST_HOPS:
		if sk.Type() == abi.SOCK_STREAM {
			return errno.ENOPROTOOPT
		}
		if short || v > 255 || v < -1 {
			return errno.EINVAL
		}
		if v == -1 {
			v = 1
		}
		o.mcHops = v
	case abi.IPV6_MULTICAST_LOOP:
		if short || v > 1 || v < -1 {
			return errno.EINVAL
		}
		sk.mcLoop6.Store(on)
	case abi.IPV6_MULTICAST_IF:
		if sk.Type() == abi.SOCK_STREAM {
			return errno.ENOPROTOOPT
		}
		if short {
			return errno.EINVAL
		}
		if v != 0 {
			if sk.NS().Interface(v) == nil {
				return errno.ENODEV
			}
			if d := sk.Addrs().Dev; d != 0 && d != v {
				return errno.EINVAL
			}
		}
		o.mcOIF6 = v
	case abi.IPV6_UNICAST_IF:
		if short {
			return errno.EINVAL
		}
		idx := int(int32(binary.BigEndian.Uint32(val)))
		if idx != 0 && sk.NS().Interface(idx) == nil {
			return errno.EADDRNOTAVAIL
		}
		o.ucIndex6 = idx
	case abi.IPV6_TCLASS:
		if short || v < -1 || v > 0xff {
			return errno.EINVAL
		}
		if v == -1 {
			v = 0
		}
		o.tclass = v
	case abi.IPV6_MTU_DISCOVER:
		if short || v < abi.IPV6_PMTUDISC_DONT || v > abi.IPV6_PMTUDISC_OMIT {
			return errno.EINVAL
		}
		sk.pmtuDisc6.Store(int32(v))
	case abi.IPV6_MTU:
		if short || v != 0 && v < 1280 {
			return errno.EINVAL
		}
		o.mtu6 = v
	case abi.IPV6_RECVERR:
		if short {
			return errno.EINVAL
		}
		o.recvErr6 = on
		sk.recvErr.Store(on)
		if !on {
			sk.errq.purge()
		}
	case abi.IPV6_DONTFRAG:
		if short {
			return errno.EINVAL
		}
		o.dontFrag6 = on
	case abi.IPV6_MINHOPCOUNT:
		if short || v < 0 || v > 255 {
			return errno.EINVAL
		}
		o.minHops = v
	case abi.IPV6_FREEBIND:
		if short {
			return errno.EINVAL
		}
		o.freebind = on
	case abi.IPV6_TRANSPARENT:
		if short {
			return errno.EINVAL
		}
		if on && !sk.S.Creds.Has(socket.CapNetRaw) && !sk.S.Creds.Has(socket.CapNetAdmin) {
			return errno.EPERM
		}
		o.transparent = on
		sk.transparent.Store(on)
	case abi.IPV6_ADDR_PREFERENCES:
		if short {
			return errno.EINVAL
		}
		o.prefs6 = v
	case abi.IPV6_JOIN_GROUP, abi.IPV6_LEAVE_GROUP:
		if sk.sw.Flags&ProtoswICSK != 0 {
			return errno.EPROTO
		}
		if len(val) < 20 {
			return errno.EINVAL
		}
		g := netip.AddrFrom16([16]byte(val[0:16]))
		idx := int(int32(binary.LittleEndian.Uint32(val[16:])))
		if name == abi.IPV6_JOIN_GROUP {
			return sk.join6(g, idx)
		}
		return sk.leave6(g, idx)
	case abi.MCAST_JOIN_GROUP, abi.MCAST_LEAVE_GROUP:
		idx, g, e := groupReq(val)
		if e != 0 {
			return e
		}
		if g.Is4() {
			r := mreqn{group: g, ifindex: idx, addr: netip.IPv4Unspecified()}
			if name == abi.MCAST_JOIN_GROUP {
				return sk.join4(r)
			}
			return sk.leave4(r)
		}
		if name == abi.MCAST_JOIN_GROUP {
			return sk.join6(g, idx)
		}
		return sk.leave6(g, idx)
	case abi.IPV6_ADDRFORM, abi.IPV6_JOIN_ANYCAST, abi.IPV6_LEAVE_ANYCAST, 32, 35,
		abi.IPV6_PKTINFO, abi.IPV6_HOPOPTS, abi.IPV6_RTHDRDSTOPTS, abi.IPV6_RTHDR, abi.IPV6_DSTOPTS,
		43, 44, 46, 47, 48, 64, 65:
		// IPV6_ADDRFORM, anycast, flow label manager, sticky options,
		// source filters and netfilter's numbers are not implemented:
		// they answer EINVAL as Linux does for an int-sized value.
		return errno.EINVAL
	case abi.IPV6_IPSEC_POLICY:
		return errno.EOPNOTSUPP
	case abi.IPV6_2292PKTOPTIONS:
		return 0
	default:
		if ipv6BoolOpts[name] {
			if short {
				return errno.EINVAL
			}
			setFlag(&o.flags6, name, on)
			return 0
		}
		return errno.ENOPROTOOPT
	}
	return 0
}

// getIPv6Option is do_ipv6_getsockopt.
func (sk *Sock) getIPv6Option(name int, buf []byte) (int, errno.Errno) {
	sk.Mu.Lock()
	defer sk.Mu.Unlock()
	o := &sk.opts
	v := 0
	switch name {
	case abi.IPV6_V6ONLY:
		v = b2i(sk.Addrs().V6Only)
	case abi.IPV6_UNICAST_HOPS:
		v = o.hops
		if v < 0 {
			v = int(sk.NS().Sysctl.Device("default").Int(netns.Conf6HopLimit))
		}
	case abi.IPV6_MULTICAST_HOPS:
		v = o.mcHops
	case abi.IPV6_MULTICAST_LOOP:
		v = b2i(sk.mcLoop6.Load())
	case abi.IPV6_MULTICAST_IF:
		v = o.mcOIF6
	case abi.IPV6_UNICAST_IF:
		v = o.ucIndex6
	case abi.IPV6_TCLASS:
		v = o.tclass
	case abi.IPV6_MTU_DISCOVER:
		v = int(sk.pmtuDisc6.Load())
	case abi.IPV6_MTU, abi.IPV6_ADDRFORM:
		if sk.State() != StateEstablished {
			return 0, errno.ENOTCONN
		}
		if name == abi.IPV6_ADDRFORM {
			return 0, errno.EINVAL
		}
		mtu, e := sk.pathMTU()
		if e != 0 {
			return 0, e
		}
		v = mtu
	case abi.IPV6_RECVERR:
		v = b2i(o.recvErr6)
	case abi.IPV6_DONTFRAG:
		v = b2i(o.dontFrag6)
	case abi.IPV6_MINHOPCOUNT:
		v = o.minHops
	case abi.IPV6_FREEBIND:
		v = b2i(o.freebind)
	case abi.IPV6_TRANSPARENT:
		v = b2i(o.transparent)
	case abi.IPV6_ADDR_PREFERENCES:
		v = o.prefs6
	case 32, 48, abi.IPV6_PATHMTU, 64, 65, 68, 69:
		return 0, errno.EINVAL
	default:
		if ipv6BoolOpts[name] {
			v = b2i(o.flags6[name])
			break
		}
		return 0, errno.ENOPROTOOPT
	}
	return putInt(buf, v, false), 0
}

// IPFlag reports a SOL_IP flag option (IP_PKTINFO, IP_RECVTTL …).
func (sk *Sock) IPFlag(name int) bool {
	sk.Mu.Lock()
	defer sk.Mu.Unlock()
	return sk.opts.flags[name]
}

// IPv6Flag reports a SOL_IPV6 flag option (IPV6_RECVPKTINFO …).
func (sk *Sock) IPv6Flag(name int) bool {
	sk.Mu.Lock()
	defer sk.Mu.Unlock()
	return sk.opts.flags6[name]
}
