package udp

import (
	"net/netip"

	"github.com/gosock/gosock/wire"
)

// steerLookup is the socket lookup with the namespace's steering rules
// (netns InterceptRule) in front, as Linux's TPROXY target runs before
// the UDP lookup (nf_tproxy_get_sock_v4): for a matching datagram a
// connected socket of the exact flow takes it, else the transparent
// socket bound to the rule's target does. steered says a rule matched:
// then a nil socket means the datagram is dropped, not answered with
// ICMP port unreachable.
func (p *Proto) steerLookup(src netip.Addr, sport uint16, dst netip.Addr, dport uint16, ifindex int) (s *sock, steered bool) {
	ic := p.ns.MatchIntercept(wire.ProtoUDP, ifindex, dst, dport)
	if ic == nil {
		return p.lookup(src, sport, dst, dport, ifindex), false
	}
	ic.Stats.Matched.Add(1)
	if s := p.lookup(src, sport, dst, dport, ifindex); s != nil && s.sk.Addrs().DstPort != 0 {
		return s, true // NF_TPROXY_LOOKUP_ESTABLISHED: a connected socket only
	}
	t := ic.Target(dst, dport)
	s = p.lookup(src, sport, t.Addr(), t.Port(), ifindex)
	if s == nil || !s.sk.Transparent() {
		ic.Stats.NoSocket.Add(1)
		return nil, true
	}
	ic.Stats.Steered.Add(1)
	return s, true
}
