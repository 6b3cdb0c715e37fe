package ipv6_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/wire"
)

// routerNet is a router r between host a (2001:db8:1::/64), host b
// (2001:db8:2::/64, over a 1280-byte-MTU link) and a raw peer
// (2001:db8::/64).
type routerNet struct {
	a, r, b *node
	p       *rawPeer
}

func newRouterNet(t *testing.T) *routerNet {
	t.Helper()
	n := &routerNet{a: newNode(t, "a", 1), r: newNode(t, "r", 2), b: newNode(t, "b", 3)}
	n.p = newRawPeer(t, n.r, 1500)
	connect(t, n.a, n.r, "eth0", "eth1", []string{"2001:db8:1::2/64"}, []string{"2001:db8:1::1/64"}, link.PipeConfig{})
	connect(t, n.r, n.b, "eth2", "eth0", []string{"2001:db8:2::1/64"}, []string{"2001:db8:2::2/64"}, link.PipeConfig{MTU: 1280})
	for _, c := range []struct {
		n  *node
		gw string
	}{{n.a, "2001:db8:1::1"}, {n.b, "2001:db8:2::1"}} {
		if err := c.n.ns.AddRoute(netns.Route{Dst: netip.MustParsePrefix("::/0"), Gateway: addr(c.gw)}); err != nil {
			t.Fatalf("default route: %v", err)
		}
	}
	settle(3 * time.Second)
	return n
}

func (n *routerNet) forwarding(t *testing.T, on bool) {
	v := "0"
	if on {
		v = "1"
	}
	if err := n.r.ns.Sysctl.Set("net.ipv6.conf.all.forwarding", v); err != nil {
		t.Fatal(err)
	}
}

func TestForwarding(t *testing.T) {
	bubble(t, func(t *testing.T) {
		n := newRouterNet(t)
		bAddr := addr("2001:db8:2::2")

		// Forwarding off: a silent drop, counted.
		addrErr, unreach := counter(n.r, netns.IP6InAddrErrors), icmpIn(n.a, wire.ICMPv6DestUnreach)
		if _, ok := n.a.ping(bAddr, 0, 1, 56); ok {
			t.Fatalf("reply through a router that does not forward")
		}
		if counter(n.r, netns.IP6InAddrErrors) == addrErr {
			t.Errorf("r did not count Ip6InAddrErrors")
		}
		if icmpIn(n.a, wire.ICMPv6DestUnreach) != unreach {
			t.Errorf("r answered a dropped packet with an ICMPv6 error")
		}

		// Forwarding on: reachable, one hop less.
		n.forwarding(t, true)
		fwd := counter(n.r, netns.IP6OutForwDatagrams)
		r, ok := n.a.ping(bAddr, 0, 2, 56)
		if !ok {
			t.Fatalf("no reply through the router")
		}
		if r.hopLimit != 63 {
			t.Errorf("reply hop limit %d, want 63", r.hopLimit)
		}
		if got := counter(n.r, netns.IP6OutForwDatagrams) - fwd; got != 2 {
			t.Errorf("Ip6OutForwDatagrams moved by %d, want 2", got)
		}

		// No route: destination unreachable, no route (code 0).
		noRoutes := counter(n.r, netns.IP6InNoRoutes)
		far := addr("2001:db8:3::1")
		n.p.send(ip6(peerAddr, far, wire.ProtoICMPv6, 64, echoRequest(peerAddr, far, 1, 8)))
		if m, ok := n.p.expectICMP(wire.ICMPv6DestUnreach); !ok || m.Code() != wire.ICMPv6CodeNoRoute {
			t.Errorf("no route: got %v", m)
		}
		if counter(n.r, netns.IP6InNoRoutes)-noRoutes != 1 {
			t.Errorf("Ip6InNoRoutes did not move")
		}
		time.Sleep(time.Second)

		// Hop limit 1: time exceeded in transit.
		n.p.send(ip6(peerAddr, bAddr, wire.ProtoICMPv6, 1, echoRequest(peerAddr, bAddr, 2, 8)))
		if m, ok := n.p.expectICMP(wire.ICMPv6TimeExceeded); !ok || m.Code() != wire.ICMPv6CodeHopLimitExceeded {
			t.Errorf("hop limit exceeded: got %v", m)
		}
		if _, ok := n.a.ping(bAddr, 0, 3, 56); !ok { // and a's own traffic still flows
			t.Errorf("no reply after the time exceeded")
		}
		time.Sleep(time.Second)

		// A link-local source cannot leave its link: beyond scope.
		ll := addr("fe80::2")
		n.r.ns.Interface(n.p.ifc.Index()).Neighbours(6).Add(ll, n.p.mac)
		n.p.send(ip6(ll, bAddr, wire.ProtoICMPv6, 64, echoRequest(ll, bAddr, 3, 8)))
		if h, ok := n.p.expect(func(h wire.IPv6) bool {
			return h.Dst() == ll && h.NextHeader() == wire.ProtoICMPv6 && wire.ICMPv6(h.Payload()).Type() == wire.ICMPv6DestUnreach
		}); !ok || wire.ICMPv6(h.Payload()).Code() != wire.ICMPv6CodeBeyondScope || !h.Src().IsLinkLocalUnicast() {
			t.Errorf("link-local source forwarded: got %v", h)
		}
		time.Sleep(time.Second)

		// Too big for the next link: packet too big with its MTU; routers
		// never fragment. a learns the path MTU and fragments itself.
		tooBig := counter(n.r, netns.IP6InTooBigErrors)
		if _, ok := n.a.ping(bAddr, 0, 4, 1400); ok {
			t.Fatalf("a 1448-byte packet crossed a 1280-byte link")
		}
		if counter(n.r, netns.IP6InTooBigErrors)-tooBig != 1 {
			t.Errorf("Ip6InTooBigErrors did not move")
		}
		if m := n.a.ip.PathMTU(bAddr); m != 1280 {
			t.Fatalf("a's path MTU to b is %d, want 1280", m)
		}
		if _, ok := n.a.ping(bAddr, 0, 5, 1400); !ok {
			t.Errorf("no reply to a fragmented echo after packet too big")
		}

		// Forwarding off again, and no route: Linux still answers that
		// (ip6_pkt_discard runs before the forwarding check).
		n.forwarding(t, false)
		time.Sleep(time.Second)
		n.p.send(ip6(peerAddr, far, wire.ProtoICMPv6, 64, echoRequest(peerAddr, far, 4, 8)))
		if m, ok := n.p.expectICMP(wire.ICMPv6DestUnreach); !ok || m.Code() != wire.ICMPv6CodeNoRoute {
			t.Errorf("no route with forwarding off: got %v", m)
		}
	})
}
