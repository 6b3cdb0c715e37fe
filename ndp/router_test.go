package ndp_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/gosock/gosock/ipv6"
	"github.com/gosock/gosock/ndp"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/wire"
)

var routerLL = netip.MustParseAddr("fe80::1")

// raMsg builds a router advertisement with a source link-layer address.
func (p *rawPeer) raMsg(f wire.NDPRouterAdvertFields, opts ...[]byte) []byte {
	f.Options = cat(append([][]byte{sllOpt(wire.NDPOptSourceLinkAddr, p.mac)}, opts...)...)
	b := make([]byte, f.Len())
	f.Encode(wire.NDPRouterAdvert(b))
	return b
}

func prefixOpt(prefix string, flags uint8, valid, preferred uint32) []byte {
	b := make([]byte, wire.NDPPrefixInfoOptionLen)
	pf := netip.MustParsePrefix(prefix)
	f := wire.NDPPrefixInfoFields{PrefixLength: uint8(pf.Bits()), Flags: flags, ValidLifetime: valid, PreferredLifetime: preferred, Prefix: pf.Addr()}
	f.Encode(wire.NDPPrefixInfo(b))
	return b
}

func mtuOpt(mtu uint32) []byte {
	b := make([]byte, wire.NDPMTUOptionLen)
	wire.PutNDPMTUOption(b, mtu)
	return b
}

func findRoute(ns *netns.Namespace, dst string, gw netip.Addr) (netns.Route, bool) {
	for _, r := range ns.Routes(true) {
		if r.Dst == netip.MustParsePrefix(dst) && r.Gateway == gw {
			return r, true
		}
	}
	return netns.Route{}, false
}

func TestLinkLocalAndRouterSolicitation(t *testing.T) {
	bubble(t, func(t *testing.T) {
		n := newNode(t, "n", 1)
		n.ns.Sysctl.Set("net.ipv6.conf.default.router_solicitations", "3")
		start := time.Now()
		p := newRawPeer(t, n, 1500)
		ll := ndp.LinkLocal(p.ifc)
		mac := p.ifc.Device().HardwareAddr()
		want := netip.AddrFrom16([16]byte{0xfe, 0x80, 8: mac[0] ^ 2, 9: mac[1], 10: mac[2], 11: 0xff, 12: 0xfe, 13: mac[3], 14: mac[4], 15: mac[5]})
		if ll != want {
			t.Errorf("link-local %s, want %s (modified EUI-64)", ll, want)
		}
		if f, ok := addrFlags(p.ifc, ll); !ok || f&netns.AddrTentative == 0 {
			t.Fatalf("link-local address flags %#x (present %v), want tentative", f, ok)
		}
		// Router solicitations once it is usable: three, the second about
		// router_solicitation_interval (4 s, +-10%) after the first, the
		// third router_solicitation_delay after that.
		var at []time.Duration
		for range 30 { // a minute, two seconds at a time
			h, ok := p.expectNDP(wire.ICMPv6RouterSolicit, nil)
			if !ok {
				continue
			}
			if h.Src() != ll || h.Dst() != ipv6.AllRouters || h.HopLimit() != 255 {
				t.Errorf("router solicitation %v", h)
			}
			at = append(at, time.Since(start))
		}
		if len(at) != 3 {
			t.Fatalf("%d router solicitations (at %v), want 3", len(at), at)
		}
		if f, _ := addrFlags(p.ifc, ll); f&netns.AddrTentative != 0 || at[0] > 2*time.Second {
			t.Errorf("first solicitation at %v, link-local flags %#x", at[0], f)
		}
		if d := at[1] - at[0]; d < 3600*time.Millisecond || d > 4400*time.Millisecond {
			t.Errorf("second solicitation %v after the first, want 4s+-10%%", d)
		}
		// The interval doubles (x1.9 to x2.1); router_solicitation_delay
		// is the wait after the last one, before giving up.
		if d, prev := at[2]-at[1], at[1]-at[0]; d < prev*19/10 || d > prev*21/10 {
			t.Errorf("third solicitation %v after the second, want about twice %v", d, prev)
		}
		// Down removes the link-local address; up brings it back.
		p.ifc.SetUp(false)
		if p.ifc.HasAddress(ll) {
			t.Errorf("link-local address kept over down")
		}
		p.ifc.SetUp(true)
		settle(3 * time.Second)
		if f, ok := addrFlags(p.ifc, ll); !ok || f&netns.AddrTentative != 0 {
			t.Errorf("link-local after up: flags %#x present %v", f, ok)
		}
	})
}

func TestRouterSolicitationRules(t *testing.T) {
	bubble(t, func(t *testing.T) {
		// Linux's default (-1) solicits forever, backing off to an hour.
		n := newNode(t, "n", 1)
		p := newRawPeer(t, n, 1500)
		settle(200 * time.Second)
		if c := icmpOut(n, wire.ICMPv6RouterSolicit); c < 5 || c > 8 {
			t.Errorf("%d router solicitations in 200s, want about 6", c)
		}
		// An advertisement stops them.
		p.send(ndpMsg(routerLL, ipv6.AllNodes, p.raMsg(wire.NDPRouterAdvertFields{})))
		settle(time.Second)
		c := icmpOut(n, wire.ICMPv6RouterSolicit)
		settle(4000 * time.Second)
		if icmpOut(n, wire.ICMPv6RouterSolicit) != c {
			t.Errorf("router solicitations went on after an advertisement")
		}
		// A router does not solicit.
		r := newNode(t, "r", 2)
		r.ns.Sysctl.Set("net.ipv6.conf.all.forwarding", "1")
		newRawPeer(t, r, 1500)
		settle(20 * time.Second)
		if icmpOut(r, wire.ICMPv6RouterSolicit) != 0 {
			t.Errorf("a forwarding node solicited routers")
		}
	})
}

func TestRouterAdvertisement(t *testing.T) {
	bubble(t, func(t *testing.T) {
		n := newNode(t, "n", 1)
		p := newRawPeer(t, n, 1500)
		settle(3 * time.Second)
		ra := p.raMsg(wire.NDPRouterAdvertFields{CurHopLimit: 42, RouterLifetime: 1800, ReachableTime: 20000, RetransTimer: 500},
			mtuOpt(1400), prefixOpt("2001:db8:5::/64", wire.NDPPrefixFlagOnLink|wire.NDPPrefixFlagAutonomous, 100, 50))

		// Not from a link-local address: ignored.
		p.send(ndpMsg(peerAddr, ipv6.AllNodes, ra))
		synctestWait()
		if _, ok := findRoute(n.ns, "::/0", peerAddr); ok {
			t.Fatalf("default route from a global-source advertisement")
		}

		p.send(ndpMsg(routerLL, ipv6.AllNodes, ra))
		synctestWait()
		r, ok := findRoute(n.ns, "::/0", routerLL)
		if !ok || r.Iface != p.ifc || r.Metric != 1024 || r.Protocol != 9 {
			t.Fatalf("default route %v (present %v), want via fe80::1 dev eth0 proto ra metric 1024", &r, ok)
		}
		if v, _ := n.ns.Sysctl.Get("net.ipv6.conf.eth0.hop_limit"); v != "42" {
			t.Errorf("hop_limit %s, want 42 from the advertisement", v)
		}
		if v, _ := n.ns.Sysctl.Get("net.ipv6.neigh.eth0.retrans_time_ms"); v != "500" {
			t.Errorf("retrans_time_ms %s, want 500", v)
		}
		if e, ok := p.ifc.Neighbours(6).Lookup(routerLL); !ok || !e.IsRouter || e.MAC != p.mac {
			t.Errorf("router neighbour entry %+v (present %v)", e, ok)
		}
		if _, ok := findRoute(n.ns, "2001:db8:5::/64", netip.Addr{}); !ok {
			t.Errorf("no on-link route for the advertised prefix")
		}
		slaac := netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 5})
		b := slaac.As16()
		copy(b[8:], ndp.LinkLocal(p.ifc).AsSlice()[8:])
		slaac = netip.AddrFrom16(b)
		if f, ok := addrFlags(p.ifc, slaac); !ok || f&netns.AddrTentative == 0 {
			t.Fatalf("SLAAC address %s: flags %#x present %v, want tentative", slaac, f, ok)
		}
		settle(3 * time.Second)
		if f, _ := addrFlags(p.ifc, slaac); f&netns.AddrTentative != 0 {
			t.Errorf("SLAAC address still tentative after DAD")
		}

		// Off-link traffic goes to the router, with its hop limit.
		p.drain()
		far := netip.MustParseAddr("2001:db8:7::1")
		if err := n.sendEcho(far, 0, 1, 8, 0); err != nil {
			t.Fatal(err)
		}
		// (The source should be the SLAAC address; netns.Lookup selects
		// IPv6 sources by the next hop, here link-local, for now.)
		if h, ok := p.expect(func(h wire.IPv6) bool { return h.Dst() == far }); !ok || h.HopLimit() != 42 {
			t.Errorf("off-link echo: %v", h)
		}
		// The advertised MTU applies.
		if err := n.sendEcho(peerAddr, 0, 2, 1450, 0); err != nil {
			t.Fatal(err)
		}
		if h, ok := p.expect(func(h wire.IPv6) bool { return h.Dst() == peerAddr && h.NextHeader() == wire.ProtoIPv6Frag }); !ok || len(h) > 1400 {
			t.Errorf("a 1498-byte packet was not fragmented to the advertised MTU: %v", h)
		}

		// The prefix's valid lifetime ends: address and route go.
		settle(100 * time.Second)
		if p.ifc.HasAddress(slaac) {
			t.Errorf("SLAAC address kept past its valid lifetime")
		}
		if _, ok := findRoute(n.ns, "2001:db8:5::/64", netip.Addr{}); ok {
			t.Errorf("prefix route kept past its valid lifetime")
		}
		// Router lifetime 0 withdraws the default route.
		p.send(ndpMsg(routerLL, ipv6.AllNodes, p.raMsg(wire.NDPRouterAdvertFields{RouterLifetime: 0})))
		synctestWait()
		if _, ok := findRoute(n.ns, "::/0", routerLL); ok {
			t.Errorf("default route kept after router lifetime 0")
		}
		// And a lifetime runs out by itself.
		p.send(ndpMsg(routerLL, ipv6.AllNodes, p.raMsg(wire.NDPRouterAdvertFields{RouterLifetime: 30})))
		synctestWait()
		if _, ok := findRoute(n.ns, "::/0", routerLL); !ok {
			t.Fatalf("no default route from a second advertisement")
		}
		settle(31 * time.Second)
		if _, ok := findRoute(n.ns, "::/0", routerLL); ok {
			t.Errorf("default route kept past the router lifetime")
		}
		// accept_ra=0: advertisements change nothing.
		n.ns.Sysctl.Set("net.ipv6.conf.eth0.accept_ra", "0")
		p.send(ndpMsg(routerLL, ipv6.AllNodes, ra))
		synctestWait()
		if _, ok := findRoute(n.ns, "::/0", routerLL); ok {
			t.Errorf("default route learned with accept_ra=0")
		}
	})
}
