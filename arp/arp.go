// Package arp resolves IPv4 addresses to Ethernet addresses (RFC 826),
// as Linux's net/ipv4/arp.c: it answers requests for the namespace's
// addresses, learns from requests and replies, and serves as the IPv4
// resolver of the namespace's neighbour tables (netns.NeighTable), which
// hold the states, timers and queues of pending packets.
//
// Linux's defaults are followed: arp_ignore=0 (answer for any local
// address on any interface), arp_announce=0, arp_accept=0 (an unsolicited
// reply or gratuitous ARP updates an existing entry but creates none), and
// a request creates or refreshes a STALE entry for its sender, since a
// reply to it will follow. Duplicate address detection for IPv4 (RFC 5227)
// is not done, as Linux does not do it either.
package arp

import (
	"net/netip"

	"github.com/gosock/gosock/ipv4"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/wire"
)

type stateKey struct{}

// Protocol is ARP in one namespace.
type Protocol struct {
	ns *netns.Namespace
	ip *ipv4.Protocol
}

// Register installs ARP in ns (IPv4 must be registered first) and makes
// it the namespace's IPv4 neighbour resolver.
func Register(ns *netns.Namespace) *Protocol {
	if p, ok := ns.ProtocolState(stateKey{}).(*Protocol); ok {
		return p
	}
	p := &Protocol{ns: ns, ip: ipv4.Of(ns)}
	ns.SetProtocolState(stateKey{}, p)
	ns.RegisterNetwork(wire.EtherTypeARP, p)
	ns.SetNeighProtocol(4, p)
	return p
}

// Input processes one ARP packet (arp_rcv, arp_process).
func (p *Protocol) Input(ifc *netns.Interface, pkt *pktbuf.Buffer) {
	defer pkt.Release()
	a, err := wire.ParseARP(pkt.Bytes())
	if err != nil {
		p.ns.MIB.Drop(netns.DropPktTooSmall)
		return
	}
	if pkt.OtherHost || ifc.IsLoopback() {
		return
	}
	op := a.Op()
	if op != wire.ARPRequest && op != wire.ARPReply {
		return
	}
	sip, tip := a.SenderIP(), a.TargetIP()
	sha := a.SenderHW()
	// Martian senders, and multicast targets, are never learned or answered.
	if sip.IsMulticast() || sip.IsLoopback() || tip.IsMulticast() || tip.IsLoopback() || sha.IsMulticast() {
		return
	}
	if ifc.HasAddress(sip) {
		// Someone else claims our address; Linux neither learns nor
		// answers such a packet.
		return
	}
	table := ifc.Neighbours(4)
	if op == wire.ARPRequest && sip.IsUnspecified() {
		// A probe (RFC 5227): answer if the address is ours, learn
		// nothing.
		if p.isLocal(tip) {
			p.send(ifc, wire.ARPReply, tip, sha, sip, sha)
		}
		return
	}
	if op == wire.ARPRequest && p.isLocal(tip) {
		table.Update(sip, sha, netns.UpdateFlags{Override: true, Create: true})
		p.send(ifc, wire.ARPReply, tip, sha, sip, sha)
		return
	}
	// A reply, or a request for someone else: refresh what we know.
	// Replies addressed to us confirm reachability; broadcast replies and
	// gratuitous ARP leave the entry STALE and create none (arp_accept=0).
	solicited := op == wire.ARPReply && !pkt.Broadcast && !pkt.Multicast
	table.Update(sip, sha, netns.UpdateFlags{Solicited: solicited, Override: true})
}

func (p *Protocol) isLocal(a netip.Addr) bool {
	rt, err := p.ns.Lookup(a, netns.LookupFlags{})
	return err == nil && rt.Local
}

// Solicit sends a request for target (arp_solicit): broadcast, or unicast
// to dst when re-confirming a known entry.
func (p *Protocol) Solicit(ifc *netns.Interface, target netip.Addr, dst wire.MAC) {
	src := p.ns.SelectSource(ifc, target, netns.ScopeLink)
	if !src.IsValid() {
		src = netip.AddrFrom4([4]byte{})
	}
	eth := dst
	if eth == (wire.MAC{}) {
		eth = wire.BroadcastMAC
	}
	p.send(ifc, wire.ARPRequest, src, wire.MAC{}, target, eth)
}

// Unreachable answers a packet that waited for a resolution that failed
// with ICMP host unreachable (arp_error_report).
func (p *Protocol) Unreachable(ifc *netns.Interface, pkt *pktbuf.Buffer) {
	defer pkt.Release()
	if p.ip != nil {
		p.ip.SendError(pkt, wire.ICMPv4DestUnreach, wire.ICMPv4CodeHostUnreach, 0)
	}
}

// send builds and transmits one ARP packet.
func (p *Protocol) send(ifc *netns.Interface, op uint16, sip netip.Addr, tha wire.MAC, tip netip.Addr, ethDst wire.MAC) {
	pkt := pktbuf.New(pktbuf.DefaultHeadroom, wire.ARPLen)
	f := wire.ARPFields{Op: op, SenderHW: ifc.Device().HardwareAddr(), SenderIP: sip, TargetHW: tha, TargetIP: tip}
	f.Encode(wire.ARP(pkt.Bytes()))
	pkt.SetNetworkHeader()
	_ = ifc.TransmitTo(ethDst, wire.EtherTypeARP, pkt)
}
