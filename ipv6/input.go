package ipv6

import (
	"errors"
	"net/netip"

	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/internal/reasm"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/wire"
)

// Offsets in the fixed header, for parameter problem pointers.
const (
	offPayloadLen = 4
	offNextHeader = 6
)

// Input receives a packet from an interface (Linux's ipv6_rcv,
// ip6_rcv_core, ip6_rcv_finish and ip6_route_input). It owns pkt.
func (p *Protocol) Input(ifc *netns.Interface, pkt *pktbuf.Buffer) {
	mib := p.ns.MIB
	if pkt.OtherHost {
		mib.Drop(netns.DropOtherHost)
		pkt.Release()
		return
	}
	mib.Inc(netns.IP6InReceives)
	mib.Add(netns.IP6InOctets, uint64(pkt.Len()))
	if disabled, ok := conf(ifc, netns.Conf6DisableIPv6); !ok || disabled != 0 {
		mib.Inc(netns.IP6InDiscards)
		if ok {
			mib.Drop(netns.DropIPv6Disabled)
		} else {
			mib.Drop(netns.DropNotSpecified)
		}
		pkt.Release()
		return
	}
	b := pkt.Bytes()
	hdrErr := func(r netns.DropReason) {
		mib.Inc(netns.IP6InHdrErrors)
		mib.Drop(r)
		pkt.Release()
	}
	if len(b) < wire.IPv6HeaderLen {
		hdrErr(netns.DropIPInHdr)
		return
	}
	h := wire.IPv6(b)
	if h.Version() != 6 {
		hdrErr(netns.DropUnhandledProto)
		return
	}
	tc := h.TrafficClass()
	mib.Inc(netns.IP6InNoECTPkts + netns.Counter(tc&3))
	src, dst := h.Src(), h.Dst()
	lo := ifc.IsLoopback()
	switch {
	case (src.IsLoopback() || dst.IsLoopback()) && !lo:
		// RFC 4291 2.5.3: ::1 never appears on a wire.
		hdrErr(netns.DropIPInHdr)
		return
	case dst.IsMulticast() && mcastScope(dst) == 1 && !lo:
		// Interface-local multicast from another node (RFC 4291
		// erratum 3480).
		hdrErr(netns.DropIPInHdr)
		return
	case dst.IsMulticast() && mcastScope(dst) == 0:
		// Reserved scope 0 (RFC 4291 2.7).
		hdrErr(netns.DropIPInHdr)
		return
	case src.IsMulticast():
		hdrErr(netns.DropIPInHdr)
		return
	}
	plen := int(h.PayloadLen())
	if plen != 0 || h.NextHeader() != wire.ProtoIPv6Hop {
		if wire.IPv6HeaderLen+plen > len(b) {
			mib.Inc(netns.IP6InTruncatedPkts)
			mib.Drop(netns.DropPktTooSmall)
			pkt.Release()
			return
		}
		pkt.Trim(wire.IPv6HeaderLen + plen) // drop link-layer padding
	}
	nhoff, off := offNextHeader, wire.IPv6HeaderLen
	if h.NextHeader() == wire.ProtoIPv6Hop {
		n, ok := p.hopByHop(ifc, pkt)
		if !ok {
			mib.Inc(netns.IP6InHdrErrors)
			pkt.Release()
			return
		}
		nhoff, off = wire.IPv6HeaderLen, wire.IPv6HeaderLen+n
		h = wire.IPv6(pkt.Bytes())
	}

	info := netns.GetPacketInfo() // pooled: see ipv4's Input
	defer netns.PutPacketInfo(info)
	*info = netns.PacketInfo{Src: src, Dst: dst, Iface: ifc, TTL: h.HopLimit(), TOS: tc}
	switch {
	case dst.IsMulticast():
		// ip6_mc_input: only groups the interface has joined.
		mib.Inc(netns.IP6InMcastPkts)
		mib.Add(netns.IP6InMcastOctets, uint64(pkt.Len()))
		if !p.isMember(ifc, dst) {
			mib.Drop(netns.DropNotSpecified)
			pkt.Release()
			return
		}
		info.Multicast = true
		p.localDeliver(pkt, info, nhoff, off)
		return
	case dst.IsUnspecified():
		mib.Inc(netns.IP6InAddrErrors)
		mib.Drop(netns.DropIPInAddrErrors)
		pkt.Release()
		return
	case dst.IsLinkLocalUnicast():
		// Link-local destinations are looked up on the arrival link only
		// (rt6_need_strict), and never forwarded.
		if a, ok := localAddr(ifc, dst); ok && a.Usable() {
			p.localDeliver(pkt, info, nhoff, off)
			return
		}
		mib.Inc(netns.IP6InAddrErrors)
		mib.Drop(netns.DropIPInAddrErrors)
		pkt.Release()
		return
	}
	// The source is passed so the lookup never fails for want of one of
	// ours: a forwarded packet keeps its own.
	rt, err := p.ns.Lookup(dst, netns.LookupFlags{Src: src})
	if err == nil && rt.Local {
		// An address still doing duplicate address detection (or that
		// failed it) has no local route yet in Linux (RFC 4862 5.4: such
		// packets are silently discarded).
		if a, ok := routeAddr(rt, dst); ok && !a.Usable() {
			mib.Inc(netns.IP6InAddrErrors)
			mib.Drop(netns.DropIPInAddrErrors)
			pkt.Release()
			return
		}
		p.localDeliver(pkt, info, nhoff, off)
		return
	}
	if p.intercepted(ifc, pkt.Bytes(), nhoff, off) {
		// TPROXY's policy routing: a steering rule claims the packet.
		p.localDeliver(pkt, info, nhoff, off)
		return
	}
	p.forward(ifc, pkt, rt, err)
}

// intercepted reports whether a namespace steering rule (netns
// InterceptRule) claims a packet for an address that is not ours, or a
// transport has a socket for its flow. Only a transport header right
// after the fixed (and hop-by-hop) header is looked at; packets with
// other extension headers are not intercepted.
func (p *Protocol) intercepted(ifc *netns.Interface, b []byte, nhoff, off int) bool {
	proto := b[nhoff]
	if (proto != wire.ProtoTCP && proto != wire.ProtoUDP) || len(b) < off+4 {
		return false
	}
	sport, dport := uint16(b[off])<<8|uint16(b[off+1]), uint16(b[off+2])<<8|uint16(b[off+3])
	h := wire.IPv6(b)
	return p.ns.InterceptsNonlocal(proto, ifc.Index(), h.Src(), sport, h.Dst(), dport, true)
}

// mcastScope returns a multicast address's scope field.
func mcastScope(a netip.Addr) uint8 { return a.As16()[1] & 0x0f }

// localAddr finds addr among the interface's addresses; on the loopback
// interface, among every interface's, since traffic to any local address
// comes back through lo.
func localAddr(ifc *netns.Interface, addr netip.Addr) (netns.Address, bool) {
	if ifc.IsLoopback() {
		for _, o := range ifc.Namespace().Interfaces() {
			if a, ok := findAddr(o, addr); ok {
				return a, true
			}
		}
		return netns.Address{}, false
	}
	return findAddr(ifc, addr)
}

func findAddr(ifc *netns.Interface, addr netip.Addr) (netns.Address, bool) {
	for _, a := range ifc.Addresses() {
		if a.Addr() == addr {
			return a, true
		}
	}
	return netns.Address{}, false
}

// routeAddr finds the address a local route stands for.
func routeAddr(rt netns.RouteResult, addr netip.Addr) (netns.Address, bool) {
	if rt.Route != nil && rt.Route.Iface != nil {
		return findAddr(rt.Route.Iface, addr)
	}
	return netns.Address{}, false
}

// resolves reports whether the interface does address resolution (and so
// joins solicited-node groups): not loopback, not NOARP.
func resolves(ifc *netns.Interface) bool {
	return !ifc.IsLoopback() && ifc.Device().Flags()&link.FlagNoARP == 0 && ifc.Device().Type() == link.TypeEthernet
}

// isMember reports whether the interface receives group: all-nodes
// always, all-routers while forwarding, and the groups joined.
func (p *Protocol) isMember(ifc *netns.Interface, group netip.Addr) bool {
	switch group {
	case AllNodes:
		return true
	case AllRouters:
		if confInt(ifc, netns.Conf6Forwarding) != 0 {
			return true
		}
	}
	if mcastScope(group) == 1 && group.As16()[15] == 1 && ifc.IsLoopback() {
		return true // ff01::1, interface-local all-nodes
	}
	return ifc.InGroup(group)
}

// hopByHop processes the hop-by-hop options header, which may only follow
// the fixed header (ipv6_parse_hopopts). It returns the header's length,
// or false when the packet is to be dropped (the caller counts
// InHdrErrors and releases it; an ICMPv6 error has been sent if due).
func (p *Protocol) hopByHop(ifc *netns.Interface, pkt *pktbuf.Buffer) (int, bool) {
	b := pkt.Bytes()
	if len(b) < wire.IPv6HeaderLen+8 {
		p.ns.MIB.Drop(netns.DropNotSpecified)
		return 0, false
	}
	n := (int(b[wire.IPv6HeaderLen+1]) + 1) * 8
	if len(b) < wire.IPv6HeaderLen+n || int64(n) > p.ns.Sysctl.Int(netns.IP6MaxHbhLength) {
		p.ns.MIB.Drop(netns.DropNotSpecified)
		return 0, false
	}
	if !p.parseTLV(ifc, pkt, wire.IPv6HeaderLen, n, true, p.ns.Sysctl.Int(netns.IP6MaxHbhOptsNumber)) {
		return 0, false
	}
	return n, true
}

// parseTLV walks the options of a hop-by-hop or destination options
// header at off (ip6_parse_tlv): padding must be at most 7 bytes in a row
// and PadN zero-filled (RFC 4942 2.1.9.5), at most maxCount other options
// (a negative limit also turns every unknown option into a silent drop),
// and an unknown option is handled as the two high bits of its type say
// (RFC 8200 4.2). It reports whether the packet survives; a failure has
// counted its drop reason (and sent the ICMPv6 error if due), not
// InHdrErrors.
func (p *Protocol) parseTLV(ifc *netns.Interface, pkt *pktbuf.Buffer, off, n int, hbh bool, maxCount int64) bool {
	mib := p.ns.MIB
	disallowUnknown := maxCount < 0
	if disallowUnknown {
		maxCount = -maxCount
	}
	b := pkt.Bytes()
	bad := func() bool {
		mib.Drop(netns.DropIPInHdr)
		return false
	}
	pad, count := 0, int64(0)
	i, end := off+2, off+n
	for i < end {
		t := b[i]
		if t == wire.IPv6OptPad1 {
			if pad++; pad > 7 {
				return bad()
			}
			i++
			continue
		}
		if end-i < 2 {
			return bad()
		}
		olen := int(b[i+1]) + 2
		if olen > end-i {
			return bad()
		}
		if t == wire.IPv6OptPadN {
			if pad += olen; pad > 7 {
				return bad()
			}
			for _, c := range b[i+2 : i+olen] {
				if c != 0 {
					return bad()
				}
			}
		} else {
			if count++; count > maxCount {
				return bad()
			}
			known := false
			if hbh {
				switch t {
				case wire.IPv6OptRouterAlert:
					// ipv6_hop_ra: the value is two bytes.
					if olen != 4 {
						return bad()
					}
					known = true
				case wire.IPv6OptJumbo:
					ok, sent := p.jumbo(pkt, i)
					if !ok {
						if !sent {
							mib.Drop(netns.DropIPInHdr)
						}
						return false
					}
					b = pkt.Bytes()
					end = min(end, len(b))
					known = true
				case optIOAM:
					// ioam6_enabled is 0 by default: the option is
					// ignored.
					known = true
				}
			}
			if !known && !p.unknownOption(pkt, i, disallowUnknown) {
				return false
			}
			pad = 0
		}
		i += olen
	}
	if i != end {
		return bad()
	}
	return true
}

// optIOAM is the IOAM pre-allocated trace option type (RFC 9486).
const optIOAM = 0x31

// unknownOption applies an unrecognised option's action bits
// (ip6_tlvopt_unknown) and reports whether processing goes on.
func (p *Protocol) unknownOption(pkt *pktbuf.Buffer, optOff int, disallow bool) bool {
	mib := p.ns.MIB
	if disallow {
		mib.Drop(netns.DropUnhandledProto)
		return false
	}
	b := pkt.Bytes()
	switch wire.IPv6OptionAction(b[optOff]) {
	case wire.IPv6OptActionSkip:
		return true
	case wire.IPv6OptActionDiscard:
	case wire.IPv6OptActionICMPUnicast:
		if wire.IPv6(b).Dst().IsMulticast() {
			break
		}
		fallthrough
	case wire.IPv6OptActionICMP:
		p.SendError(pkt, wire.ICMPv6ParamProblem, wire.ICMPv6CodeUnknownOption, uint32(optOff))
	}
	mib.Drop(netns.DropUnhandledProto)
	return false
}

// jumbo validates a jumbo payload option (ipv6_hop_jumbo, RFC 2675). It
// reports whether the packet survives, and whether an ICMPv6 error was
// sent (with its drop counted).
func (p *Protocol) jumbo(pkt *pktbuf.Buffer, optOff int) (ok, sent bool) {
	b := pkt.Bytes()
	if b[optOff+1] != 4 || optOff&3 != 2 {
		return false, false
	}
	n := int(uint32(b[optOff+2])<<24 | uint32(b[optOff+3])<<16 | uint32(b[optOff+4])<<8 | uint32(b[optOff+5]))
	if n <= maxPayload {
		p.SendError(pkt, wire.ICMPv6ParamProblem, wire.ICMPv6CodeErroneousHeader, uint32(optOff+2))
		p.ns.MIB.Drop(netns.DropIPInHdr)
		return false, true
	}
	if wire.IPv6(b).PayloadLen() != 0 {
		p.SendError(pkt, wire.ICMPv6ParamProblem, wire.ICMPv6CodeErroneousHeader, uint32(optOff))
		p.ns.MIB.Drop(netns.DropIPInHdr)
		return false, true
	}
	if n > len(b)-wire.IPv6HeaderLen {
		p.ns.MIB.Inc(netns.IP6InTruncatedPkts)
		p.ns.MIB.Drop(netns.DropPktTooSmall)
		return false, true
	}
	pkt.Trim(wire.IPv6HeaderLen + n)
	return true, false
}

// localDeliver walks the extension headers that follow the hop-by-hop
// options (routing, fragment, destination options), reassembling
// fragments, and hands the datagram to the transport protocol of its
// final next header (ip6_input_finish, ip6_protocol_deliver_rcu). nhoff
// is the offset of the next-header field naming the header at off; the
// packet's data starts at its IPv6 header throughout.
func (p *Protocol) localDeliver(pkt *pktbuf.Buffer, info *netns.PacketInfo, nhoff, off int) {
	mib := p.ns.MIB
	fragmented := false
	for {
		b := pkt.Bytes()
		switch nh := b[nhoff]; nh {
		case wire.ProtoIPv6Route:
			n, ok := p.routingHeader(info.Iface, pkt, off)
			if !ok {
				pkt.Release()
				return
			}
			nhoff, off = off, off+n
		case wire.ProtoIPv6DstOpts:
			n, ok := p.destOpts(info.Iface, pkt, off)
			if !ok {
				pkt.Release()
				return
			}
			nhoff, off = off, off+n
		case wire.ProtoIPv6Frag:
			whole, fnh, foff, ok := p.fragmentHeader(pkt, info, off, fragmented)
			if whole == nil {
				if !ok {
					pkt.Release()
				}
				return
			}
			if whole != pkt {
				// The datagram is the first fragment's header and the
				// whole payload.
				h := wire.IPv6(whole.Bytes())
				info.TTL, info.TOS = h.HopLimit(), h.TrafficClass()
			}
			pkt, nhoff, off, fragmented = whole, fnh, foff, true
		case wire.ProtoIPv6NoNext:
			// "No next header": Linux's nodata handler consumes it.
			mib.Inc(netns.IP6InDelivers)
			pkt.Release()
			return
		default:
			p.deliverTransport(pkt, info, nh, nhoff, off, fragmented)
			return
		}
	}
}

// deliverTransport hands the datagram to its upper-layer protocol, or
// answers parameter problem (unknown next header) pointing at the field
// that named it.
func (p *Protocol) deliverTransport(pkt *pktbuf.Buffer, info *netns.PacketInfo, proto uint8, nhoff, off int, fragmented bool) {
	mib := p.ns.MIB
	pkt.Pull(off)
	pkt.SetTransportHeader()
	claimed := false
	if tap := p.ns.RawTap(); tap != nil && !wire.IsIPv6ExtHeader(proto) {
		claimed = tap.Deliver(6, proto, pkt, info)
	}
	t := p.ns.Transport(6, proto)
	if t == nil {
		if claimed {
			mib.Inc(netns.IP6InDelivers)
		} else {
			mib.Inc(netns.IP6InUnknownProtos)
			mib.Drop(netns.DropIPNoProto)
			p.SendError(pkt, wire.ICMPv6ParamProblem, wire.ICMPv6CodeUnknownNextHeader, uint32(nhoff))
		}
		pkt.Release()
		return
	}
	mib.Inc(netns.IP6InDelivers)
	if ih, ok := t.(icmpHandler); ok && ih.p == p {
		p.icmpInput(pkt, info, fragmented)
		return
	}
	t.Input(pkt, info)
}

// routingHeader processes a routing header (ipv6_rthdr_rcv) and returns
// its length, or false when the packet is dropped (counted, with an
// ICMPv6 error if due).
func (p *Protocol) routingHeader(ifc *netns.Interface, pkt *pktbuf.Buffer, off int) (int, bool) {
	mib := p.ns.MIB
	b := pkt.Bytes()
	if len(b)-off < 8 || len(b)-off < (int(b[off+1])+1)*8 {
		mib.Inc(netns.IP6InHdrErrors)
		mib.Drop(netns.DropNotSpecified)
		return 0, false
	}
	n := (int(b[off+1]) + 1) * 8
	if wire.IPv6(b).Dst().IsMulticast() || pkt.Multicast || pkt.Broadcast {
		mib.Inc(netns.IP6InAddrErrors)
		mib.Drop(netns.DropNotSpecified)
		return 0, false
	}
	rh := wire.IPv6Routing(b[off : off+n])
	switch rh.RoutingType() {
	case wire.IPv6RoutingTypeSRH, wire.IPv6RoutingTypeRPL:
		// Segment routing and RPL: seg6_enabled and rpl_seg_enabled are 0
		// by default, and gosock implements neither; Linux drops the
		// packet uncounted whatever segments are left.
		mib.Drop(netns.DropNotSpecified)
		return 0, false
	}
	if rh.SegmentsLeft() == 0 {
		if rh.RoutingType() == wire.IPv6RoutingType2 {
			// A type 2 header is only valid if this node put its home
			// address there; gosock has none.
			mib.Inc(netns.IP6InAddrErrors)
			mib.Drop(netns.DropNotSpecified)
			return 0, false
		}
		return n, true
	}
	srcRoute := min(confAll(p.ns, netns.Conf6AcceptSourceRoute), confInt(ifc, netns.Conf6AcceptSourceRoute))
	if rh.RoutingType() == wire.IPv6RoutingType2 && srcRoute >= 0 {
		// Mobile IPv6: a malformed header is a header error; a proper
		// one names a home address this node does not have.
		if b[off+1] != 2 || rh.SegmentsLeft() != 1 {
			mib.Inc(netns.IP6InHdrErrors)
		} else {
			mib.Inc(netns.IP6InAddrErrors)
		}
		mib.Drop(netns.DropNotSpecified)
		return 0, false
	}
	// Type 0 (RFC 5095) and unknown types with segments left: parameter
	// problem pointing at the routing type (RFC 8200 4.4).
	mib.Inc(netns.IP6InHdrErrors)
	mib.Drop(netns.DropIPInHdr)
	p.SendError(pkt, wire.ICMPv6ParamProblem, wire.ICMPv6CodeErroneousHeader, uint32(off+2))
	return 0, false
}

// destOpts processes a destination options header (ipv6_destopt_rcv).
func (p *Protocol) destOpts(ifc *netns.Interface, pkt *pktbuf.Buffer, off int) (int, bool) {
	mib := p.ns.MIB
	b := pkt.Bytes()
	if len(b)-off < 8 || len(b)-off < (int(b[off+1])+1)*8 {
		mib.Inc(netns.IP6InHdrErrors)
		mib.Drop(netns.DropNotSpecified)
		return 0, false
	}
	n := (int(b[off+1]) + 1) * 8
	if int64(n) > p.ns.Sysctl.Int(netns.IP6MaxDstOptsLength) {
		mib.Drop(netns.DropNotSpecified)
		return 0, false
	}
	if !p.parseTLV(ifc, pkt, off, n, false, p.ns.Sysctl.Int(netns.IP6MaxDstOptsNumber)) {
		mib.Inc(netns.IP6InHdrErrors)
		return 0, false
	}
	return n, true
}

// fragmentHeader processes a fragment header at off (ipv6_frag_rcv). It
// returns the datagram to go on with (pkt itself for an atomic fragment,
// the reassembled one when this fragment completed it) with the offsets
// of the next-header field and the header that follows the (removed)
// fragment header; or nil, with ok telling whether pkt was kept (queued)
// or is the caller's to release.
func (p *Protocol) fragmentHeader(pkt *pktbuf.Buffer, info *netns.PacketInfo, off int, fragmented bool) (whole *pktbuf.Buffer, nhoff, next int, ok bool) {
	mib := p.ns.MIB
	b := pkt.Bytes()
	h := wire.IPv6(b)
	failHdr := func(ptr int) {
		mib.Inc(netns.IP6InHdrErrors)
		mib.Drop(netns.DropIPInHdr)
		p.SendError(pkt, wire.ICMPv6ParamProblem, wire.ICMPv6CodeErroneousHeader, uint32(ptr))
	}
	if fragmented {
		// A second fragment header after reassembly.
		failHdr(off)
		return nil, 0, 0, false
	}
	mib.Inc(netns.IP6ReasmReqds)
	if h.PayloadLen() == 0 || len(b)-off < wire.IPv6FragmentLen {
		failHdr(off)
		return nil, 0, 0, false
	}
	fh := wire.IPv6Fragment(b[off:])
	fragOff := int(fh.FragmentOffset())
	if fragOff == 0 && !fh.MoreFragments() {
		// An atomic fragment (RFC 6946): processed at once, without a
		// queue.
		mib.Inc(netns.IP6ReasmOKs)
		return pkt, off, off + wire.IPv6FragmentLen, true
	}
	if fragOff == 0 && chainTruncated(b, off) {
		// RFC 8200 4.5 / RFC 7112: the first fragment must hold the whole
		// header chain through the upper-layer header.
		mib.Inc(netns.IP6InHdrErrors)
		mib.Drop(netns.DropIPInHdr)
		p.SendError(pkt, wire.ICMPv6ParamProblem, wire.ICMPv6CodeIncompleteChain, 0)
		return nil, 0, 0, false
	}
	data := b[off+wire.IPv6FragmentLen:]
	if fragOff+len(data) > maxPayload {
		failHdr(off + 2)
		return nil, 0, 0, false
	}
	if fh.MoreFragments() && len(data)&7 != 0 {
		failHdr(offPayloadLen)
		return nil, 0, 0, false
	}
	key := reasm.Key{Src: info.Src, Dst: info.Dst, ID: fh.Ident()}
	if info.Dst.IsMulticast() || info.Dst.IsLinkLocalUnicast() {
		key.IfIndex = int32(info.Iface.Index())
	}
	out, st := p.reasm.Add(key, fragOff, fh.MoreFragments(), b[:off+wire.IPv6FragmentLen], data, pkt)
	switch st {
	case reasm.Queued, reasm.Duplicate:
		return nil, 0, 0, true
	case reasm.Complete:
	default:
		mib.Inc(netns.IP6ReasmFails)
		switch st {
		case reasm.Overlap:
			mib.Drop(netns.DropDupFrag)
		case reasm.TooBig:
			mib.Drop(netns.DropPktTooBig)
		case reasm.NoMemory:
			mib.Drop(netns.DropNoMem)
		default:
			mib.Drop(netns.DropNotSpecified)
		}
		return nil, 0, 0, true // Add took the reference
	}
	// The result holds the first fragment's headers, its fragment header,
	// and the whole payload. Find that fragment header again, splice it
	// out as ip6_frag_reasm does, and go on after it.
	ob := out.Bytes()
	fnh, fo, found := findFragmentHeader(ob)
	if !found {
		mib.Inc(netns.IP6ReasmFails)
		mib.Drop(netns.DropNotSpecified)
		out.Release()
		return nil, 0, 0, true
	}
	mib.Inc(netns.IP6ReasmOKs)
	ob[fnh] = ob[fo] // the fragment header's next header
	copy(ob[wire.IPv6FragmentLen:fo+wire.IPv6FragmentLen], ob[:fo])
	out.Pull(wire.IPv6FragmentLen)
	out.SetNetworkHeader()
	wire.IPv6(out.Bytes()).SetPayloadLen(uint16(out.Len() - wire.IPv6HeaderLen))
	return out, fnh, fo, true
}

// findFragmentHeader walks the headers of a packet to its first fragment
// header, returning the offset of the next-header field that names it and
// its own offset.
func findFragmentHeader(b []byte) (nhoff, off int, ok bool) {
	nhoff, off = offNextHeader, wire.IPv6HeaderLen
	for {
		switch b[nhoff] {
		case wire.ProtoIPv6Frag:
			return nhoff, off, off+wire.IPv6FragmentLen <= len(b)
		case wire.ProtoIPv6Hop, wire.ProtoIPv6Route, wire.ProtoIPv6DstOpts:
			if len(b)-off < 2 {
				return 0, 0, false
			}
			nhoff, off = off, off+(int(b[off+1])+1)*8
			if off > len(b) {
				return 0, 0, false
			}
		default:
			return 0, 0, false
		}
	}
}

// chainTruncated reports whether the first fragment b, whose fragment
// header is at off, lacks part of its header chain: an extension header
// that runs past the end, or fewer bytes of the upper-layer header than
// Linux's ipv6frag_thdr_truncated asks for (TCP 20, UDP 8, ICMPv6 8,
// anything else 1).
func chainTruncated(b []byte, off int) bool {
	it := wire.NewIPv6ExtIter(b[off+wire.IPv6FragmentLen:], b[off])
	for it.Next() {
		if it.Type() == wire.ProtoIPv6Frag {
			return false // a nested fragment header fails later
		}
	}
	if it.Err() != nil {
		return true
	}
	proto, start := it.Upper()
	need := 1
	switch proto {
	case wire.ProtoTCP:
		need = 20
	case wire.ProtoUDP, wire.ProtoICMPv6:
		need = 8
	}
	return start+need > len(b)-off-wire.IPv6FragmentLen
}

// reassemblyExpired answers a timed-out datagram with ICMPv6 time
// exceeded (fragment reassembly time exceeded), if its first fragment had
// come (ip6frag_expire_frag_queue).
func (p *Protocol) reassemblyExpired(key reasm.Key, first *pktbuf.Buffer) {
	p.ns.MIB.Inc(netns.IP6ReasmFails)
	p.ns.MIB.Inc(netns.IP6ReasmTimeout)
	p.ns.MIB.Drop(netns.DropFragReasmTimeout)
	if first == nil {
		return
	}
	p.SendError(first, wire.ICMPv6TimeExceeded, wire.ICMPv6CodeReassemblyTimeout, 0)
	first.Release()
}

// forward handles a packet for another host (ip6_forward), after the
// routing decision; routeErr is the lookup's failure, if any. A missing
// route is answered with destination unreachable whether or not the
// namespace forwards, as Linux's ip6_pkt_discard does; other packets are
// dropped silently (counted InAddrErrors) when forwarding is off.
func (p *Protocol) forward(in *netns.Interface, pkt *pktbuf.Buffer, rt netns.RouteResult, routeErr error) {
	mib := p.ns.MIB
	if routeErr != nil {
		code := wire.ICMPv6CodeNoRoute
		switch {
		case errors.Is(routeErr, errno.EINVAL): // blackhole
			mib.Drop(netns.DropNotSpecified)
			pkt.Release()
			return
		case errors.Is(routeErr, errno.EACCES): // prohibit
			code = wire.ICMPv6CodeAdminProhibited
		}
		mib.Inc(netns.IP6InNoRoutes)
		mib.Drop(netns.DropIPInNoRoutes)
		p.SendError(pkt, wire.ICMPv6DestUnreach, code, 0)
		pkt.Release()
		return
	}
	drop := func(c netns.Counter, r netns.DropReason) {
		mib.Inc(c)
		mib.Drop(r)
		pkt.Release()
	}
	if !p.Forwarding() {
		drop(netns.IP6InAddrErrors, netns.DropIPInAddrErrors)
		return
	}
	if pkt.Multicast || pkt.Broadcast {
		mib.Drop(netns.DropNotSpecified)
		pkt.Release()
		return
	}
	h := wire.IPv6(pkt.Bytes())
	if h.HopLimit() <= 1 {
		p.SendError(pkt, wire.ICMPv6TimeExceeded, wire.ICMPv6CodeHopLimitExceeded, 0)
		drop(netns.IP6InHdrErrors, netns.DropIPInHdr)
		return
	}
	out := rt.Iface
	if out != in {
		// Sending back out of the arrival link would earn a redirect in
		// Linux; any other way, the source must be a proper unicast one.
		src := h.Src()
		switch {
		case src.IsUnspecified() || src.IsMulticast() || src.IsLoopback():
			drop(netns.IP6InAddrErrors, netns.DropIPInAddrErrors)
			return
		case src.IsLinkLocalUnicast():
			p.SendError(pkt, wire.ICMPv6DestUnreach, wire.ICMPv6CodeBeyondScope, 0)
			drop(netns.IP6InAddrErrors, netns.DropIPInAddrErrors)
			return
		}
	}
	mib.Inc(netns.IP6OutForwDatagrams)
	mtu := max(p.linkMTU(rt), MinMTU)
	if len(h) > mtu && pkt.GSOType == pktbuf.GSONone {
		// Routers never fragment IPv6 (RFC 8200 5).
		p.SendError(pkt, wire.ICMPv6PacketTooBig, 0, uint32(mtu))
		mib.Inc(netns.IP6InTooBigErrors)
		mib.Inc(netns.IP6FragFails)
		mib.Drop(netns.DropPktTooBig)
		pkt.Release()
		return
	}
	if pkt.Shared() {
		c := pkt.Clone()
		pkt.Release()
		pkt = c
		h = wire.IPv6(pkt.Bytes())
	}
	h.SetHopLimit(h.HopLimit() - 1)
	_ = p.transmit(out, rt.NextHop, pkt)
}
