package pinger

import (
	"net/netip"

	"github.com/gosock/gosock/ipv6"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/wire"
)

// registerV6 installs p as the IPv6 echo reply receiver, if IPv6 is there.
func registerV6(ns *netns.Namespace, p *Pinger) {
	if v6 := ipv6.Of(ns); v6 != nil {
		v6.AddEchoHook(p.receive6)
	}
}

func (p *Pinger) receive6(pkt *pktbuf.Buffer, info *netns.PacketInfo) bool {
	m, err := wire.ParseICMPv6(pkt.Bytes())
	if err != nil || m.Type() != wire.ICMPv6EchoReply || m.Ident() != p.ident {
		return false
	}
	p.deliver(info, m.Seq(), m.Payload())
	pkt.Release()
	return true
}

// send6 turns the echo request's buffer (ICMP header space and payload)
// into an ICMPv6 echo request and sends it.
func send6(p *Pinger, rt *netns.RouteResult, dst netip.Addr, seq uint16, pkt *pktbuf.Buffer) error {
	m := wire.ICMPv6(pkt.Bytes())
	f := wire.ICMPv6Fields{Type: wire.ICMPv6EchoRequest, Ident: p.ident, Seq: seq}
	f.Encode(m)
	m.SetChecksum(m.ComputeChecksum(rt.Src, dst))
	return ipv6.Of(p.ns).Output(rt, &ipv6.Header{Src: rt.Src, Dst: dst, NextHeader: wire.ProtoICMPv6}, pkt)
}
