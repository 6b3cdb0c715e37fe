package netns

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/link"
)

func newTestNS(t *testing.T) (*Namespace, *Interface, *Interface) {
	t.Helper()
	ns := New(Options{Name: "t", Seed: 1})
	t.Cleanup(func() { ns.Close() })
	a, b := link.NewPipe(link.PipeConfig{Names: [2]string{"eth0", "peer0"}})
	c, d := link.NewPipe(link.PipeConfig{Names: [2]string{"eth1", "peer1"}})
	t.Cleanup(func() { b.Close(); d.Close() })
	eth0, err := ns.AddInterface(a)
	if err != nil {
		t.Fatal(err)
	}
	eth1, err := ns.AddInterface(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range []struct {
		ifc  *Interface
		addr string
	}{{eth0, "192.168.1.10/24"}, {eth0, "2001:db8:1::10/64"}, {eth1, "10.0.0.10/8"}, {eth1, "10.0.0.11/8"}} {
		x.ifc.SetUp(true)
		if err := x.ifc.AddAddressFlags(netip.MustParsePrefix(x.addr), AddrNoDAD); err != nil {
			t.Fatalf("%s: %v", x.addr, err)
		}
	}
	return ns, eth0, eth1
}

func TestLoopbackDefaults(t *testing.T) {
	ns := New(Options{Seed: 1})
	defer ns.Close()
	lo := ns.InterfaceByName("lo")
	if lo == nil || lo.Index() != 1 || !lo.IsUp() || !lo.IsLoopback() {
		t.Fatalf("lo = %v", lo)
	}
	for _, dst := range []string{"127.0.0.1", "127.1.2.3", "::1"} {
		r, err := ns.Lookup(netip.MustParseAddr(dst), LookupFlags{})
		if err != nil || !r.Local || r.Iface != lo {
			t.Errorf("%s: %+v %v", dst, r, err)
		}
	}
	if _, err := ns.Lookup(netip.MustParseAddr("8.8.8.8"), LookupFlags{}); !errors.Is(err, errno.ENETUNREACH) {
		t.Errorf("no default route: %v, want ENETUNREACH", err)
	}
}

func TestLookupLongestPrefixAndSource(t *testing.T) {
	ns, eth0, eth1 := newTestNS(t)
	mustRoute := func(r Route) {
		t.Helper()
		if err := ns.AddRoute(r); err != nil {
			t.Fatalf("%v: %v", r.String(), err)
		}
	}
	gw := netip.MustParseAddr("192.168.1.1")
	mustRoute(Route{Dst: netip.MustParsePrefix("0.0.0.0/0"), Gateway: gw})
	mustRoute(Route{Dst: netip.MustParsePrefix("172.16.0.0/12"), Gateway: netip.MustParseAddr("10.0.0.1"), Metric: 10})
	mustRoute(Route{Dst: netip.MustParsePrefix("172.16.5.0/24"), Gateway: gw})
	mustRoute(Route{Dst: netip.MustParsePrefix("198.51.100.0/24"), Type: RouteUnreachable})
	mustRoute(Route{Dst: netip.MustParsePrefix("203.0.113.0/24"), Type: RouteProhibit})
	mustRoute(Route{Dst: netip.MustParsePrefix("192.0.2.0/24"), Type: RouteBlackhole})

	cases := []struct {
		dst     string
		iface   *Interface
		nextHop string
		src     string
		local   bool
		err     error
	}{
		{"192.168.1.10", ns.Loopback(), "192.168.1.10", "192.168.1.10", true, nil},
		{"192.168.1.77", eth0, "192.168.1.77", "192.168.1.10", false, nil},
		{"10.200.0.1", eth1, "10.200.0.1", "10.0.0.10", false, nil}, // primary, not secondary
		{"8.8.8.8", eth0, "192.168.1.1", "192.168.1.10", false, nil},
		{"172.16.9.9", eth1, "10.0.0.1", "10.0.0.10", false, nil},
		{"172.16.5.9", eth0, "192.168.1.1", "192.168.1.10", false, nil}, // longer prefix wins
		{"198.51.100.1", nil, "", "", false, errno.EHOSTUNREACH},
		{"203.0.113.1", nil, "", "", false, errno.EACCES},
		{"192.0.2.1", nil, "", "", false, errno.EINVAL},
		{"2001:db8:1::99", eth0, "2001:db8:1::99", "2001:db8:1::10", false, nil},
		{"2001:db8:2::1", nil, "", "", false, errno.ENETUNREACH},
	}
	for _, c := range cases {
		r, err := ns.Lookup(netip.MustParseAddr(c.dst), LookupFlags{})
		if c.err != nil {
			if !errors.Is(err, c.err) {
				t.Errorf("%s: err %v, want %v", c.dst, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.dst, err)
			continue
		}
		if r.Iface != c.iface || r.NextHop.String() != c.nextHop || r.Src.String() != c.src || r.Local != c.local {
			t.Errorf("%s: iface %v next %v src %v local %v; want %v %s %s %v", c.dst, r.Iface, r.NextHop, r.Src, r.Local, c.iface, c.nextHop, c.src, c.local)
		}
	}
	// Subnet broadcast is a broadcast route.
	if r, err := ns.Lookup(netip.MustParseAddr("192.168.1.255"), LookupFlags{}); err != nil || !r.Broadcast {
		t.Errorf("broadcast lookup %+v %v", r, err)
	}
	// Down interfaces are skipped.
	eth0.SetUp(false)
	if _, err := ns.Lookup(netip.MustParseAddr("8.8.8.8"), LookupFlags{}); !errors.Is(err, errno.ENETUNREACH) {
		t.Errorf("route via down interface: %v", err)
	}
	eth0.SetUp(true)
	// OIF restricts.
	if _, err := ns.Lookup(netip.MustParseAddr("192.168.1.77"), LookupFlags{OIF: eth1.Index()}); err == nil {
		t.Error("lookup with OIF of another interface succeeded")
	}
}

func TestRouteErrors(t *testing.T) {
	ns, eth0, _ := newTestNS(t)
	dst := netip.MustParsePrefix("172.20.0.0/16")
	if err := ns.AddRoute(Route{Dst: dst, Gateway: netip.MustParseAddr("192.0.2.1")}); !errors.Is(err, errno.ENETUNREACH) {
		t.Errorf("gateway off-link: %v, want ENETUNREACH", err)
	}
	if err := ns.AddRoute(Route{Dst: dst}); !errors.Is(err, errno.EINVAL) {
		t.Errorf("no gateway or device: %v", err)
	}
	r := Route{Dst: dst, Iface: eth0}
	if err := ns.AddRoute(r); err != nil {
		t.Fatal(err)
	}
	if err := ns.AddRoute(r); !errors.Is(err, errno.EEXIST) {
		t.Errorf("duplicate: %v, want EEXIST", err)
	}
	if err := ns.DeleteRoute(Route{Dst: dst}); err != nil {
		t.Fatal(err)
	}
	if err := ns.DeleteRoute(Route{Dst: dst}); !errors.Is(err, errno.ESRCH) {
		t.Errorf("delete missing: %v, want ESRCH", err)
	}
	// Removing an address removes its routes.
	if err := eth0.RemoveAddress(netip.MustParseAddr("192.168.1.10")); err != nil {
		t.Fatal(err)
	}
	if _, err := ns.Lookup(netip.MustParseAddr("192.168.1.77"), LookupFlags{}); err == nil {
		t.Error("connected route survived its address")
	}
	if err := eth0.RemoveAddress(netip.MustParseAddr("192.168.1.10")); !errors.Is(err, errno.EADDRNOTAVAIL) {
		t.Errorf("remove twice: %v", err)
	}
	if err := eth0.AddAddress(netip.MustParsePrefix("2001:db8:1::10/64")); !errors.Is(err, errno.EEXIST) {
		t.Errorf("add twice: %v", err)
	}
}

func TestRouteStrings(t *testing.T) {
	ns, _, _ := newTestNS(t)
	var got []string
	for _, r := range ns.Routes(false) {
		got = append(got, r.String())
	}
	want := map[string]bool{
		"local 192.168.1.10 dev eth0 table local proto kernel scope host src 192.168.1.10":      true,
		"broadcast 192.168.1.255 dev eth0 table local proto kernel scope link src 192.168.1.10": true,
		"192.168.1.0/24 dev eth0 proto kernel scope link src 192.168.1.10":                      true,
		"10.0.0.0/8 dev eth1 proto kernel scope link src 10.0.0.10":                             true,
	}
	for _, g := range got {
		delete(want, g)
	}
	if len(want) != 0 {
		t.Errorf("missing routes %v in\n%v", want, got)
	}
}

func TestSelectSource6PrefersScopeAndPrefix(t *testing.T) {
	ns, eth0, _ := newTestNS(t)
	if err := eth0.AddAddressFlags(netip.MustParsePrefix("fe80::1/64"), AddrNoDAD); err != nil {
		t.Fatal(err)
	}
	if err := eth0.AddAddressFlags(netip.MustParsePrefix("2001:db8:ffff::1/64"), AddrNoDAD); err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"fe80::99":         "fe80::1",
		"2001:db8:1::99":   "2001:db8:1::10",
		"2001:db8:ffff::7": "2001:db8:ffff::1",
	}
	for dst, want := range cases {
		if got := ns.SelectSource(eth0, netip.MustParseAddr(dst), ScopeUniverse); got.String() != want {
			t.Errorf("source for %s = %v, want %s", dst, got, want)
		}
	}
}
