package netns

import (
	"net/netip"
	"testing"
)

// TestIntercept_Match: the first matching rule by priority, then by
// insertion, wins; prefixes, ports, protocol and interface narrow a
// rule; removal and invalid rules; the network layer's view of a
// non-first fragment (no ports).
func TestIntercept_Match(t *testing.T) {
	ns := New(Options{Name: "t", Seed: 1})
	defer ns.Close()
	a := netip.MustParseAddr
	if _, err := ns.AddIntercept(InterceptRule{Protocol: 1}); err != ErrBadIntercept {
		t.Errorf("ICMP rule: %v", err)
	}
	if _, err := ns.AddIntercept(InterceptRule{Protocol: 6, Ports: []PortRange{{First: 9, Last: 8}}}); err != ErrBadIntercept {
		t.Errorf("empty port range: %v", err)
	}
	if ns.InterceptsNonlocal(6, 2, a("10.0.0.2"), 1000, a("198.51.100.1"), 80, true) {
		t.Error("claimed with no rules")
	}
	web, _ := ns.AddIntercept(InterceptRule{Protocol: 6, Prefixes: []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")},
		Ports: []PortRange{{First: 80, Last: 80}, {First: 443, Last: 443}}, OnPort: 1})
	all, _ := ns.AddIntercept(InterceptRule{Protocol: 6, Iface: 2, OnPort: 2})
	first, _ := ns.AddIntercept(InterceptRule{Protocol: 6, Ports: []PortRange{{First: 443, Last: 443}}, OnPort: 3, Priority: -1})
	dns, _ := ns.AddIntercept(InterceptRule{Protocol: 17, Ports: []PortRange{{First: 53, Last: 53}}, OnPort: 4})
	for _, tc := range []struct {
		proto   uint8
		ifindex int
		dst     string
		port    uint16
		want    *Intercept
	}{
		{6, 2, "198.51.100.1", 80, web},
		{6, 3, "198.51.100.1", 80, web},
		{6, 2, "198.51.100.1", 443, first}, // priority -1 goes before web
		{6, 2, "203.0.113.1", 80, all},
		{6, 3, "203.0.113.1", 80, nil}, // all is for interface 2 only
		{6, 2, "::ffff:198.51.100.9", 80, web},
		{17, 2, "198.51.100.1", 53, dns},
		{17, 2, "198.51.100.1", 54, nil},
	} {
		if got := ns.MatchIntercept(tc.proto, tc.ifindex, a(tc.dst), tc.port); got != tc.want {
			t.Errorf("%d %s:%d on %d: rule %v, want %v", tc.proto, tc.dst, tc.port, tc.ifindex, got, tc.want)
		}
	}
	if got := web.Target(a("198.51.100.1"), 80); got != netip.MustParseAddrPort("198.51.100.1:1") {
		t.Errorf("target %v", got)
	}
	// A non-first fragment: the prefix decides, the port is unknown.
	if !ns.InterceptsNonlocal(17, 3, a("10.0.0.2"), 0, a("198.51.100.1"), 0, false) {
		t.Error("a UDP fragment for a prefix with a rule was not claimed")
	}
	if got := len(ns.Intercepts()); got != 4 {
		t.Errorf("%d rules", got)
	}
	if !ns.RemoveIntercept(first.ID()) || ns.RemoveIntercept(first.ID()) {
		t.Error("remove twice")
	}
	if got := ns.MatchIntercept(6, 2, a("198.51.100.1"), 443); got != web {
		t.Errorf("after removal: %v", got)
	}
}
