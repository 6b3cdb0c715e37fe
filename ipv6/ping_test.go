package ipv6_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/ndp"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/wire"
)

func TestPingGlobalAndLinkLocal(t *testing.T) {
	bubble(t, func(t *testing.T) {
		a, b := newNode(t, "a", 1), newNode(t, "b", 2)
		ia, ib := connect(t, a, b, "eth0", "eth0", []string{"2001:db8::1/64"}, []string{"2001:db8::2/64"}, link.PipeConfig{})
		// Before DAD completes the addresses are tentative: no source.
		if _, err := a.ns.Lookup(addr("2001:db8::2"), netns.LookupFlags{}); err == nil {
			t.Errorf("route lookup succeeded while the address is tentative")
		}
		settle(3 * time.Second)
		for _, ifc := range []*netns.Interface{ia, ib} {
			for _, x := range ifc.Addresses() {
				if x.Flags&(netns.AddrTentative|netns.AddrDADFailed) != 0 {
					t.Errorf("%s: address %s still has flags %#x after DAD", ifc.Name(), x.Prefix, x.Flags)
				}
			}
		}
		llA, llB := ndp.LinkLocal(ia), ndp.LinkLocal(ib)
		if !ia.HasAddress(llA) || !ib.HasAddress(llB) {
			t.Fatalf("link-local addresses missing: %v / %v", ia.Addresses(), ib.Addresses())
		}

		in0, del0, echos0, replies0 := counter(b, netns.IP6InReceives), counter(b, netns.IP6InDelivers), icmpIn(b, wire.ICMPv6EchoRequest), icmpOut(b, wire.ICMPv6EchoReply)
		r, ok := a.ping(addr("2001:db8::2"), 0, 1, 56)
		if !ok {
			t.Fatalf("no reply from 2001:db8::2")
		}
		if r.from != addr("2001:db8::2") || r.hopLimit != 64 {
			t.Errorf("reply from %s hop limit %d, want 2001:db8::2 and 64", r.from, r.hopLimit)
		}
		if _, ok := b.ping(addr("2001:db8::1"), 0, 2, 100); !ok {
			t.Fatalf("no reply from 2001:db8::1")
		}
		if r, ok := a.ping(llB, ia.Index(), 3, 8); !ok || r.from != llB {
			t.Fatalf("link-local ping: reply %v %v", r.from, ok)
		}
		if got := icmpIn(b, wire.ICMPv6EchoRequest) - echos0; got != 2 {
			t.Errorf("b Icmp6InEchos moved by %d, want 2", got)
		}
		if got := icmpOut(b, wire.ICMPv6EchoReply) - replies0; got != 2 {
			t.Errorf("b Icmp6OutEchoReplies moved by %d, want 2", got)
		}
		// The same counters by their /proc/net/snmp6 names.
		var buf bytes.Buffer
		if err := b.ns.MIB.WriteSNMP6(&buf); err != nil {
			t.Fatal(err)
		}
		snmp6 := map[string]string{}
		for _, line := range strings.Split(buf.String(), "\n") {
			if f := strings.Fields(line); len(f) == 2 {
				snmp6[f[0]] = f[1]
			}
		}
		if snmp6["Icmp6InEchos"] != "2" || snmp6["Icmp6OutEchoReplies"] != "2" || snmp6["Ip6InReceives"] == "0" {
			t.Errorf("snmp6: Icmp6InEchos %q Icmp6OutEchoReplies %q Ip6InReceives %q", snmp6["Icmp6InEchos"], snmp6["Icmp6OutEchoReplies"], snmp6["Ip6InReceives"])
		}
		if got := counter(b, netns.IP6InReceives) - in0; got < 4 {
			t.Errorf("b Ip6InReceives moved by %d, want at least 4", got)
		}
		if got := counter(b, netns.IP6InDelivers) - del0; got < 4 {
			t.Errorf("b Ip6InDelivers moved by %d, want at least 4", got)
		}

		// b learned a from its solicitation (STALE), used it (DELAY),
		// probed it after delay_first_probe_time and had it confirmed.
		settle(7 * time.Second)
		for _, c := range []struct {
			ifc  *netns.Interface
			peer string
		}{{ia, "2001:db8::2"}, {ib, "2001:db8::1"}} {
			e, ok := c.ifc.Neighbours(6).Lookup(addr(c.peer))
			if !ok || e.State != netns.NeighReachable {
				t.Errorf("%s: neighbour %s is %v (present %v), want REACHABLE", c.ifc.Namespace().Name(), c.peer, e.State, ok)
			}
		}
		// Solicited-node groups were joined and reported.
		if !ia.InGroup(addr("ff02::1:ff00:1")) {
			t.Errorf("a did not join the solicited-node group of 2001:db8::1")
		}
		if icmpOut(a, wire.ICMPv6MLDv2Report) == 0 {
			t.Errorf("a sent no MLDv2 report")
		}
		if icmpOut(a, wire.ICMPv6NeighborSolicit) == 0 || icmpIn(a, wire.ICMPv6NeighborAdvert) == 0 {
			t.Errorf("no neighbour discovery traffic counted")
		}
	})
}

func TestPingLoopback(t *testing.T) {
	bubble(t, func(t *testing.T) {
		a, b := newNode(t, "a", 1), newNode(t, "b", 2)
		ia, _ := connect(t, a, b, "eth0", "eth0", []string{"2001:db8::1/64"}, []string{"2001:db8::2/64"}, link.PipeConfig{})
		settle(3 * time.Second)
		for i, dst := range []string{"::1", "2001:db8::1"} {
			if r, ok := a.ping(addr(dst), 0, uint16(i), 2000); !ok || r.from != addr(dst) {
				t.Errorf("ping %s: reply %v %v", dst, r.from, ok)
			}
		}
		if r, ok := a.ping(ndp.LinkLocal(ia), ia.Index(), 9, 64); !ok {
			t.Errorf("ping own link-local: %v %v", r.from, ok)
		}
		if got := counter(a, netns.IP6FragCreates); got != 0 {
			t.Errorf("loopback traffic was fragmented (%d fragments)", got)
		}
	})
}
