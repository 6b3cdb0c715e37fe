package gonet

import (
	"encoding/binary"
	"net"
	"net/netip"
	"strconv"
	"sync"

	"github.com/gosock/gosock/abi"
	"github.com/gosock/gosock/netns"
)

// proto describes a network name: its family (0 for "tcp" and "udp",
// which take the family of the address), socket type, and whether it is
// IPv4-only or IPv6-only. It stands for the name too (network), so a
// Conn keeps 12 bytes rather than these and a string.
type proto struct {
	family int32
	typ    int32
	v4, v6 bool // "tcp4"/"udp4", "tcp6"/"udp6"
}

// network is the name parseNetwork made p from.
func (p proto) network() string {
	switch {
	case p.family == abi.AF_UNIX && p.typ == abi.SOCK_STREAM:
		return "unix"
	case p.family == abi.AF_UNIX && p.typ == abi.SOCK_DGRAM:
		return "unixgram"
	case p.family == abi.AF_UNIX:
		return "unixpacket"
	case p.typ == abi.SOCK_STREAM && p.v4:
		return "tcp4"
	case p.typ == abi.SOCK_STREAM && p.v6:
		return "tcp6"
	case p.typ == abi.SOCK_STREAM:
		return "tcp"
	case p.v4:
		return "udp4"
	case p.v6:
		return "udp6"
	}
	return "udp"
}

func (p proto) inet() bool   { return p.family != abi.AF_UNIX }
func (p proto) stream() bool { return p.typ == abi.SOCK_STREAM }

// zeroReadIsEOF reports whether a read of nothing means the end of the
// stream (net's ZeroReadIsEOF): every type but datagrams.
func (p proto) zeroReadIsEOF() bool { return p.typ != abi.SOCK_DGRAM }

// parseNetwork maps the net package's network names to socket
// parameters; anything else is a net.UnknownNetworkError.
func parseNetwork(network string) (proto, error) {
	switch network {
	case "tcp":
		return proto{typ: abi.SOCK_STREAM}, nil
	case "tcp4":
		return proto{family: abi.AF_INET, typ: abi.SOCK_STREAM, v4: true}, nil
	case "tcp6":
		return proto{family: abi.AF_INET6, typ: abi.SOCK_STREAM, v6: true}, nil
	case "udp":
		return proto{typ: abi.SOCK_DGRAM}, nil
	case "udp4":
		return proto{family: abi.AF_INET, typ: abi.SOCK_DGRAM, v4: true}, nil
	case "udp6":
		return proto{family: abi.AF_INET6, typ: abi.SOCK_DGRAM, v6: true}, nil
	case "unix":
		return proto{family: abi.AF_UNIX, typ: abi.SOCK_STREAM}, nil
	case "unixgram":
		return proto{family: abi.AF_UNIX, typ: abi.SOCK_DGRAM}, nil
	case "unixpacket":
		return proto{family: abi.AF_UNIX, typ: abi.SOCK_SEQPACKET}, nil
	}
	return proto{}, net.UnknownNetworkError(network)
}

// inetFamily picks the family of an inet socket as net's
// favoriteAddrFamily: the network's own for "tcp4"/"tcp6"; AF_INET6
// dual-stack for a wildcard listener; AF_INET when every address is
// IPv4; AF_INET6 otherwise. ipv6only is the IPV6_V6ONLY value to set.
func inetFamily(p proto, laddr, raddr netip.Addr, listen bool) (family int, ipv6only bool) {
	switch {
	case p.v4:
		return abi.AF_INET, false
	case p.v6:
		return abi.AF_INET6, true
	}
	if listen && (!laddr.IsValid() || laddr.IsUnspecified()) {
		return abi.AF_INET6, false
	}
	if (!laddr.IsValid() || laddr.Unmap().Is4()) && (!raddr.IsValid() || raddr.Unmap().Is4()) {
		return abi.AF_INET, false
	}
	return abi.AF_INET6, false
}

// inetSockaddr marshals ap for a socket of the given family: v4-mapped
// in a sockaddr_in6 for an IPv4 address on an AF_INET6 socket; a zone
// names an interface of ns (or is its index).
func inetSockaddr(ns *netns.Namespace, family int, ap netip.AddrPort) []byte {
	return inetSockaddrInto(make([]byte, abi.SizeofSockaddrStorage), ns, family, ap)
}

// inetSockaddrInto is inetSockaddr marshalling into b, at least
// abi.SizeofSockaddrStorage long, for callers that lend a pooled buffer.
func inetSockaddrInto(b []byte, ns *netns.Namespace, family int, ap netip.AddrPort) []byte {
	a := ap.Addr()
	var sa abi.Sockaddr
	if family == abi.AF_INET6 {
		if a.Is4() && a.IsUnspecified() {
			a = netip.IPv6Unspecified() // net's ipToSockaddrInet6: 0.0.0.0 is ::
		}
		s6 := &abi.SockaddrInet6{Port: int(ap.Port()), Addr: a.As16()}
		if z := a.Zone(); z != "" {
			s6.ZoneId = uint32(zoneIndex(ns, z))
		}
		sa = s6
	} else {
		sa = &abi.SockaddrInet4{Port: int(ap.Port()), Addr: a.Unmap().As4()}
	}
	n, _ := abi.Marshal(sa, b)
	return b[:n]
}

// saBuf is a sockaddr-sized buffer lent to a socket call: the socket
// layer takes address and option bytes through interfaces, so a buffer
// on the caller's stack would escape, one allocation per call on every
// dial, accept and datagram.
type saBuf [abi.SizeofSockaddrStorage]byte

var saPool = sync.Pool{New: func() any { return new(saBuf) }}

func getSABuf() *saBuf  { return saPool.Get().(*saBuf) }
func putSABuf(b *saBuf) { saPool.Put(b) }

func zoneIndex(ns *netns.Namespace, zone string) int {
	if ifc := ns.InterfaceByName(zone); ifc != nil {
		return ifc.Index()
	}
	n, _ := strconv.Atoi(zone)
	return n
}

func zoneName(ns *netns.Namespace, index uint32) string {
	if index == 0 {
		return ""
	}
	if ifc := ns.Interface(int(index)); ifc != nil {
		return ifc.Name()
	}
	return strconv.Itoa(int(index))
}

// unixSockaddr marshals a sockaddr_un; "@name" is abstract, "" unnamed
// (autobind when bound).
func unixSockaddr(name string) ([]byte, error) {
	b := make([]byte, abi.SizeofSockaddrStorage)
	n, e := abi.Marshal(&abi.SockaddrUnix{Name: name}, b)
	if e != 0 {
		return nil, e
	}
	return b[:n], nil
}

// netAddr converts a marshalled sockaddr to the net package's address of
// the network: *net.TCPAddr, *net.UDPAddr or *net.UnixAddr. It returns
// nil when b holds no address (an unnamed AF_UNIX socket gives a
// UnixAddr with an empty Name, as net reports it).
func netAddr(ns *netns.Namespace, network string, p proto, b []byte) net.Addr {
	if a := inetNetAddr(ns, p, b); a != nil {
		return a
	}
	sa, e := abi.Unmarshal(b)
	if e != 0 {
		return nil
	}
	var ip net.IP
	var port int
	var zone string
	switch sa := sa.(type) {
	case *abi.SockaddrInet4:
		ip, port = net.IP(append([]byte(nil), sa.Addr[:]...)), sa.Port
	case *abi.SockaddrInet6:
		ip, port = net.IP(append([]byte(nil), sa.Addr[:]...)), sa.Port
		zone = zoneName(ns, sa.ZoneId)
	case *abi.SockaddrUnix:
		return &net.UnixAddr{Name: sa.Name, Net: network}
	default:
		return nil
	}
	if p.stream() {
		return &net.TCPAddr{IP: ip, Port: port, Zone: zone}
	}
	return &net.UDPAddr{IP: ip, Port: port, Zone: zone}
}

// inetAddrPort decodes an inet sockaddr as a value (its zone an
// interface's name), false for another family.
func inetAddrPort(ns *netns.Namespace, b []byte) (netip.AddrPort, bool) {
	if len(b) < abi.SizeofSockaddrInet4 {
		return netip.AddrPort{}, false
	}
	port := binary.BigEndian.Uint16(b[2:])
	switch abi.Family(b) {
	case abi.AF_INET:
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[4:8])), port), true
	case abi.AF_INET6:
		if len(b) < 24 {
			return netip.AddrPort{}, false
		}
		a := netip.AddrFrom16([16]byte(b[8:24]))
		if len(b) >= abi.SizeofSockaddrInet6 {
			if z := zoneName(ns, binary.LittleEndian.Uint32(b[24:])); z != "" {
				a = a.WithZone(z)
			}
		}
		return netip.AddrPortFrom(a, port), true
	}
	return netip.AddrPort{}, false
}

// inetNetAddrOf makes the net address of ap for the protocol, the
// address and its IP in one allocation.
func inetNetAddrOf(p proto, ap netip.AddrPort) net.Addr {
	a := ap.Addr()
	var b [16]byte
	var ip []byte
	if a.Is4() {
		b4 := a.As4()
		ip = append(b[:0], b4[:]...)
	} else {
		b16 := a.As16()
		ip = append(b[:0], b16[:]...)
	}
	if p.stream() {
		t := new(struct {
			net.TCPAddr
			ip [16]byte
		})
		t.IP = append(t.ip[:0], ip...)
		t.Port, t.Zone = int(ap.Port()), a.Zone()
		return &t.TCPAddr
	}
	u := new(struct {
		net.UDPAddr
		ip [16]byte
	})
	u.IP = append(u.ip[:0], ip...)
	u.Port, u.Zone = int(ap.Port()), a.Zone()
	return &u.UDPAddr
}

// inetNetAddr is netAddr's path for the inet families: it decodes the
// sockaddr in place and makes the address and its IP in one allocation
// (netAddr's general path takes four per address: the decoded sockaddr,
// the IP, the address, and the caller's name buffer). It returns nil for
// anything else.
func inetNetAddr(ns *netns.Namespace, p proto, b []byte) net.Addr {
	if len(b) < abi.SizeofSockaddrInet4 {
		return nil
	}
	port := int(binary.BigEndian.Uint16(b[2:]))
	var ip []byte
	zone := ""
	switch abi.Family(b) {
	case abi.AF_INET:
		ip = b[4:8]
	case abi.AF_INET6:
		if len(b) < 24 {
			return nil
		}
		ip = b[8:24]
		if len(b) >= abi.SizeofSockaddrInet6 {
			zone = zoneName(ns, binary.LittleEndian.Uint32(b[24:]))
		}
	default:
		return nil
	}
	if p.stream() {
		a := new(struct {
			net.TCPAddr
			ip [16]byte
		})
		a.IP = append(a.ip[:0], ip...)
		a.Port, a.Zone = port, zone
		return &a.TCPAddr
	}
	a := new(struct {
		net.UDPAddr
		ip [16]byte
	})
	a.IP = append(a.ip[:0], ip...)
	a.Port, a.Zone = port, zone
	return &a.UDPAddr
}

// addrPortOf returns the IP and port of a *net.TCPAddr or *net.UDPAddr
// (false for anything else).
func addrPortOf(a net.Addr) (netip.AddrPort, bool) {
	var ip net.IP
	var port int
	var zone string
	switch a := a.(type) {
	case *net.TCPAddr:
		if a == nil {
			return netip.AddrPort{}, false
		}
		ip, port, zone = a.IP, a.Port, a.Zone
	case *net.UDPAddr:
		if a == nil {
			return netip.AddrPort{}, false
		}
		ip, port, zone = a.IP, a.Port, a.Zone
	default:
		return netip.AddrPort{}, false
	}
	if port < 0 || port > 0xffff {
		return netip.AddrPort{}, false
	}
	var addr netip.Addr
	if len(ip) == 0 {
		addr = netip.IPv4Unspecified()
	} else {
		var ok bool
		if addr, ok = netip.AddrFromSlice(ip); !ok {
			return netip.AddrPort{}, false
		}
		if addr.Is4In6() {
			addr = addr.Unmap()
		}
		if zone != "" && addr.Is6() {
			addr = addr.WithZone(zone)
		}
	}
	return netip.AddrPortFrom(addr, uint16(port)), true
}
