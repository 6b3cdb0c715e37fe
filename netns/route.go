package netns

import (
	"cmp"
	"fmt"
	"iter"
	"net/netip"
	"slices"

	"github.com/gosock/gosock/errno"
)

// RouteType is a route's kind, with Linux's RTN_* values.
type RouteType uint8

// Route types.
const (
	RouteUnicast     RouteType = 1
	RouteLocal       RouteType = 2
	RouteBroadcast   RouteType = 3
	RouteMulticast   RouteType = 5
	RouteBlackhole   RouteType = 6
	RouteUnreachable RouteType = 7
	RouteProhibit    RouteType = 8
)

// String names the type as `ip route` does.
func (t RouteType) String() string {
	switch t {
	case RouteUnicast:
		return "unicast"
	case RouteLocal:
		return "local"
	case RouteBroadcast:
		return "broadcast"
	case RouteMulticast:
		return "multicast"
	case RouteBlackhole:
		return "blackhole"
	case RouteUnreachable:
		return "unreachable"
	case RouteProhibit:
		return "prohibit"
	}
	return fmt.Sprint(uint8(t))
}

// Routing table ids, as Linux's RT_TABLE_*.
const (
	TableMain  = 254
	TableLocal = 255
)

// Route protocols (who installed a route), as Linux's RTPROT_*.
const (
	ProtoKernel = 2
	ProtoBoot   = 3
	ProtoStatic = 4
)

// Route is one routing table entry.
type Route struct {
	// Table is TableLocal or TableMain.
	Table int
	// Dst is the destination prefix; 0.0.0.0/0 or ::/0 is a default route.
	Dst netip.Prefix
	// Gateway is the next hop; invalid for on-link routes.
	Gateway netip.Addr
	// Iface is the outgoing interface; nil for reject routes.
	Iface *Interface
	// Src is the preferred source address (`src` in `ip route`), if set.
	Src    netip.Addr
	Metric int
	Type   RouteType
	Scope  Scope
	// Protocol says who added the route (ProtoKernel for routes that
	// addresses bring).
	Protocol int
	// MTU is a per-route MTU (`mtu` in `ip route`); 0 uses the interface's.
	MTU int
}

// String formats the route as `ip route` does.
func (r *Route) String() string {
	s := ""
	if r.Type != RouteUnicast {
		s = r.Type.String() + " "
	}
	if r.Dst.Bits() == 0 {
		s += "default"
	} else if r.Dst.Addr().Is4() && r.Dst.Bits() == 32 || r.Dst.Bits() == 128 {
		s += r.Dst.Addr().String()
	} else {
		s += r.Dst.String()
	}
	if r.Gateway.IsValid() {
		s += " via " + r.Gateway.String()
	}
	if r.Iface != nil {
		s += " dev " + r.Iface.Name()
	}
	if r.Table == TableLocal {
		s += " table local"
	}
	if r.Protocol == ProtoKernel {
		s += " proto kernel"
	}
	if r.Scope != ScopeUniverse {
		s += " scope " + r.Scope.String()
	}
	if r.Src.IsValid() {
		s += " src " + r.Src.String()
	}
	if r.Metric != 0 {
		s += fmt.Sprintf(" metric %d", r.Metric)
	}
	return s
}

// routeTable is an immutable list of both tables' routes, local first,
// then by longest prefix and lowest metric, so the first match wins.
type routeTable struct {
	routes []*Route
}

func (t *routeTable) with(r *Route) *routeTable {
	next := append(slices.Clone(t.routes), r)
	slices.SortStableFunc(next, func(a, b *Route) int {
		if c := cmp.Compare(b.Table, a.Table); c != 0 { // local (255) before main
			return c
		}
		if c := cmp.Compare(b.Dst.Bits(), a.Dst.Bits()); c != 0 {
			return c
		}
		return cmp.Compare(a.Metric, b.Metric)
	})
	return &routeTable{routes: next}
}

func (t *routeTable) without(match func(*Route) bool) (*routeTable, int) {
	next := slices.DeleteFunc(slices.Clone(t.routes), match)
	return &routeTable{routes: next}, len(t.routes) - len(next)
}

func (ns *Namespace) table(v6 bool) *routeTable {
	if v6 {
		return ns.routes6.Load()
	}
	return ns.routes4.Load()
}

func (ns *Namespace) storeTable(v6 bool, t *routeTable) {
	if v6 {
		ns.routes6.Store(t)
	} else {
		ns.routes4.Store(t)
	}
}

// AddRoute adds a route (`ip route add`). Table defaults to main, Type to
// unicast; a route identical in table, prefix, metric and type to an
// existing one is EEXIST; a gateway must be reachable on-link (ENETUNREACH
// otherwise, as Linux's fib_check_nh); a unicast route needs an interface
// or a gateway (EINVAL).
func (ns *Namespace) AddRoute(r Route) error {
	if !r.Dst.IsValid() {
		return errno.EINVAL
	}
	r.Dst = netip.PrefixFrom(r.Dst.Addr().Unmap(), r.Dst.Bits()).Masked()
	v6 := r.Dst.Addr().Is6()
	if r.Table == 0 {
		r.Table = TableMain
	}
	if r.Type == 0 {
		r.Type = RouteUnicast
	}
	if r.Protocol == 0 {
		r.Protocol = ProtoBoot
	}
	if r.Gateway.IsValid() {
		r.Gateway = r.Gateway.Unmap()
		if r.Gateway.Is6() != v6 {
			return errno.EINVAL
		}
	}
	if r.Type == RouteUnicast {
		if r.Iface == nil && !r.Gateway.IsValid() {
			return errno.EINVAL
		}
		if r.Gateway.IsValid() {
			// The gateway must be on a connected network (or link-local
			// for IPv6 with an interface).
			gw, err := ns.lookupConnected(r.Gateway, r.Iface)
			if err != nil {
				return err
			}
			if r.Iface == nil {
				r.Iface = gw
			}
		} else if r.Scope == ScopeUniverse && r.Iface != nil && !v6 {
			r.Scope = ScopeLink
		}
	}
	ns.mu.Lock()
	defer ns.mu.Unlock()
	t := ns.table(v6)
	for _, o := range t.routes {
		if o.Table == r.Table && o.Dst == r.Dst && o.Metric == r.Metric && o.Type == r.Type &&
			(r.Type != RouteLocal || o.Iface == r.Iface) {
			return errno.EEXIST
		}
	}
	ns.storeTable(v6, t.with(&r))
	return nil
}

// lookupConnected finds the interface of a connected network that holds
// addr, optionally restricted to ifc.
func (ns *Namespace) lookupConnected(addr netip.Addr, ifc *Interface) (*Interface, error) {
	if addr.Is6() && addr.IsLinkLocalUnicast() && ifc != nil {
		return ifc, nil
	}
	for _, r := range ns.table(addr.Is6()).routes {
		if r.Table == TableMain && r.Type == RouteUnicast && !r.Gateway.IsValid() && r.Iface != nil &&
			r.Dst.Contains(addr) && (ifc == nil || r.Iface == ifc) {
			return r.Iface, nil
		}
	}
	return nil, errno.ENETUNREACH
}

// DeleteRoute removes routes matching r's table, prefix and, when set,
// gateway, interface and metric (`ip route del`); none is ESRCH.
func (ns *Namespace) DeleteRoute(r Route) error {
	if !r.Dst.IsValid() {
		return errno.EINVAL
	}
	dst := netip.PrefixFrom(r.Dst.Addr().Unmap(), r.Dst.Bits()).Masked()
	table := r.Table
	if table == 0 {
		table = TableMain
	}
	v6 := dst.Addr().Is6()
	ns.mu.Lock()
	defer ns.mu.Unlock()
	t, n := ns.table(v6).without(func(o *Route) bool {
		return o.Table == table && o.Dst == dst &&
			(!r.Gateway.IsValid() || o.Gateway == r.Gateway.Unmap()) &&
			(r.Iface == nil || o.Iface == r.Iface) &&
			(r.Metric == 0 || o.Metric == r.Metric)
	})
	if n == 0 {
		return errno.ESRCH
	}
	ns.storeTable(v6, t)
	return nil
}

// Routes returns a copy of the routes of one family, local table first.
func (ns *Namespace) Routes(v6 bool) []Route {
	t := ns.table(v6)
	out := make([]Route, len(t.routes))
	for i, r := range t.routes {
		out[i] = *r
	}
	return out
}

// RouteSeq yields the same routes as Routes, one copy at a time, without
// building a slice: for a caller that scans the table on every bind or
// connect (inet.AddrType4), where Routes' copy was a tenth of the bytes a
// connection allocates.
func (ns *Namespace) RouteSeq(v6 bool) iter.Seq[Route] {
	t := ns.table(v6)
	return func(yield func(Route) bool) {
		for _, r := range t.routes {
			if !yield(*r) {
				return
			}
		}
	}
}

// RouteResult is the outcome of a route lookup: where a packet goes.
type RouteResult struct {
	Route *Route
	// Iface is the outgoing interface (the loopback for local delivery).
	Iface *Interface
	// NextHop is the gateway, or the destination itself on-link.
	NextHop netip.Addr
	// Src is the source address to use when the caller has none.
	Src netip.Addr
	// Local means the destination is this host.
	Local bool
	// Broadcast means the destination is a broadcast address.
	Broadcast bool
	// Multicast means the destination is a multicast address.
	Multicast bool
	// MTU is the path MTU the packet must fit (route or interface MTU).
	MTU int
}

// LookupFlags narrow a route lookup, as a flowi's fields do.
type LookupFlags struct {
	// OIF restricts the lookup to one outgoing interface (SO_BINDTODEVICE,
	// IP_PKTINFO, scoped IPv6 addresses); 0 means any.
	OIF int
	// Src is the source address the caller will use, if already chosen.
	Src netip.Addr
}

// Lookup finds the route to dst (Linux's fib_lookup plus the source
// selection of ip_route_output_key). Errors are ENETUNREACH (no route, or
// only routes through interfaces that are down), EHOSTUNREACH for an
// unreachable route, EACCES for prohibit and EINVAL for blackhole.
func (ns *Namespace) Lookup(dst netip.Addr, fl LookupFlags) (RouteResult, error) {
	dst = dst.Unmap()
	if !dst.IsValid() {
		return RouteResult{}, errno.EINVAL
	}
	v6 := dst.Is6()
	if dst.IsMulticast() || (!v6 && dst == netip.AddrFrom4([4]byte{255, 255, 255, 255})) {
		return ns.lookupSpecial(dst, fl)
	}
	for _, r := range ns.table(v6).routes {
		if !r.Dst.Contains(dst) {
			continue
		}
		if r.Iface != nil && (!r.Iface.IsUp() || (fl.OIF != 0 && r.Iface.index != fl.OIF && r.Type != RouteLocal)) {
			continue
		}
		switch r.Type {
		case RouteUnreachable:
			return RouteResult{}, errno.EHOSTUNREACH
		case RouteProhibit:
			return RouteResult{}, errno.EACCES
		case RouteBlackhole:
			return RouteResult{}, errno.EINVAL
		}
		res := RouteResult{Route: r, Iface: r.Iface, NextHop: dst, MTU: r.MTU}
		if r.Gateway.IsValid() {
			res.NextHop = r.Gateway
		}
		switch r.Type {
		case RouteLocal:
			res.Local = true
			res.Src = dst
			if ns.loopback != nil {
				// Local traffic leaves through lo, as Linux's output
				// to a local address does.
				res.Iface = ns.loopback
			}
		case RouteBroadcast:
			res.Broadcast = true
		}
		if res.MTU == 0 && res.Iface != nil {
			res.MTU = res.Iface.MTU()
		}
		if !res.Src.IsValid() {
			if fl.Src.IsValid() {
				res.Src = fl.Src
			} else if r.Src.IsValid() {
				res.Src = r.Src
			} else {
				// IPv4 picks by next hop (inet_select_addr); IPv6 by
				// destination (ip6_route_get_saddr), so a route via a
				// link-local router still gets a global source.
				sel := res.NextHop
				if v6 {
					sel = dst
				}
				res.Src = ns.SelectSource(r.Iface, sel, r.Scope)
			}
		}
		if !res.Src.IsValid() {
			return RouteResult{}, errno.EADDRNOTAVAIL
		}
		return res, nil
	}
	return RouteResult{}, errno.ENETUNREACH
}

// lookupSpecial routes multicast and limited broadcast: through the
// requested interface, else by the routing table for the group, else
// through the first up interface that is not loopback.
func (ns *Namespace) lookupSpecial(dst netip.Addr, fl LookupFlags) (RouteResult, error) {
	var ifc *Interface
	if fl.OIF != 0 {
		ifc = ns.Interface(fl.OIF)
		if ifc == nil {
			return RouteResult{}, errno.ENODEV
		}
	} else {
		for _, r := range ns.table(dst.Is6()).routes {
			if r.Iface != nil && r.Iface.IsUp() && r.Dst.Contains(dst) && (r.Type == RouteUnicast || r.Type == RouteMulticast) {
				ifc = r.Iface
				break
			}
		}
	}
	if ifc == nil || !ifc.IsUp() {
		return RouteResult{}, errno.ENETUNREACH
	}
	res := RouteResult{Iface: ifc, NextHop: dst, MTU: ifc.MTU(), Multicast: dst.IsMulticast(), Broadcast: !dst.IsMulticast()}
	res.Src = fl.Src
	if !res.Src.IsValid() {
		res.Src = ns.SelectSource(ifc, dst, ScopeLink)
	}
	if !res.Src.IsValid() {
		return RouteResult{}, errno.EADDRNOTAVAIL
	}
	return res, nil
}

// SelectSource picks a source address for talking to dst through ifc, as
// Linux's inet_select_addr (IPv4: an address on ifc in dst's subnet, else
// ifc's first primary address of suitable scope, else any interface's)
// and a simplified RFC 6724 for IPv6 (same scope preferred, longest
// matching prefix, usable addresses only).
func (ns *Namespace) SelectSource(ifc *Interface, dst netip.Addr, scope Scope) netip.Addr {
	if dst.Is4() {
		return ns.selectSource4(ifc, dst, scope)
	}
	return ns.selectSource6(ifc, dst)
}

func (ns *Namespace) selectSource4(ifc *Interface, dst netip.Addr, scope Scope) netip.Addr {
	if ifc != nil {
		var first netip.Addr
		for _, a := range ifc.Addresses() {
			if !a.Addr().Is4() || a.Flags&AddrSecondary != 0 || a.Scope > scope && a.Scope != ScopeHost {
				continue
			}
			if a.Prefix.Contains(dst) {
				return a.Addr()
			}
			if !first.IsValid() {
				first = a.Addr()
			}
		}
		if first.IsValid() {
			return first
		}
	}
	for _, other := range ns.Interfaces() {
		for _, a := range other.Addresses() {
			if a.Addr().Is4() && a.Scope <= max(scope, ScopeLink) && a.Flags&AddrSecondary == 0 {
				return a.Addr()
			}
		}
	}
	if ifc != nil && ifc.IsLoopback() {
		for _, a := range ifc.Addresses() {
			if a.Addr().Is4() {
				return a.Addr()
			}
		}
	}
	return netip.Addr{}
}

func (ns *Namespace) selectSource6(ifc *Interface, dst netip.Addr) netip.Addr {
	dstScope := scopeOf6(dst)
	var best netip.Addr
	bestScore := -1
	consider := func(a Address, onIfc bool) {
		if !a.Addr().Is6() || !a.Usable() {
			return
		}
		if a.Addr() == dst {
			best, bestScore = a.Addr(), 1<<20
			return
		}
		s := 0
		sc := scopeOf6(a.Addr())
		// Rule 2: prefer appropriate scope.
		if sc == dstScope {
			s += 1 << 16
		} else if sc > dstScope {
			s += 1 << 15
		}
		// Rule 3: avoid deprecated addresses.
		if a.Flags&AddrDeprecated == 0 {
			s += 1 << 14
		}
		// Rule 5: prefer the outgoing interface.
		if onIfc {
			s += 1 << 13
		}
		// Rule 8: longest matching prefix.
		s += commonPrefixLen(a.Addr(), dst)
		if s > bestScore {
			best, bestScore = a.Addr(), s
		}
	}
	if ifc != nil {
		for _, a := range ifc.Addresses() {
			consider(a, true)
		}
	}
	if dstScope > 2 || ifc == nil { // link-local destinations need the outgoing link's address
		for _, other := range ns.Interfaces() {
			if other == ifc {
				continue
			}
			for _, a := range other.Addresses() {
				if scopeOf6(a.Addr()) > 2 {
					consider(a, false)
				}
			}
		}
	}
	return best
}

// scopeOf6 returns an RFC 4007 scope value: 1 interface-local (loopback),
// 2 link-local, 14 global.
func scopeOf6(a netip.Addr) int {
	switch {
	case a.IsLoopback(), a.IsInterfaceLocalMulticast():
		return 1
	case a.IsLinkLocalUnicast(), a.IsLinkLocalMulticast():
		return 2
	case a.IsMulticast():
		return int(a.As16()[1] & 0x0f)
	}
	return 14
}

func commonPrefixLen(a, b netip.Addr) int {
	x, y := a.As16(), b.As16()
	n := 0
	for i := range 16 {
		d := x[i] ^ y[i]
		if d == 0 {
			n += 8
			continue
		}
		for d&0x80 == 0 {
			n++
			d <<= 1
		}
		break
	}
	return n
}

// addAddressRoutes installs the routes an address brings, as Linux's
// fib_add_ifaddr and addrconf_prefix_route: a local route for the
// address, the subnet's broadcast route, and a connected route for the
// prefix.
func (ns *Namespace) addAddressRoutes(ifc *Interface, a Address) {
	addr := a.Addr()
	host := netip.PrefixFrom(addr, addr.BitLen())
	_ = ns.AddRoute(Route{Table: TableLocal, Dst: host, Iface: ifc, Type: RouteLocal, Scope: ScopeHost, Src: addr, Protocol: ProtoKernel})
	if a.Broadcast.IsValid() {
		_ = ns.AddRoute(Route{Table: TableLocal, Dst: netip.PrefixFrom(a.Broadcast, 32), Iface: ifc, Type: RouteBroadcast, Scope: ScopeLink, Src: addr, Protocol: ProtoKernel})
	}
	if a.Prefix.Bits() < addr.BitLen() && a.Flags&AddrSecondary == 0 && !(ifc.IsLoopback() && addr.Is4()) {
		r := Route{Dst: a.Prefix.Masked(), Iface: ifc, Scope: ScopeLink, Protocol: ProtoKernel}
		if addr.Is4() {
			r.Src = addr
		} else {
			r.Metric = 256
			r.Scope = ScopeUniverse
		}
		_ = ns.AddRoute(r)
	}
	if ifc.IsLoopback() && addr.Is4() && a.Prefix.Bits() < 32 {
		// Linux makes the whole loopback prefix local (127.0.0.0/8).
		_ = ns.AddRoute(Route{Table: TableLocal, Dst: a.Prefix.Masked(), Iface: ifc, Type: RouteLocal, Scope: ScopeHost, Src: addr, Protocol: ProtoKernel})
	}
}

func (ns *Namespace) removeAddressRoutes(ifc *Interface, a Address) {
	v6 := a.Addr().Is6()
	ns.mu.Lock()
	defer ns.mu.Unlock()
	t, _ := ns.table(v6).without(func(r *Route) bool {
		if r.Iface != ifc || r.Protocol != ProtoKernel {
			return false
		}
		if r.Table == TableLocal {
			return r.Src == a.Addr()
		}
		return r.Dst == a.Prefix.Masked() && !r.Gateway.IsValid()
	})
	ns.storeTable(v6, t)
}

func (ns *Namespace) removeRoutesVia(ifc *Interface) {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	for _, v6 := range []bool{false, true} {
		t, _ := ns.table(v6).without(func(r *Route) bool { return r.Iface == ifc })
		ns.storeTable(v6, t)
	}
}
