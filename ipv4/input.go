package ipv4

import (
	"errors"
	"net/netip"

	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/internal/reasm"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/wire"
)

var limitedBroadcast = netip.AddrFrom4([4]byte{255, 255, 255, 255})

// Input receives a packet from an interface (Linux's ip_rcv,
// ip_rcv_finish and ip_route_input). It owns pkt.
func (p *Protocol) Input(ifc *netns.Interface, pkt *pktbuf.Buffer) {
	mib := p.ns.MIB
	if pkt.OtherHost {
		mib.Drop(netns.DropOtherHost)
		pkt.Release()
		return
	}
	mib.Inc(netns.IPInReceives)
	mib.Add(netns.IPExtInOctets, uint64(pkt.Len()))
	h, err := wire.ParseIPv4(pkt.Bytes())
	if err != nil {
		if errors.Is(err, wire.ErrTruncated) && len(pkt.Bytes()) >= wire.IPv4MinHeaderLen {
			mib.Inc(netns.IPExtInTruncatedPkts)
		} else {
			mib.Inc(netns.IPInHdrErrors)
		}
		mib.Drop(netns.DropIPInHdr)
		pkt.Release()
		return
	}
	if !pkt.ChecksumVerified && !h.ValidChecksum() {
		mib.Inc(netns.IPExtInCsumErrors)
		mib.Inc(netns.IPInHdrErrors)
		mib.Drop(netns.DropIPCsum)
		pkt.Release()
		return
	}
	pkt.Trim(len(h)) // drop link-layer padding
	src, dst := h.Src(), h.Dst()
	if isMartianSource(src, ifc) {
		mib.Drop(netns.DropIPInvalidSource)
		pkt.Release()
		return
	}
	if h.HeaderLen() > wire.IPv4MinHeaderLen {
		if !p.checkOptions(ifc, h, pkt) {
			return
		}
	}

	// The transports take info through an interface, so a local would
	// escape to the heap on every packet; a pooled one does not. Nothing
	// keeps it past this call.
	info := netns.GetPacketInfo()
	defer netns.PutPacketInfo(info)
	*info = netns.PacketInfo{Src: src, Dst: dst, Iface: ifc, TTL: h.TTL(), TOS: h.TOS()}
	switch {
	case dst.IsMulticast():
		if !ifc.InGroup(dst) && dst != allHosts {
			mib.Drop(netns.DropIPInAddrErrors)
			pkt.Release()
			return
		}
		mib.Inc(netns.IPExtInMcastPkts)
		info.Multicast = true
		p.localDeliver(h, pkt, info)
		return
	case dst == limitedBroadcast || ifc.IsBroadcast4(dst):
		mib.Inc(netns.IPExtInBcastPkts)
		info.Broadcast = true
		p.localDeliver(h, pkt, info)
		return
	}
	rt, err := p.ns.Lookup(dst, netns.LookupFlags{})
	switch {
	case err == nil && rt.Local:
		p.localDeliver(h, pkt, info)
	case err == nil && rt.Broadcast:
		info.Broadcast = true
		p.localDeliver(h, pkt, info)
	case p.intercepted(ifc, h):
		// TPROXY's policy routing: a steering rule claims the packet.
		p.localDeliver(h, pkt, info)
	default:
		p.forward(ifc, h, pkt, rt, err)
	}
}

var allHosts = netip.AddrFrom4([4]byte{224, 0, 0, 1})

// intercepted reports whether a namespace steering rule (netns
// InterceptRule) claims a packet for an address that is not ours, or a
// transport has a socket for its flow. A non-first fragment carries no
// ports, so its prefix alone decides.
func (p *Protocol) intercepted(ifc *netns.Interface, h wire.IPv4) bool {
	proto := h.Protocol()
	if proto != wire.ProtoTCP && proto != wire.ProtoUDP {
		return false
	}
	var sport, dport uint16
	b := h.Payload()
	known := h.FragmentOffset() == 0 && len(b) >= 4
	if known {
		sport, dport = uint16(b[0])<<8|uint16(b[1]), uint16(b[2])<<8|uint16(b[3])
	}
	return p.ns.InterceptsNonlocal(proto, ifc.Index(), h.Src(), sport, h.Dst(), dport, known)
}

// isMartianSource reports source addresses no packet may carry
// (ip_route_input_slow's martian checks): multicast, limited broadcast,
// and loopback addresses arriving on a device other than lo.
func isMartianSource(src netip.Addr, ifc *netns.Interface) bool {
	return src.IsMulticast() || src == limitedBroadcast ||
		(src.IsLoopback() && !ifc.IsLoopback())
}

// checkOptions validates IP options (ip_options_compile): a malformed
// option is a header error answered with ICMP parameter problem, and a
// source-routed packet is dropped (accept_source_route is 0 by default).
// It reports whether the packet survives; if not, it has been released.
func (p *Protocol) checkOptions(ifc *netns.Interface, h wire.IPv4, pkt *pktbuf.Buffer) bool {
	it := h.OptionIter()
	for it.Next() {
		switch it.Type() {
		case wire.IPv4OptLSRR, wire.IPv4OptSSRR:
			p.ns.MIB.Drop(netns.DropIPInHdr)
			pkt.Release()
			return false
		}
	}
	if it.Err() != nil {
		p.ns.MIB.Inc(netns.IPInHdrErrors)
		p.ns.MIB.Drop(netns.DropIPInHdr)
		ptr := uint32(wire.IPv4MinHeaderLen + it.Offset())
		p.SendError(pkt, wire.ICMPv4ParamProblem, 0, ptr<<24)
		pkt.Release()
		return false
	}
	return true
}

// localDeliver reassembles if needed and hands the datagram to its
// transport protocol (ip_local_deliver, ip_local_deliver_finish).
func (p *Protocol) localDeliver(h wire.IPv4, pkt *pktbuf.Buffer, info *netns.PacketInfo) {
	mib := p.ns.MIB
	if h.IsFragment() {
		mib.Inc(netns.IPReasmReqds)
		key := reasm.Key{Src: info.Src, Dst: info.Dst, ID: uint32(h.ID()), Proto: h.Protocol()}
		whole, st := p.reasm.Add(key, int(h.FragmentOffset()), h.MoreFragments(), h[:h.HeaderLen()], h.Payload(), pkt)
		switch st {
		case reasm.Queued, reasm.Duplicate:
			return
		case reasm.Complete:
			mib.Inc(netns.IPReasmOKs)
			pkt = whole
			pkt.SetNetworkHeader()
			h = wire.IPv4(pkt.Bytes())
			h.SetTotalLen(uint16(len(h)))
			h.SetFlags(h.Flags() &^ wire.IPv4FlagMoreFragments)
			h.SetFragmentOffset(0)
			h.UpdateChecksum()
		default:
			mib.Inc(netns.IPReasmFails)
			switch st {
			case reasm.Overlap:
				mib.Drop(netns.DropDupFrag)
			case reasm.TooBig:
				mib.Drop(netns.DropPktTooBig)
			default:
				mib.Drop(netns.DropNoMem)
			}
			return
		}
	}
	proto := h.Protocol()
	pkt.Pull(h.HeaderLen())
	pkt.SetTransportHeader()
	claimed := false
	if tap := p.ns.RawTap(); tap != nil {
		claimed = tap.Deliver(4, proto, pkt, info)
	}
	t := p.ns.Transport(4, proto)
	if t == nil {
		if !claimed {
			mib.Inc(netns.IPInUnknownProtos)
			mib.Drop(netns.DropIPNoProto)
			p.SendError(pkt, wire.ICMPv4DestUnreach, wire.ICMPv4CodeProtoUnreach, 0)
		} else {
			mib.Inc(netns.IPInDelivers)
		}
		pkt.Release()
		return
	}
	mib.Inc(netns.IPInDelivers)
	t.Input(pkt, info)
}

// reassemblyExpired answers a timed-out datagram with ICMP time exceeded
// (fragment reassembly), if its first fragment had come (ip_expire).
func (p *Protocol) reassemblyExpired(key reasm.Key, first *pktbuf.Buffer) {
	p.ns.MIB.Inc(netns.IPReasmFails)
	p.ns.MIB.Inc(netns.IPReasmTimeout)
	p.ns.MIB.Drop(netns.DropFragReasmTimeout)
	if first == nil {
		return
	}
	p.SendError(first, wire.ICMPv4TimeExceeded, wire.ICMPv4CodeReassemblyTimeout, 0)
	first.Release()
}

// forward routes a packet not addressed to this host (ip_forward), or
// drops it when forwarding is off (ip_error: counted, no ICMP).
func (p *Protocol) forward(in *netns.Interface, h wire.IPv4, pkt *pktbuf.Buffer, rt netns.RouteResult, routeErr error) {
	mib := p.ns.MIB
	if !forwarding(in) {
		if errors.Is(routeErr, errno.ENETUNREACH) {
			mib.Inc(netns.IPExtInNoRoutes)
			mib.Drop(netns.DropIPInNoRoutes)
		} else {
			mib.Inc(netns.IPInAddrErrors)
			mib.Drop(netns.DropIPInAddrErrors)
		}
		pkt.Release()
		return
	}
	if routeErr != nil {
		code := wire.ICMPv4CodeHostUnreach
		switch {
		case errors.Is(routeErr, errno.ENETUNREACH):
			code = wire.ICMPv4CodeNetUnreach
			mib.Inc(netns.IPExtInNoRoutes)
			mib.Drop(netns.DropIPInNoRoutes)
		case errors.Is(routeErr, errno.EACCES):
			code = wire.ICMPv4CodeAdminProhibited
		case errors.Is(routeErr, errno.EINVAL):
			pkt.Release()
			return
		}
		p.SendError(pkt, wire.ICMPv4DestUnreach, code, 0)
		pkt.Release()
		return
	}
	if h.TTL() <= 1 {
		mib.Inc(netns.IPInHdrErrors)
		p.SendError(pkt, wire.ICMPv4TimeExceeded, wire.ICMPv4CodeTTLExceeded, 0)
		pkt.Release()
		return
	}
	mtu := rt.MTU
	if pm := p.PathMTU(h.Dst()); pm != 0 && pm < mtu {
		mtu = pm
	}
	// A super-segment is cut to the MTU on the way out (ip_exceeds_mtu's
	// skb_gso_validate_network_len), not refused.
	if len(h) > mtu && h.DontFragment() && pkt.GSOType == pktbuf.GSONone {
		mib.Inc(netns.IPFragFails)
		p.SendError(pkt, wire.ICMPv4DestUnreach, wire.ICMPv4CodeFragNeeded, uint32(mtu))
		pkt.Release()
		return
	}
	if pkt.Shared() {
		c := pkt.Clone()
		pkt.Release()
		pkt = c
		h = wire.IPv4(pkt.Bytes())
	}
	// ip_decrease_ttl: the checksum is updated incrementally.
	old := uint16(h.TTL())<<8 | uint16(h.Protocol())
	h.SetTTL(h.TTL() - 1)
	h.SetChecksum(wire.UpdateChecksum16(h.Checksum(), old, uint16(h.TTL())<<8|uint16(h.Protocol())))
	mib.Inc(netns.IPForwDatagrams)
	mib.Add(netns.IPExtOutOctets, uint64(len(h)))
	pkt.ChecksumVerified = false
	_ = p.finishOutput(rt.Iface, rt.NextHop, mtu, pkt)
}
