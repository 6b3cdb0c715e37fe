package ndp

import (
	"net/netip"
	"sync"

	"github.com/gosock/gosock/ipv6"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/wire"
)

type stateKey struct{}

// Protocol is Neighbour Discovery in one namespace.
type Protocol struct {
	ns *netns.Namespace
	ip *ipv6.Protocol

	mu  sync.Mutex
	ifs map[*netns.Interface]*ifState
}

// Register installs NDP in ns, registering IPv6 first if it is not yet,
// and makes it the namespace's IPv6 neighbour resolver and the ipv6
// layer's NDP handler. Interfaces already up are configured at once. A
// second call returns the instance already installed.
func Register(ns *netns.Namespace) *Protocol {
	if p := Of(ns); p != nil {
		return p
	}
	p := &Protocol{ns: ns, ip: ipv6.Register(ns), ifs: make(map[*netns.Interface]*ifState)}
	ns.SetProtocolState(stateKey{}, p)
	p.ip.SetNDPHandler(p)
	ns.SetNeighProtocol(6, p)
	ns.AddObserver(p)
	for _, ifc := range ns.Interfaces() {
		if ifc.IsUp() {
			p.LinkChanged(ifc, true)
		}
	}
	return p
}

// Of returns the NDP instance registered in ns, or nil.
func Of(ns *netns.Namespace) *Protocol {
	p, _ := ns.ProtocolState(stateKey{}).(*Protocol)
	return p
}

// configured reports whether NDP runs on an interface: Ethernet, not
// loopback, not NOARP, with IPv6 tables (an MTU of at least 1280).
func configured(ifc *netns.Interface) bool {
	if ifc.IsLoopback() || ifc.Device().Type() != link.TypeEthernet || ifc.Device().Flags()&link.FlagNoARP != 0 {
		return false
	}
	_, ok := conf(ifc, netns.Conf6DisableIPv6)
	return ok
}

// conf reads net.ipv6.conf.DEV.key of an interface.
func conf(ifc *netns.Interface, k netns.Key) (int64, bool) {
	return ifc.Namespace().Sysctl.DevInt(ifc.Name(), k)
}

// confInt is conf without the presence flag.
func confInt(ifc *netns.Interface, k netns.Key) int64 {
	v, _ := conf(ifc, k)
	return v
}

// confAll reads net.ipv6.conf.all.key.
func confAll(ns *netns.Namespace, k netns.Key) int64 {
	v, _ := ns.Sysctl.DevInt("all", k)
	return v
}

// neighInt reads net.ipv6.neigh.DEV.key of an interface.
func neighInt(ifc *netns.Interface, k netns.Key) int64 {
	v, _ := ifc.Namespace().Sysctl.DevInt(ifc.Name(), k)
	return v
}

// options are the NDP options Linux's ndisc_parse_options picks out: the
// first of each single option, every prefix information option.
type options struct {
	srcLL, tgtLL   []byte // whole options
	nonce          []byte // whole option
	mtu            []byte
	prefixes       []wire.NDPPrefixInfo
	hasSrc, hasTgt bool
}

// parseOptions walks an options area; false means a malformed option
// (zero length or running past the end), which invalidates the message.
func parseOptions(b []byte) (options, bool) {
	var o options
	it := wire.NewNDPOptionIter(b)
	for it.Next() {
		opt := it.Option()
		switch it.Type() {
		case wire.NDPOptSourceLinkAddr:
			if !o.hasSrc {
				o.srcLL, o.hasSrc = opt, true
			}
		case wire.NDPOptTargetLinkAddr:
			if !o.hasTgt {
				o.tgtLL, o.hasTgt = opt, true
			}
		case wire.NDPOptNonce:
			if o.nonce == nil {
				o.nonce = opt
			}
		case wire.NDPOptMTU:
			if o.mtu == nil {
				o.mtu = opt
			}
		case wire.NDPOptPrefixInfo:
			if pi, ok := it.PrefixInfo(); ok {
				o.prefixes = append(o.prefixes, pi)
			}
		}
	}
	return o, it.Err() == nil
}

// linkAddr decodes a link-layer address option for Ethernet
// (ndisc_opt_addr_data): it must be exactly 8 bytes.
func linkAddr(opt []byte) (wire.MAC, bool) {
	if len(opt) != wire.NDPLinkAddrOptionLen {
		return wire.MAC{}, false
	}
	return wire.MAC(opt[2:8]), true
}

// dadNonce returns a nonce option's 6 bytes, if it is one unit long.
func dadNonce(opt []byte) (uint64, bool) {
	if len(opt) != 8 {
		return 0, false
	}
	var n uint64
	for _, c := range opt[2:8] {
		n = n<<8 | uint64(c)
	}
	return n, n != 0
}

// HandleNDP processes one Neighbour Discovery message (ndisc_rcv); the
// ipv6 layer has checked its checksum and hop limit.
func (p *Protocol) HandleNDP(pkt *pktbuf.Buffer, info *netns.PacketInfo) {
	defer pkt.Release()
	mib := p.ns.MIB
	ifc := info.Iface
	if !configured(ifc) {
		mib.Drop(netns.DropNotSpecified)
		return
	}
	m := wire.ICMPv6(pkt.Bytes())
	if m.Code() != 0 {
		mib.Drop(netns.DropIPv6NdiscBadCode)
		return
	}
	switch m.Type() {
	case wire.ICMPv6NeighborSolicit:
		p.recvNS(ifc, pkt, info)
	case wire.ICMPv6NeighborAdvert:
		p.recvNA(ifc, pkt, info)
	case wire.ICMPv6RouterSolicit:
		p.recvRS(ifc, pkt, info)
	case wire.ICMPv6RouterAdvert:
		p.recvRA(ifc, pkt, info)
	default:
		// Redirects: not acted on (see the package doc).
		mib.Drop(netns.DropNotSpecified)
	}
}

// findAddr returns the interface's address addr, if configured.
func findAddr(ifc *netns.Interface, addr netip.Addr) (netns.Address, bool) {
	for _, a := range ifc.Addresses() {
		if a.Addr() == addr {
			return a, true
		}
	}
	return netns.Address{}, false
}

// recvNS handles a neighbour solicitation (ndisc_recv_ns, RFC 4861
// 7.1.1 and 7.2.3).
func (p *Protocol) recvNS(ifc *netns.Interface, pkt *pktbuf.Buffer, info *netns.PacketInfo) {
	mib := p.ns.MIB
	ns, err := wire.ParseNDPNeighborSolicit(pkt.Bytes())
	if err != nil {
		mib.Drop(netns.DropPktTooSmall)
		return
	}
	target := ns.Target()
	if target.IsMulticast() {
		mib.Drop(netns.DropNotSpecified)
		return
	}
	dad := info.Src.IsUnspecified()
	if dad && !ipv6.IsSolicitedNode(info.Dst) {
		// A DAD probe must go to the solicited-node group.
		mib.Drop(netns.DropNotSpecified)
		return
	}
	opts, ok := parseOptions(ns.Options())
	if !ok {
		mib.Drop(netns.DropIPv6NdiscBadOptions)
		return
	}
	var lladdr wire.MAC
	if opts.hasSrc {
		if lladdr, ok = linkAddr(opts.srcLL); !ok || dad {
			// Bad length, or a source link-layer address option from the
			// unspecified address (forbidden by RFC 4861 7.1.1).
			mib.Drop(netns.DropNotSpecified)
			return
		}
	}
	a, ours := findAddr(ifc, target)
	if !ours {
		// Neither anycast nor proxy NDP is implemented.
		mib.Drop(netns.DropIPv6NdiscNSOtherHost)
		return
	}
	if a.Flags&netns.AddrTentative != 0 {
		if dad {
			if n, ok := dadNonce(opts.nonce); ok && p.ownNonce(ifc, target, n) {
				return // our own probe, looped back
			}
			// Another node is doing DAD for the same address.
			p.dadFailed(ifc, target)
		}
		// Tentative addresses answer no one (RFC 4862 5.4.3).
		return
	}
	router := confInt(ifc, netns.Conf6Forwarding) != 0
	if dad {
		// Defend the address: to all nodes, unsolicited, override.
		p.sendNA(ifc, ipv6.AllNodes, target, router, false, true, true)
		return
	}
	mcast := info.Dst.IsMulticast()
	switch {
	case opts.hasSrc:
		ifc.Neighbours(6).Update(info.Src, lladdr, netns.UpdateFlags{Override: true, Create: true})
	case mcast:
		// Without the option Linux makes no entry for the solicitor, and
		// answers only one it already knows.
		if _, known := ifc.Neighbours(6).Lookup(info.Src); !known {
			return
		}
	}
	p.sendNA(ifc, info.Src, target, router, true, mcast, mcast)
}

// recvNA handles a neighbour advertisement (ndisc_recv_na, RFC 4861
// 7.1.2 and 7.2.5).
func (p *Protocol) recvNA(ifc *netns.Interface, pkt *pktbuf.Buffer, info *netns.PacketInfo) {
	mib := p.ns.MIB
	na, err := wire.ParseNDPNeighborAdvert(pkt.Bytes())
	if err != nil {
		mib.Drop(netns.DropPktTooSmall)
		return
	}
	target := na.Target()
	if target.IsMulticast() || info.Dst.IsMulticast() && na.Solicited() {
		mib.Drop(netns.DropNotSpecified)
		return
	}
	if !na.Solicited() && confInt(ifc, netns.Conf6DropUnsolicitedNA) != 0 {
		mib.Drop(netns.DropNotSpecified)
		return
	}
	opts, ok := parseOptions(na.Options())
	if !ok {
		mib.Drop(netns.DropIPv6NdiscBadOptions)
		return
	}
	var lladdr wire.MAC
	if opts.hasTgt {
		if lladdr, ok = linkAddr(opts.tgtLL); !ok {
			mib.Drop(netns.DropNotSpecified)
			return
		}
	}
	if a, ours := findAddr(ifc, target); ours {
		if a.Flags&netns.AddrTentative != 0 {
			// Someone already has the address we are probing.
			p.dadFailed(ifc, target)
		}
		// Otherwise someone advertises our address: nothing to learn.
		mib.Drop(netns.DropNotSpecified)
		return
	}
	table := ifc.Neighbours(6)
	e, known := table.Lookup(target)
	if !known || e.State == netns.NeighFailed {
		// No entry (accept_untracked_na is 0): unsolicited news about a
		// stranger is not cached.
		mib.Drop(netns.DropNotSpecified)
		return
	}
	if !opts.hasTgt {
		// Without the option only a valid entry can be confirmed.
		if e.State&(netns.NeighReachable|netns.NeighStale|netns.NeighDelay|netns.NeighProbe|netns.NeighPermanent|netns.NeighNoARP) == 0 {
			mib.Drop(netns.DropNotSpecified)
			return
		}
		lladdr = e.MAC
	}
	table.Update(target, lladdr, netns.UpdateFlags{
		Solicited: na.Solicited(), Override: na.Override(),
		IsRouter: na.Router(), HasRouter: true,
	})
}

// recvRS handles a router solicitation (ndisc_recv_rs): only a router
// learns from it, the solicitor's address as a STALE non-router entry.
func (p *Protocol) recvRS(ifc *netns.Interface, pkt *pktbuf.Buffer, info *netns.PacketInfo) {
	rs, err := wire.ParseNDPRouterSolicit(pkt.Bytes())
	if err != nil {
		p.ns.MIB.Drop(netns.DropPktTooSmall)
		return
	}
	if confInt(ifc, netns.Conf6Forwarding) == 0 || info.Src.IsUnspecified() {
		return
	}
	opts, ok := parseOptions(rs.Options())
	if !ok {
		p.ns.MIB.Drop(netns.DropIPv6NdiscBadOptions)
		return
	}
	if !opts.hasSrc {
		return
	}
	mac, ok := linkAddr(opts.srcLL)
	if !ok {
		return
	}
	ifc.Neighbours(6).Update(info.Src, mac, netns.UpdateFlags{Override: true, Create: true, HasRouter: true})
}

// Solicit sends a neighbour solicitation for target (ndisc_solicit):
// to its solicited-node group when dst is zero, else unicast to dst to
// re-confirm a known entry. The source is one of the interface's usable
// addresses; with none, nothing is sent (as Linux without a link-local
// address).
func (p *Protocol) Solicit(ifc *netns.Interface, target netip.Addr, dst wire.MAC) {
	src := sourceFor(ifc, target)
	if !src.IsValid() {
		return
	}
	if dst == (wire.MAC{}) {
		p.sendNS(ifc, src, ipv6.SolicitedNode(target), target, wire.MAC{}, 0)
		return
	}
	p.sendNS(ifc, src, target, target, dst, 0)
}

// sourceFor picks the source of a solicitation on ifc: a usable address
// whose prefix holds the target, else the usable link-local one, else
// any usable one.
func sourceFor(ifc *netns.Interface, target netip.Addr) netip.Addr {
	var ll, any netip.Addr
	for _, a := range ifc.Addresses() {
		if !a.Addr().Is6() || !a.Usable() {
			continue
		}
		if a.Prefix.Contains(target) && !a.Addr().IsLoopback() {
			return a.Addr()
		}
		if a.Addr().IsLinkLocalUnicast() && !ll.IsValid() {
			ll = a.Addr()
		}
		if !any.IsValid() {
			any = a.Addr()
		}
	}
	if ll.IsValid() {
		return ll
	}
	return any
}

// Unreachable answers a packet that waited for a resolution that failed
// with ICMPv6 address unreachable (ndisc_error_report).
func (p *Protocol) Unreachable(ifc *netns.Interface, pkt *pktbuf.Buffer) {
	defer pkt.Release()
	p.ip.SendError(pkt, wire.ICMPv6DestUnreach, wire.ICMPv6CodeAddrUnreach, 0)
}

// sendNS builds and sends a neighbour solicitation from src (the
// unspecified address for DAD, then with a nonce and without a source
// link-layer address option) to dst, at the link layer to mac if set.
func (p *Protocol) sendNS(ifc *netns.Interface, src, dst, target netip.Addr, mac wire.MAC, nonce uint64) {
	var opts [16]byte
	n := 0
	if !src.IsUnspecified() {
		n += wire.PutNDPLinkAddrOption(opts[n:], wire.NDPOptSourceLinkAddr, ifc.Device().HardwareAddr())
	}
	if nonce != 0 {
		opts[n], opts[n+1] = wire.NDPOptNonce, 1
		for i := range 6 {
			opts[n+2+i] = byte(nonce >> (8 * (5 - i)))
		}
		n += 8
	}
	f := wire.NDPNeighborSolicitFields{Target: target, Options: opts[:n]}
	pkt := pktbuf.New(pktbuf.DefaultHeadroom, f.Len())
	f.Encode(wire.NDPNeighborSolicit(pkt.Bytes()))
	p.send(ifc, src, dst, mac, pkt)
}

// sendNA builds and sends a neighbour advertisement for target
// (ndisc_send_na), from target itself.
func (p *Protocol) sendNA(ifc *netns.Interface, dst, target netip.Addr, router, solicited, override, withTLLA bool) {
	if confInt(ifc, netns.Conf6ForceTllao) != 0 {
		withTLLA = true
	}
	var opts [8]byte
	n := 0
	if withTLLA {
		n = wire.PutNDPLinkAddrOption(opts[:], wire.NDPOptTargetLinkAddr, ifc.Device().HardwareAddr())
	}
	var flags uint8
	if router {
		flags |= wire.NDPFlagRouter
	}
	if solicited {
		flags |= wire.NDPFlagSolicited
	}
	if override {
		flags |= wire.NDPFlagOverride
	}
	f := wire.NDPNeighborAdvertFields{Flags: flags, Target: target, Options: opts[:n]}
	pkt := pktbuf.New(pktbuf.DefaultHeadroom, f.Len())
	f.Encode(wire.NDPNeighborAdvert(pkt.Bytes()))
	p.send(ifc, target, dst, wire.MAC{}, pkt)
}

// sendRS sends a router solicitation from src to all routers.
func (p *Protocol) sendRS(ifc *netns.Interface, src netip.Addr) {
	var opts [8]byte
	n := 0
	if !src.IsUnspecified() {
		n = wire.PutNDPLinkAddrOption(opts[:], wire.NDPOptSourceLinkAddr, ifc.Device().HardwareAddr())
	}
	f := wire.NDPRouterSolicitFields{Options: opts[:n]}
	pkt := pktbuf.New(pktbuf.DefaultHeadroom, f.Len())
	f.Encode(wire.NDPRouterSolicit(pkt.Bytes()))
	p.send(ifc, src, ipv6.AllRouters, wire.MAC{}, pkt)
}

// send finishes an NDP message (checksum) and sends it with hop limit 255
// and traffic class ndisc_tclass (ndisc_send_skb): straight to mac when
// given, else through the neighbour layer (multicast destinations map to
// their group's link-layer address).
func (p *Protocol) send(ifc *netns.Interface, src, dst netip.Addr, mac wire.MAC, pkt *pktbuf.Buffer) {
	m := wire.ICMPv6(pkt.Bytes())
	m.SetChecksum(m.ComputeChecksum(src, dst))
	h := &ipv6.Header{Src: src, Dst: dst, NextHeader: wire.ProtoICMPv6, HopLimit: 255,
		TrafficClass: uint8(confInt(ifc, netns.Conf6NdiscTclass))}
	if mac != (wire.MAC{}) {
		_ = p.ip.OutputTo(ifc, mac, h, pkt)
		return
	}
	rt := netns.RouteResult{Iface: ifc, NextHop: dst, Src: src, MTU: ifc.MTU(), Multicast: dst.IsMulticast()}
	_ = p.ip.Output(&rt, h, pkt)
}
