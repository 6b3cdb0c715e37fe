package ipv6

import (
	"net/netip"
	"time"

	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/wire"
)

// Header is what a transport protocol chooses for the IPv6 header of a
// packet it sends.
type Header struct {
	// Src and Dst are the addresses; Src must be set (the route lookup
	// suggests one; the unspecified address is allowed for NDP and MLD).
	Src, Dst netip.Addr
	// NextHeader is the protocol of what follows the fixed header: the
	// transport protocol, or an extension header the caller put in front
	// of it.
	NextHeader uint8
	// HopLimit is the hop limit; 0 means the default: the outgoing
	// interface's net.ipv6.conf.DEV.hop_limit (IPV6_UNICAST_HOPS unset),
	// or 1 for a multicast destination (IPV6_MULTICAST_HOPS's default).
	HopLimit uint8
	// TrafficClass is the traffic class byte (IPV6_TCLASS).
	TrafficClass uint8
	// FlowLabel is the 20-bit flow label (IPV6_FLOWINFO).
	FlowLabel uint32
	// DontFragment refuses to fragment locally: a packet over the path
	// MTU fails with EMSGSIZE (IPV6_DONTFRAG, or IPV6_MTU_DISCOVER set to
	// IPV6_PMTUDISC_DO or PROBE). Without it the source fragments, as
	// Linux's default IPV6_PMTUDISC_WANT does.
	DontFragment bool
	// ConfirmedAt, when not zero, says the sender saw forward progress
	// on this path since its last packet (a TCP ACK for new data:
	// Linux's sk_dst_pending_confirm), at that time: the next hop's
	// neighbour entry is confirmed with it as the packet goes out, so a
	// busy path is not re-resolved. The sender passes the clock reading
	// it already has, which saves the neighbour table reading it again
	// for every segment.
	ConfirmedAt time.Time
}

// Output sends a transport segment (its header at pkt's front) along the
// route rt, which Namespace.Lookup returned for h.Dst (Linux's ip6_xmit
// and ip6_finish_output). It pushes the IPv6 header, fragments to the
// path MTU as needed and transmits. It takes the reference to pkt.
func (p *Protocol) Output(rt *netns.RouteResult, h *Header, pkt *pktbuf.Buffer) error {
	mib := p.ns.MIB
	mib.Inc(netns.IP6OutRequests)
	if rt.Iface == nil {
		mib.Inc(netns.IP6OutNoRoutes)
		mib.Drop(netns.DropIPOutNoRoutes)
		pkt.Release()
		return errno.ENETUNREACH
	}
	if pkt.Len() > maxPayload {
		mib.Inc(netns.IP6OutDiscards)
		pkt.Release()
		return errno.EMSGSIZE
	}
	if !h.ConfirmedAt.IsZero() && !rt.Local {
		rt.Iface.ConfirmNeighbour(rt.NextHop, h.ConfirmedAt)
	}
	p.pushHeader(rt.Iface, h, pkt)
	mtu := p.pathMTU(rt, h.Dst)
	if pkt.Len() > mtu && pkt.GSOType == pktbuf.GSONone {
		if h.DontFragment {
			mib.Inc(netns.IP6FragFails)
			pkt.Release()
			return errno.EMSGSIZE
		}
		return p.fragment(rt.Iface, rt.NextHop, mtu, pkt)
	}
	return p.transmit(rt.Iface, rt.NextHop, pkt)
}

// OutputTo sends a small packet (an NDP message) straight to a link-layer
// address on ifc, without route or neighbour lookup and without
// fragmentation, as ndisc_send_skb does for unicast probes. It takes the
// reference to pkt.
func (p *Protocol) OutputTo(ifc *netns.Interface, dst wire.MAC, h *Header, pkt *pktbuf.Buffer) error {
	p.ns.MIB.Inc(netns.IP6OutRequests)
	p.pushHeader(ifc, h, pkt)
	p.countOut(h.Dst, pkt)
	return ifc.TransmitTo(dst, wire.EtherTypeIPv6, pkt)
}

// pushHeader writes the IPv6 header in front of pkt and counts an ICMPv6
// message it carries (Linux counts them in __ip6_make_skb).
func (p *Protocol) pushHeader(ifc *netns.Interface, h *Header, pkt *pktbuf.Buffer) {
	hop := h.HopLimit
	if hop == 0 {
		if h.Dst.IsMulticast() {
			hop = 1
		} else if v, ok := conf(ifc, netns.Conf6HopLimit); ok {
			hop = uint8(v)
		} else {
			hop = uint8(confAll(p.ns, netns.Conf6HopLimit))
		}
	}
	f := wire.IPv6Fields{
		TrafficClass: h.TrafficClass,
		FlowLabel:    h.FlowLabel,
		PayloadLen:   uint16(pkt.Len()),
		NextHeader:   h.NextHeader,
		HopLimit:     hop,
		Src:          h.Src,
		Dst:          h.Dst,
	}
	if h.NextHeader == wire.ProtoICMPv6 && pkt.Len() > 0 {
		p.ns.MIB.Inc(netns.ICMP6OutMsgs)
		p.ns.MIB.ICMP6Msg(true, pkt.Bytes()[0])
	}
	f.Encode(wire.IPv6(pkt.Push(wire.IPv6HeaderLen)))
	pkt.SetNetworkHeader()
	pkt.Protocol = uint16(wire.EtherTypeIPv6)
	// The receive-side classification of a reused buffer means nothing
	// on the way out (and must not follow it through a loopback).
	pkt.Broadcast, pkt.Multicast, pkt.OtherHost = false, false, false
}

// pathMTU is the MTU a packet to dst along rt must fit: the route's or
// interface's, lowered by router advertisements and packet-too-big
// messages.
func (p *Protocol) pathMTU(rt *netns.RouteResult, dst netip.Addr) int {
	mtu := p.linkMTU(*rt)
	if pm := p.PathMTU(dst); pm != 0 && pm < mtu {
		mtu = pm
	}
	return mtu
}

// linkMTU is the route's MTU, lowered by an MTU the interface's router
// advertised (SetLinkMTU).
func (p *Protocol) linkMTU(rt netns.RouteResult) int {
	mtu := rt.MTU
	if rt.Iface != nil {
		if m := p.ifs.linkMTU(rt.Iface); m != 0 && m < mtu {
			mtu = m
		}
	}
	return mtu
}

// SetLinkMTU sets the IPv6 MTU of an interface below the device's, as a
// router advertisement's MTU option sets Linux's mtu6 (0 removes it).
// Values below 1280 are refused with EINVAL.
func (p *Protocol) SetLinkMTU(ifc *netns.Interface, mtu int) error {
	if mtu != 0 && mtu < MinMTU {
		return errno.EINVAL
	}
	p.ifs.setLinkMTU(ifc, mtu)
	return nil
}

// countOut counts a packet handed to a device (ip6_finish_output2).
func (p *Protocol) countOut(dst netip.Addr, pkt *pktbuf.Buffer) {
	mib := p.ns.MIB
	mib.Inc(netns.IP6OutTransmits)
	mib.Add(netns.IP6OutOctets, uint64(pkt.Len()))
	if dst.IsMulticast() {
		mib.Inc(netns.IP6OutMcastPkts)
		mib.Add(netns.IP6OutMcastOctets, uint64(pkt.Len()))
	}
}

// transmit hands one packet to the neighbour layer.
func (p *Protocol) transmit(ifc *netns.Interface, nextHop netip.Addr, pkt *pktbuf.Buffer) error {
	p.countOut(nextHop, pkt)
	if ifc.IsLoopback() {
		// Loopback needs no checksum verification on the way back in
		// (CHECKSUM_UNNECESSARY), as Linux's loopback_xmit marks it.
		pkt.ChecksumVerified = true
	}
	err := ifc.OutputIP(nextHop, pkt)
	if err != nil {
		p.ns.MIB.Inc(netns.IP6OutDiscards)
	}
	return err
}

// unfragmentable finds the end of the part of a packet every fragment
// repeats (ip6_find_1stfragopt): the fixed header, hop-by-hop options,
// and destination options and routing headers up to the last routing
// header. It returns that length and the offset of the next-header field
// that names the first fragmentable header.
func unfragmentable(b []byte) (hlen, nhoff int, ok bool) {
	off, nhoff := wire.IPv6HeaderLen, offNextHeader
	routing := false
	for off <= len(b) {
		switch b[nhoff] {
		case wire.ProtoIPv6Hop:
		case wire.ProtoIPv6Route:
			routing = true
		case wire.ProtoIPv6DstOpts:
			if routing {
				return off, nhoff, true
			}
		default:
			return off, nhoff, true
		}
		if off+2 > len(b) {
			return 0, 0, false
		}
		nhoff, off = off, off+(int(b[off+1])+1)*8
	}
	return 0, 0, false
}

// fragment cuts a packet into fragments that fit mtu, each repeating the
// unfragmentable headers followed by a fragment header (ip6_fragment's
// slow path). Only the source fragments IPv6.
func (p *Protocol) fragment(ifc *netns.Interface, nextHop netip.Addr, mtu int, pkt *pktbuf.Buffer) error {
	defer pkt.Release()
	mib := p.ns.MIB
	b := pkt.Bytes()
	hlen, nhoff, ok := unfragmentable(b)
	if !ok {
		mib.Inc(netns.IP6FragFails)
		return errno.EINVAL
	}
	if mtu < hlen+wire.IPv6FragmentLen+8 {
		mib.Inc(netns.IP6FragFails)
		return errno.EMSGSIZE
	}
	room := mtu - hlen - wire.IPv6FragmentLen
	data := b[hlen:]
	next := b[nhoff]
	id := p.fragIdent()
	for off := 0; off < len(data); {
		n := len(data) - off
		if n > room {
			n = room &^ 7
		}
		frag := pktbuf.New(pktbuf.DefaultHeadroom, hlen+wire.IPv6FragmentLen+n)
		fb := frag.Bytes()
		copy(fb, b[:hlen])
		fb[nhoff] = wire.ProtoIPv6Frag
		wire.IPv6(fb).SetPayloadLen(uint16(len(fb) - wire.IPv6HeaderLen))
		fh := wire.IPv6FragmentFields{NextHeader: next, FragmentOffset: uint16(off), MoreFragments: off+n < len(data), Ident: id}
		fh.Encode(wire.IPv6Fragment(fb[hlen:]))
		copy(fb[hlen+wire.IPv6FragmentLen:], data[off:off+n])
		frag.SetNetworkHeader()
		frag.Protocol = pkt.Protocol
		frag.Mark = pkt.Mark
		mib.Inc(netns.IP6FragCreates)
		if err := p.transmit(ifc, nextHop, frag); err != nil {
			mib.Inc(netns.IP6FragFails)
			return err
		}
		off += n
	}
	mib.Inc(netns.IP6FragOKs)
	return nil
}

// fragIdent returns a fragment identification: random and never zero, as
// Linux's ipv6_select_ident.
func (p *Protocol) fragIdent() uint32 {
	for {
		if id := uint32(p.ns.Rand()); id != 0 {
			return id
		}
	}
}
