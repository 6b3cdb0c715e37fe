package ndp_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/gosock/gosock/ipv6"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/ndp"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/wire"
)

// ndpMsg finishes an NDP message (checksum) in an IPv6 packet with hop
// limit 255.
func ndpMsg(src, dst netip.Addr, msg []byte) []byte {
	m := wire.ICMPv6(msg)
	m.SetChecksum(0)
	m.SetChecksum(m.ComputeChecksum(src, dst))
	return ip6(src, dst, wire.ProtoICMPv6, 255, msg)
}

func sllOpt(typ uint8, m wire.MAC) []byte {
	b := make([]byte, 8)
	wire.PutNDPLinkAddrOption(b, typ, m)
	return b
}

func nsMsg(target netip.Addr, opts ...[]byte) []byte {
	f := wire.NDPNeighborSolicitFields{Target: target, Options: cat(opts...)}
	b := make([]byte, f.Len())
	f.Encode(wire.NDPNeighborSolicit(b))
	return b
}

func naMsg(target netip.Addr, flags uint8, opts ...[]byte) []byte {
	f := wire.NDPNeighborAdvertFields{Flags: flags, Target: target, Options: cat(opts...)}
	b := make([]byte, f.Len())
	f.Encode(wire.NDPNeighborAdvert(b))
	return b
}

func nonceOpt(n byte) []byte { return []byte{wire.NDPOptNonce, 1, n, n, n, n, n, n} }

// expectNDP waits for an NDP message of type typ.
func (p *rawPeer) expectNDP(typ wire.ICMPv6Type, match func(wire.IPv6) bool) (wire.IPv6, bool) {
	return p.expect(func(h wire.IPv6) bool {
		return h.NextHeader() == wire.ProtoICMPv6 && len(h.Payload()) >= 8 && wire.ICMPv6(h.Payload()).Type() == typ &&
			(match == nil || match(h))
	})
}

func addrFlags(ifc *netns.Interface, a netip.Addr) (netns.AddrFlags, bool) {
	for _, x := range ifc.Addresses() {
		if x.Addr() == a {
			return x.Flags, true
		}
	}
	return 0, false
}

func TestDADConflict(t *testing.T) {
	bubble(t, func(t *testing.T) {
		// Both configure the same address at once. On a wire without
		// delay, the first to probe wins: the other sees the probe while
		// still tentative and fails (RFC 4862 5.4.3).
		a, b := newNode(t, "a", 1), newNode(t, "b", 2)
		ia, ib := connect(t, a, b, "eth0", "eth0", []string{"2001:db8::1/64"}, []string{"2001:db8::1/64"}, link.PipeConfig{})
		settle(3 * time.Second)
		failed := 0
		for _, ifc := range []*netns.Interface{ia, ib} {
			f, _ := addrFlags(ifc, addr("2001:db8::1"))
			if f&netns.AddrDADFailed != 0 {
				failed++
				if f&netns.AddrTentative == 0 {
					t.Errorf("%s: flags %#x: a failed address must stay tentative", ifc.Namespace().Name(), f)
				}
				if rt, err := ifc.Namespace().Lookup(addr("2001:db8::5"), netns.LookupFlags{}); err == nil && rt.Src == addr("2001:db8::1") {
					t.Errorf("%s: a duplicate address was chosen as a source", ifc.Namespace().Name())
				}
			}
		}
		if failed != 1 {
			t.Errorf("%d of 2 duplicates failed DAD, want 1", failed)
		}
		// With probes crossing on the wire (1.5 s each way, three probes),
		// both fail.
		g, h := newNode(t, "g", 7), newNode(t, "h", 8)
		slow := link.Impairments{Latency: 1500 * time.Millisecond}
		ig, ih := connect(t, g, h, "eth0", "eth0", nil, nil, link.PipeConfig{AtoB: slow, BtoA: slow})
		for _, ifc := range []*netns.Interface{ig, ih} {
			ifc.Namespace().Sysctl.Set("net.ipv6.conf.eth0.dad_transmits", "3")
			ifc.AddAddress(netip.MustParsePrefix("2001:db8::1/64"))
		}
		settle(6 * time.Second)
		for _, ifc := range []*netns.Interface{ig, ih} {
			if f, _ := addrFlags(ifc, addr("2001:db8::1")); f&netns.AddrDADFailed == 0 {
				t.Errorf("%s: flags %#x, want dadfailed", ifc.Namespace().Name(), f)
			}
		}

		// c has the address first and defends it against d's probe.
		c, d := newNode(t, "c", 3), newNode(t, "d", 4)
		ic, id := connect(t, c, d, "eth0", "eth0", []string{"2001:db8::7/64"}, nil, link.PipeConfig{})
		settle(3 * time.Second)
		if err := id.AddAddress(netip.MustParsePrefix("2001:db8::7/64")); err != nil {
			t.Fatal(err)
		}
		if !ndp.Of(d.ns).DADInProgress(id, addr("2001:db8::7")) {
			t.Errorf("no DAD running for a new tentative address")
		}
		nas := icmpOut(c, wire.ICMPv6NeighborAdvert)
		settle(3 * time.Second)
		if f, _ := addrFlags(ic, addr("2001:db8::7")); f&(netns.AddrTentative|netns.AddrDADFailed) != 0 {
			t.Errorf("c: flags %#x, want the address usable", f)
		}
		if f, _ := addrFlags(id, addr("2001:db8::7")); f&netns.AddrDADFailed == 0 {
			t.Errorf("d: flags %#x, want dadfailed", f)
		}
		if icmpOut(c, wire.ICMPv6NeighborAdvert) == nas {
			t.Errorf("c did not defend its address")
		}

		// Same MAC on both ends: the link-local addresses collide.
		e, f := newNode(t, "e", 5), newNode(t, "f", 6)
		mac := wire.MAC{0x02, 0, 0, 0, 0, 0x42}
		ie, jf := connect(t, e, f, "eth0", "eth0", nil, nil, link.PipeConfig{MACs: [2]wire.MAC{mac, mac}})
		settle(3 * time.Second)
		var loser *node
		for i, ifc := range []*netns.Interface{ie, jf} {
			if fl, ok := addrFlags(ifc, ndp.LinkLocal(ifc)); ok && fl&netns.AddrDADFailed != 0 {
				loser = []*node{e, f}[i]
			}
		}
		if loser == nil {
			t.Fatalf("no link-local address failed DAD with equal MACs")
		}
		if icmpOut(loser, wire.ICMPv6RouterSolicit) != 0 {
			t.Errorf("router solicitation sent without a usable link-local address")
		}
	})
}

func TestDADProbesAndNonce(t *testing.T) {
	bubble(t, func(t *testing.T) {
		n := newNode(t, "n", 1)
		p := newRawPeer(t, n, 1500)
		n.ns.Sysctl.Set("net.ipv6.conf.eth0.dad_transmits", "3")
		target := addr("2001:db8::9")
		if err := p.ifc.AddAddress(netip.PrefixFrom(target, 64)); err != nil {
			t.Fatal(err)
		}
		// Three probes from ::, one second apart, to the solicited-node
		// group, with a nonce and without a source link-layer address.
		var probes []wire.IPv6
		var times []time.Time
		for range 3 {
			h, ok := p.expectNDP(wire.ICMPv6NeighborSolicit, func(h wire.IPv6) bool {
				return wire.NDPNeighborSolicit(h.Payload()).Target() == target
			})
			if !ok {
				t.Fatalf("only %d DAD probes", len(probes))
			}
			probes = append(probes, h)
			times = append(times, time.Now())
		}
		for i, h := range probes {
			ns := wire.NDPNeighborSolicit(h.Payload())
			it := ns.OptionIter()
			var nonce, sll bool
			for it.Next() {
				nonce = nonce || it.Type() == wire.NDPOptNonce
				sll = sll || it.Type() == wire.NDPOptSourceLinkAddr
			}
			if !h.Src().IsUnspecified() || h.Dst() != ipv6.SolicitedNode(target) || h.HopLimit() != 255 || !nonce || sll {
				t.Errorf("probe %d: %v (nonce %v, source link-layer option %v)", i, h, nonce, sll)
			}
			if i > 0 && times[i].Sub(times[i-1]) != time.Second {
				t.Errorf("probe %d came %v after the previous one, want 1s (retrans_time)", i, times[i].Sub(times[i-1]))
			}
		}
		// Our own probe looped back (same nonce) is not a conflict.
		p.send(probes[0][:len(probes[0]):len(probes[0])])
		synctestWait()
		if f, _ := addrFlags(p.ifc, target); f&netns.AddrDADFailed != 0 {
			t.Fatalf("own looped-back probe failed DAD")
		}
		// Someone else's probe (another nonce) is.
		other := ndpMsg(netip.IPv6Unspecified(), ipv6.SolicitedNode(target), nsMsg(target, nonceOpt(9)))
		p.send(other)
		synctestWait()
		if f, _ := addrFlags(p.ifc, target); f&netns.AddrDADFailed == 0 {
			t.Errorf("another node's DAD probe did not fail ours: flags %#x", f)
		}
		// A tentative address answers no solicitation.
		t2 := addr("2001:db8::a")
		p.ifc.AddAddress(netip.PrefixFrom(t2, 64))
		p.drain()
		p.send(ndpMsg(peerAddr, ipv6.SolicitedNode(t2), nsMsg(t2, sllOpt(wire.NDPOptSourceLinkAddr, p.mac))))
		if _, ok := p.expectNDP(wire.ICMPv6NeighborAdvert, nil); ok {
			t.Errorf("a tentative address was advertised")
		}
		// An advertisement for it means someone has it.
		p.send(ndpMsg(peerAddr, nodeAddr, naMsg(t2, wire.NDPFlagSolicited|wire.NDPFlagOverride, sllOpt(wire.NDPOptTargetLinkAddr, p.mac))))
		synctestWait()
		if f, _ := addrFlags(p.ifc, t2); f&netns.AddrDADFailed == 0 {
			t.Errorf("an advertisement for a tentative address did not fail DAD")
		}
	})
}

func TestNeighborSolicitation(t *testing.T) {
	bubble(t, func(t *testing.T) {
		n := newNode(t, "n", 1)
		p := newRawPeer(t, n, 1500)
		p.ifc.Neighbours(6).Delete(peerAddr)
		settle(3 * time.Second)
		p.drain()
		sll := sllOpt(wire.NDPOptSourceLinkAddr, p.mac)
		snm := ipv6.SolicitedNode(nodeAddr)
		na := func(what string) (wire.IPv6, wire.NDPNeighborAdvert) {
			t.Helper()
			h, ok := p.expectNDP(wire.ICMPv6NeighborAdvert, nil)
			if !ok {
				t.Fatalf("%s: no advertisement", what)
			}
			return h, wire.NDPNeighborAdvert(h.Payload())
		}
		tlla := func(m wire.NDPNeighborAdvert) bool {
			it := m.OptionIter()
			for it.Next() {
				if mac, ok := it.LinkAddr(); ok && it.Type() == wire.NDPOptTargetLinkAddr && mac == p.ifc.Device().HardwareAddr() {
					return true
				}
			}
			return false
		}

		// Multicast solicitation: solicited, override, with the target's
		// link-layer address; the solicitor becomes a STALE neighbour.
		p.send(ndpMsg(peerAddr, snm, nsMsg(nodeAddr, sll)))
		h, m := na("multicast NS")
		if h.Dst() != peerAddr || h.Src() != nodeAddr || h.HopLimit() != 255 || m.Target() != nodeAddr ||
			m.Flags() != wire.NDPFlagSolicited|wire.NDPFlagOverride || !tlla(m) {
			t.Errorf("answer to a multicast NS: %v", m)
		}
		// (STALE from the solicitation, DELAY once the answer used it.)
		if e, ok := p.ifc.Neighbours(6).Lookup(peerAddr); !ok || e.State != netns.NeighDelay || e.MAC != p.mac {
			t.Errorf("solicitor's entry: %+v (present %v), want DELAY with its MAC", e, ok)
		}
		// Unicast solicitation (a reachability probe): solicited only, no
		// option (as Linux: override only for multicast).
		p.send(ndpMsg(peerAddr, nodeAddr, nsMsg(nodeAddr, sll)))
		if _, m := na("unicast NS"); m.Flags() != wire.NDPFlagSolicited || tlla(m) {
			t.Errorf("answer to a unicast NS: %v", m)
		}
		// A router says so.
		n.ns.Sysctl.Set("net.ipv6.conf.all.forwarding", "1")
		p.send(ndpMsg(peerAddr, snm, nsMsg(nodeAddr, sll)))
		if _, m := na("NS to a router"); !m.Router() {
			t.Errorf("a forwarding node's advertisement lacks the router flag")
		}
		n.ns.Sysctl.Set("net.ipv6.conf.all.forwarding", "0")
		// A DAD probe for an address in use is answered to all nodes.
		p.send(ndpMsg(netip.IPv6Unspecified(), snm, nsMsg(nodeAddr, nonceOpt(1))))
		if h, m := na("DAD NS"); h.Dst() != ipv6.AllNodes || m.Flags() != wire.NDPFlagOverride || !tlla(m) {
			t.Errorf("defence of an address: %v to %s", m, h.Dst())
		}

		// Invalid solicitations are dropped, each for its reason.
		mib := n.ns.MIB
		cases := []struct {
			what   string
			pkt    []byte
			reason netns.DropReason
		}{
			{"hop limit 64", func() []byte { b := ndpMsg(peerAddr, snm, nsMsg(nodeAddr, sll)); b[7] = 64; return b }(), netns.DropIPv6NdiscHopLimit},
			{"code 1", func() []byte { m := nsMsg(nodeAddr, sll); m[1] = 1; return ndpMsg(peerAddr, snm, m) }(), netns.DropIPv6NdiscBadCode},
			{"zero-length option", ndpMsg(peerAddr, snm, nsMsg(nodeAddr, []byte{1, 0, 0, 0, 0, 0, 0, 0})), netns.DropIPv6NdiscBadOptions},
			{"someone else's address", ndpMsg(peerAddr, nodeAddr, nsMsg(addr("2001:db8::77"), sll)), netns.DropIPv6NdiscNSOtherHost},
			{"multicast target", ndpMsg(peerAddr, snm, nsMsg(addr("ff02::1"), sll)), netns.DropNotSpecified},
			{"DAD to a unicast address", ndpMsg(netip.IPv6Unspecified(), nodeAddr, nsMsg(nodeAddr)), netns.DropNotSpecified},
			{"DAD with a source link-layer address", ndpMsg(netip.IPv6Unspecified(), snm, nsMsg(nodeAddr, sll)), netns.DropNotSpecified},
			{"truncated", ndpMsg(peerAddr, snm, nsMsg(nodeAddr)[:20]), netns.DropPktTooSmall},
		}
		for _, c := range cases {
			before := mib.DropCount(c.reason)
			p.send(c.pkt)
			synctestWait()
			if mib.DropCount(c.reason) == before {
				t.Errorf("%s: not dropped as %v", c.what, c.reason)
			}
		}
		if _, ok := p.expectNDP(wire.ICMPv6NeighborAdvert, nil); ok {
			t.Errorf("an invalid solicitation was answered")
		}
	})
}

func TestNeighborResolution(t *testing.T) {
	bubble(t, func(t *testing.T) {
		n := newNode(t, "n", 1)
		p := newRawPeer(t, n, 1500)
		settle(3 * time.Second)
		p.drain()
		target := addr("2001:db8::3")
		table := p.ifc.Neighbours(6)

		// An unsolicited advertisement about a stranger creates nothing.
		p.send(ndpMsg(target, ipv6.AllNodes, naMsg(target, wire.NDPFlagOverride, sllOpt(wire.NDPOptTargetLinkAddr, p.mac))))
		synctestWait()
		if _, ok := table.Lookup(target); ok {
			t.Errorf("an unsolicited advertisement created an entry")
		}

		// Resolution: a multicast solicitation from our address in the
		// target's prefix, with our link-layer address.
		if err := n.sendEcho(target, 0, 1, 8, 0); err != nil {
			t.Fatal(err)
		}
		h, ok := p.expectNDP(wire.ICMPv6NeighborSolicit, func(h wire.IPv6) bool {
			return wire.NDPNeighborSolicit(h.Payload()).Target() == target
		})
		if !ok || h.Dst() != ipv6.SolicitedNode(target) || h.Src() != nodeAddr {
			t.Fatalf("solicitation for %s: %v", target, h)
		}
		// A solicited advertisement to a multicast address is invalid.
		p.send(ndpMsg(target, ipv6.AllNodes, naMsg(target, wire.NDPFlagSolicited|wire.NDPFlagOverride, sllOpt(wire.NDPOptTargetLinkAddr, p.mac))))
		synctestWait()
		if e, _ := table.Lookup(target); e.State != netns.NeighIncomplete {
			t.Errorf("entry %v after a multicast solicited NA, want INCOMPLETE", e.State)
		}
		// The answer: REACHABLE, and the queued echo goes out.
		p.send(ndpMsg(target, nodeAddr, naMsg(target, wire.NDPFlagSolicited|wire.NDPFlagOverride|wire.NDPFlagRouter, sllOpt(wire.NDPOptTargetLinkAddr, p.mac))))
		if _, ok := p.expect(func(h wire.IPv6) bool { return h.Dst() == target && h.NextHeader() == wire.ProtoICMPv6 }); !ok {
			t.Errorf("queued packet not sent after resolution")
		}
		if e, _ := table.Lookup(target); e.State != netns.NeighReachable || e.MAC != p.mac || !e.IsRouter {
			t.Errorf("entry %+v, want REACHABLE router at %v", e, p.mac)
		}
		// A non-override advertisement with another address only makes
		// the entry STALE (RFC 4861 7.2.5).
		other := wire.MAC{0x02, 9, 9, 9, 9, 9}
		p.send(ndpMsg(target, nodeAddr, naMsg(target, wire.NDPFlagSolicited, sllOpt(wire.NDPOptTargetLinkAddr, other))))
		synctestWait()
		if e, _ := table.Lookup(target); e.State != netns.NeighStale || e.MAC != p.mac {
			t.Errorf("entry %+v after a non-override NA, want STALE at the old address", e)
		}

		// Nobody answers: three multicast solicitations one second apart,
		// then ICMPv6 address unreachable for the queued packet.
		gone := addr("2001:db8::4")
		unreach := icmpIn(n, wire.ICMPv6DestUnreach)
		p.drain()
		if err := n.sendEcho(gone, 0, 2, 8, 0); err != nil {
			t.Fatal(err)
		}
		count := 0
		for {
			if _, ok := p.expectNDP(wire.ICMPv6NeighborSolicit, func(h wire.IPv6) bool {
				return wire.NDPNeighborSolicit(h.Payload()).Target() == gone
			}); !ok {
				break
			}
			count++
		}
		if count != 3 {
			t.Errorf("%d solicitations for an absent neighbour, want mcast_solicit 3", count)
		}
		if e, _ := table.Lookup(gone); e.State != netns.NeighFailed {
			t.Errorf("entry %v, want FAILED", e.State)
		}
		if icmpIn(n, wire.ICMPv6DestUnreach)-unreach != 1 || icmpOut(n, wire.ICMPv6DestUnreach) == 0 {
			t.Errorf("no ICMPv6 address unreachable for the dropped packet")
		}
	})
}
