package ndp

import (
	"errors"
	"net/netip"
	"time"

	"github.com/gosock/gosock/clock"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/ipv6"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/wire"
)

// protoRA is RTPROT_RA, the protocol of routes learned from router
// advertisements.
const protoRA = 9

// prefixRouteMetric is IP6_RT_PRIO_ADDRCONF, the metric of on-link prefix
// routes.
const prefixRouteMetric = 256

// twoHours is the floor RFC 4862 5.5.3(e) puts under an advertised
// shortening of a SLAAC address's valid lifetime.
const twoHours = 2 * time.Hour

// infinite is the all-ones lifetime of RFC 4861.
const infinite = 0xffffffff

// ifState is NDP's state for one interface (Linux keeps it in inet6_dev).
type ifState struct {
	dad map[netip.Addr]*dadState
	// linkLocal is the address LinkChanged configured, if any.
	linkLocal netip.Addr
	// Learned from router advertisements.
	routers  map[netip.Addr]*expiry
	prefixes map[netip.Prefix]*expiry
	slaac    map[netip.Addr]*expiry
	// Router solicitation (addrconf_rs_timer).
	rsTimer    clock.Timer
	rsActive   bool
	rsProbes   int
	rsInterval time.Duration
	raReceived bool
}

// dadState is one address's duplicate address detection in progress.
type dadState struct {
	probes int
	nonce  uint64
	timer  clock.Timer
}

// expiry is a lifetime learned from a router advertisement.
type expiry struct {
	timer   clock.Timer
	expires time.Time // zero: infinite
	owned   bool      // the route was added here (not an address's)
}

// state returns the interface's state, made on first use; p.mu is held.
func (p *Protocol) state(ifc *netns.Interface) *ifState {
	st := p.ifs[ifc]
	if st == nil {
		st = &ifState{
			dad:      make(map[netip.Addr]*dadState),
			routers:  make(map[netip.Addr]*expiry),
			prefixes: make(map[netip.Prefix]*expiry),
			slaac:    make(map[netip.Addr]*expiry),
		}
		p.ifs[ifc] = st
	}
	return st
}

// dev returns the interface's sysctl handle, for durations.
func dev(ifc *netns.Interface) *netns.DeviceSysctls {
	return ifc.Namespace().Sysctl.Device(ifc.Name())
}

// randBelow returns a uniform random duration in [0, d).
func (p *Protocol) randBelow(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return time.Duration(p.ns.Rand() % uint64(d))
}

// scale multiplies d by a random factor in [lo, hi] millionths, as the
// RFC 3315 section 14 backoff does (rfc3315_s14_backoff_*).
func (p *Protocol) scale(d time.Duration, lo, hi uint64) time.Duration {
	f := lo + p.ns.Rand()%(hi-lo+1)
	return time.Duration(uint64(d) / 1000 * f / 1000)
}

// LinkChanged configures an interface that came up (a link-local
// address, duplicate address detection of its tentative addresses) and
// forgets what it learned when it goes down.
func (p *Protocol) LinkChanged(ifc *netns.Interface, up bool) {
	if !configured(ifc) {
		return
	}
	if !up {
		p.linkDown(ifc)
		return
	}
	p.addLinkLocal(ifc)
	for _, a := range ifc.Addresses() {
		if !a.Addr().Is6() {
			continue
		}
		switch {
		case a.Flags&netns.AddrDADFailed != 0:
		case a.Flags&netns.AddrTentative != 0:
			p.startDAD(ifc, a.Addr())
		case a.Addr().IsLinkLocalUnicast():
			p.startRS(ifc)
		}
	}
}

// AddressChanged starts duplicate address detection of a new tentative
// address (addrconf_dad_start), or treats an address added without it
// as one that passed (addrconf_dad_completed); it stops the detection of
// an address removed.
func (p *Protocol) AddressChanged(ifc *netns.Interface, a netns.Address, added bool) {
	if !a.Addr().Is6() || !configured(ifc) {
		return
	}
	addr := a.Addr()
	if !added {
		p.mu.Lock()
		if st := p.ifs[ifc]; st != nil {
			if d := st.dad[addr]; d != nil {
				d.timer.Stop()
				delete(st.dad, addr)
			}
			if e := st.slaac[addr]; e != nil {
				stopTimer(e.timer)
				delete(st.slaac, addr)
			}
			if st.linkLocal == addr {
				st.linkLocal = netip.Addr{}
			}
		}
		p.mu.Unlock()
		return
	}
	if !ifc.IsUp() || a.Flags&netns.AddrDADFailed != 0 {
		return
	}
	if a.Flags&netns.AddrTentative != 0 {
		p.startDAD(ifc, addr)
		return
	}
	p.dadCompleted(ifc, addr, false)
}

func stopTimer(t clock.Timer) {
	if t != nil {
		t.Stop()
	}
}

// linkDown stops the interface's timers and removes what NDP configured
// on it: the link-local address, SLAAC addresses, routes learned from
// router advertisements.
func (p *Protocol) linkDown(ifc *netns.Interface) {
	p.mu.Lock()
	st := p.ifs[ifc]
	if st == nil {
		p.mu.Unlock()
		return
	}
	delete(p.ifs, ifc)
	for _, d := range st.dad {
		d.timer.Stop()
	}
	stopTimer(st.rsTimer)
	var routes []netns.Route
	metric := int(confInt(ifc, netns.Conf6RADefrtrMetric))
	for rtr, e := range st.routers {
		stopTimer(e.timer)
		routes = append(routes, netns.Route{Dst: netip.PrefixFrom(netip.IPv6Unspecified(), 0), Gateway: rtr, Iface: ifc, Metric: metric})
	}
	for pfx, e := range st.prefixes {
		stopTimer(e.timer)
		if e.owned {
			routes = append(routes, netns.Route{Dst: pfx, Iface: ifc, Metric: prefixRouteMetric})
		}
	}
	var addrs []netip.Addr
	for a, e := range st.slaac {
		stopTimer(e.timer)
		addrs = append(addrs, a)
	}
	if st.linkLocal.IsValid() {
		addrs = append(addrs, st.linkLocal)
	}
	p.mu.Unlock()
	for _, r := range routes {
		_ = p.ns.DeleteRoute(r)
	}
	for _, a := range addrs {
		_ = ifc.RemoveAddress(a)
	}
	_ = p.ip.SetLinkMTU(ifc, 0)
}

// eui64 returns the modified EUI-64 interface identifier of a MAC
// address (RFC 4291 appendix A): the universal/local bit inverted and
// ff:fe in the middle.
func eui64(m wire.MAC) [8]byte {
	return [8]byte{m[0] ^ 0x02, m[1], m[2], 0xff, 0xfe, m[3], m[4], m[5]}
}

// withIID returns the address made of a /64 prefix and the interface's
// identifier.
func withIID(prefix netip.Addr, ifc *netns.Interface) netip.Addr {
	b := prefix.As16()
	iid := eui64(ifc.Device().HardwareAddr())
	copy(b[8:], iid[:])
	return netip.AddrFrom16(b)
}

// LinkLocal returns the link-local address NDP would configure on an
// interface (fe80::/64 with the modified EUI-64 identifier).
func LinkLocal(ifc *netns.Interface) netip.Addr {
	return withIID(netip.MustParseAddr("fe80::"), ifc)
}

// addLinkLocal configures the link-local address (addrconf_addr_gen with
// IN6_ADDR_GEN_MODE_EUI64) unless addr_gen_mode is 1 (none).
func (p *Protocol) addLinkLocal(ifc *netns.Interface) {
	if confInt(ifc, netns.Conf6AddrGenMode) == 1 {
		return
	}
	ll := LinkLocal(ifc)
	if _, ok := findAddr(ifc, ll); ok {
		return
	}
	if err := ifc.AddAddress(netip.PrefixFrom(ll, 64)); err != nil {
		return
	}
	p.mu.Lock()
	p.state(ifc).linkLocal = ll
	p.mu.Unlock()
}

// startDAD begins duplicate address detection of a tentative address
// (addrconf_dad_begin, addrconf_dad_kick): the first probe goes after a
// random delay below router_solicitation_delay.
func (p *Protocol) startDAD(ifc *netns.Interface, addr netip.Addr) {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := p.state(ifc)
	if st.dad[addr] != nil {
		return
	}
	d := &dadState{probes: int(confInt(ifc, netns.Conf6DADTransmits))}
	if confAll(p.ns, netns.Conf6EnhancedDAD) != 0 || confInt(ifc, netns.Conf6EnhancedDAD) != 0 {
		for d.nonce == 0 {
			d.nonce = p.ns.Rand() & (1<<48 - 1)
		}
	}
	delay := p.randBelow(dev(ifc).Duration(netns.Conf6RouterSolicitationDelay))
	st.dad[addr] = d
	d.timer = p.ns.Clock().AfterFunc(delay, func() { p.dadWork(ifc, addr, d) })
}

// dadWork sends the next probe, or declares the address unique once the
// last probe's retrans_time has passed (addrconf_dad_work).
func (p *Protocol) dadWork(ifc *netns.Interface, addr netip.Addr, d *dadState) {
	p.mu.Lock()
	st := p.ifs[ifc]
	if st == nil || st.dad[addr] != d || !ifc.IsUp() {
		p.mu.Unlock()
		return
	}
	if d.probes <= 0 {
		delete(st.dad, addr)
		p.mu.Unlock()
		p.dadCompleted(ifc, addr, true)
		return
	}
	d.probes--
	retrans := max(time.Duration(neighInt(ifc, netns.Neigh6RetransTimeMs))*time.Millisecond, 10*time.Millisecond)
	d.timer.Reset(retrans)
	nonce := d.nonce
	p.mu.Unlock()
	p.sendNS(ifc, netip.IPv6Unspecified(), ipv6.SolicitedNode(addr), addr, wire.MAC{}, nonce)
}

// ownNonce reports whether a DAD probe for addr carries the nonce of our
// own probe (RFC 7527: it looped back).
func (p *Protocol) ownNonce(ifc *netns.Interface, addr netip.Addr, nonce uint64) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if st := p.ifs[ifc]; st != nil {
		if d := st.dad[addr]; d != nil {
			return d.nonce == nonce
		}
	}
	return false
}

// dadCompleted makes an address usable (addrconf_dad_completed): clears
// its tentative flag when clear is set, announces it if ndisc_notify
// asks, and once the link-local address is ready reports multicast
// memberships and starts soliciting routers.
func (p *Protocol) dadCompleted(ifc *netns.Interface, addr netip.Addr, clear bool) {
	if clear && !ifc.UpdateAddressFlags(addr, 0, netns.AddrTentative) {
		return
	}
	if confAll(p.ns, netns.Conf6NdiscNotify) != 0 || confInt(ifc, netns.Conf6NdiscNotify) != 0 {
		p.sendNA(ifc, ipv6.AllNodes, addr, confInt(ifc, netns.Conf6Forwarding) != 0, false, true, true)
	}
	if addr.IsLinkLocalUnicast() {
		p.ip.ReportGroups(ifc)
		p.startRS(ifc)
	}
}

// dadFailed marks an address duplicate (addrconf_dad_failure): it stays
// tentative and is never used.
func (p *Protocol) dadFailed(ifc *netns.Interface, addr netip.Addr) {
	p.mu.Lock()
	if st := p.ifs[ifc]; st != nil {
		if d := st.dad[addr]; d != nil {
			d.timer.Stop()
			delete(st.dad, addr)
		}
	}
	p.mu.Unlock()
	ifc.UpdateAddressFlags(addr, netns.AddrDADFailed|netns.AddrTentative, 0)
}

// DADInProgress reports whether duplicate address detection of addr is
// running on ifc.
func (p *Protocol) DADInProgress(ifc *netns.Interface, addr netip.Addr) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := p.ifs[ifc]
	return st != nil && st.dad[addr] != nil
}

// acceptRA is ipv6_accept_ra: a host takes advertisements when accept_ra
// is 1, a router (forwarding) only when it is 2.
func acceptRA(ifc *netns.Interface) bool {
	if confInt(ifc, netns.Conf6Forwarding) != 0 {
		return confInt(ifc, netns.Conf6AcceptRA) == 2
	}
	return confInt(ifc, netns.Conf6AcceptRA) != 0
}

// usableLinkLocal returns the interface's usable link-local address.
func usableLinkLocal(ifc *netns.Interface) netip.Addr {
	for _, a := range ifc.Addresses() {
		if a.Addr().Is6() && a.Addr().IsLinkLocalUnicast() && a.Usable() {
			return a.Addr()
		}
	}
	return netip.Addr{}
}

// startRS sends the first router solicitation and arms the retransmission
// timer, unless routers are not wanted or already heard from.
func (p *Protocol) startRS(ifc *netns.Interface) {
	if !acceptRA(ifc) || confInt(ifc, netns.Conf6RouterSolicitations) == 0 {
		return
	}
	src := usableLinkLocal(ifc)
	if !src.IsValid() {
		return
	}
	p.mu.Lock()
	st := p.state(ifc)
	if st.rsActive || st.raReceived {
		p.mu.Unlock()
		return
	}
	st.rsActive = true
	st.rsProbes = 1
	st.rsInterval = p.scale(dev(ifc).Duration(netns.Conf6RouterSolicitationInterval), 900000, 1100000)
	p.armRS(ifc, st, st.rsInterval)
	p.mu.Unlock()
	p.sendRS(ifc, src)
}

// armRS (re)arms the router solicitation timer; p.mu is held.
func (p *Protocol) armRS(ifc *netns.Interface, st *ifState, d time.Duration) {
	if st.rsTimer == nil {
		st.rsTimer = p.ns.Clock().AfterFunc(d, func() { p.rsWork(ifc, st) })
		return
	}
	st.rsTimer.Reset(d)
}

// rsWork retransmits a router solicitation with RFC 7559 backoff
// (addrconf_rs_timer) until an advertisement arrives or
// router_solicitations are spent (-1: never).
func (p *Protocol) rsWork(ifc *netns.Interface, st *ifState) {
	p.mu.Lock()
	if p.ifs[ifc] != st || !st.rsActive || st.raReceived || !ifc.IsUp() || !acceptRA(ifc) {
		st.rsActive = false
		p.mu.Unlock()
		return
	}
	solicits := int(confInt(ifc, netns.Conf6RouterSolicitations))
	old := st.rsProbes
	st.rsProbes++
	if old >= solicits && solicits >= 0 {
		st.rsActive = false // no routers present
		p.mu.Unlock()
		return
	}
	src := usableLinkLocal(ifc)
	if !src.IsValid() {
		st.rsActive = false
		p.mu.Unlock()
		return
	}
	d := dev(ifc)
	next := p.scale(st.rsInterval, 1900000, 2100000)
	if mrt := d.Duration(netns.Conf6RouterSolicitationMaxInterval); next > mrt {
		next = p.scale(mrt, 900000, 1100000)
	}
	st.rsInterval = next
	if st.rsProbes == solicits {
		next = d.Duration(netns.Conf6RouterSolicitationDelay) // the wait after the last may be shorter
	}
	p.armRS(ifc, st, next)
	p.mu.Unlock()
	p.sendRS(ifc, src)
}

// isLocal reports whether a is an address of this namespace.
func (p *Protocol) isLocal(a netip.Addr) bool {
	for _, ifc := range p.ns.Interfaces() {
		if _, ok := findAddr(ifc, a); ok {
			return true
		}
	}
	return false
}

// recvRA handles a router advertisement (ndisc_router_discovery, RFC
// 4861 6.1.2 and 6.3.4).
func (p *Protocol) recvRA(ifc *netns.Interface, pkt *pktbuf.Buffer, info *netns.PacketInfo) {
	mib := p.ns.MIB
	ra, err := wire.ParseNDPRouterAdvert(pkt.Bytes())
	if err != nil {
		mib.Drop(netns.DropPktTooSmall)
		return
	}
	src := info.Src
	if !src.IsLinkLocalUnicast() {
		mib.Drop(netns.DropNotSpecified)
		return
	}
	opts, ok := parseOptions(ra.Options())
	if !ok {
		mib.Drop(netns.DropIPv6NdiscBadOptions)
		return
	}
	p.mu.Lock()
	st := p.state(ifc)
	if st.rsActive || st.rsProbes > 0 {
		st.raReceived = true // IF_RA_RCVD: stops soliciting
	}
	p.mu.Unlock()
	if confInt(ifc, netns.Conf6AcceptRAFromLocal) == 0 && p.isLocal(src) {
		mib.Drop(netns.DropNotSpecified)
		return
	}
	accept := acceptRA(ifc)
	if accept {
		if confInt(ifc, netns.Conf6AcceptRADefrtr) != 0 {
			lft := uint32(ra.RouterLifetime())
			if lft == 0 || int64(lft) >= confInt(ifc, netns.Conf6AcceptRAMinLft) {
				p.defaultRouter(ifc, src, lft)
			}
		}
		p.linkParams(ifc, ra)
	}
	// The router's link-layer address, and its router flag.
	table := ifc.Neighbours(6)
	f := netns.UpdateFlags{Override: true, Create: true, IsRouter: true, HasRouter: true}
	if opts.hasSrc {
		mac, ok := linkAddr(opts.srcLL)
		if !ok {
			mib.Drop(netns.DropNotSpecified)
			return
		}
		table.Update(src, mac, f)
	} else if e, known := table.Lookup(src); known && e.State&(netns.NeighReachable|netns.NeighStale|netns.NeighDelay|netns.NeighProbe) != 0 {
		f.Create = false
		table.Update(src, e.MAC, f)
	}
	if !accept {
		return
	}
	if confInt(ifc, netns.Conf6AcceptRAPinfo) != 0 {
		for _, pi := range opts.prefixes {
			p.prefixInfo(ifc, pi)
		}
	}
	if opts.mtu != nil && confInt(ifc, netns.Conf6AcceptRAMTU) != 0 && len(opts.mtu) == wire.NDPMTUOptionLen {
		mtu := int(uint32(opts.mtu[4])<<24 | uint32(opts.mtu[5])<<16 | uint32(opts.mtu[6])<<8 | uint32(opts.mtu[7]))
		if mtu >= ipv6.MinMTU && mtu <= ifc.MTU() {
			_ = p.ip.SetLinkMTU(ifc, mtu)
		}
	}
}

// linkParams applies an advertisement's hop limit, reachable time and
// retransmission timer to the interface's sysctls, as Linux updates
// cnf.hop_limit and the neighbour parameters.
func (p *Protocol) linkParams(ifc *netns.Interface, ra wire.NDPRouterAdvert) {
	s := p.ns.Sysctl
	name := ifc.Name()
	if hl := int64(ra.CurHopLimit()); hl != 0 && confInt(ifc, netns.Conf6AcceptRAMinHopLimit) <= hl {
		_ = s.Set("net.ipv6.conf."+name+".hop_limit", itoa(hl))
	}
	if rt := int64(ra.RetransTimer()); rt != 0 {
		_ = s.Set("net.ipv6.neigh."+name+".retrans_time_ms", itoa(max(rt, 10)))
	}
	if rt := int64(ra.ReachableTime()); rt != 0 {
		_ = s.Set("net.ipv6.neigh."+name+".base_reachable_time_ms", itoa(max(rt, 10)))
	}
}

func itoa(v int64) string {
	if v == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	neg := v < 0
	if neg {
		v = -v
	}
	for v > 0 {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// defaultRouter installs, refreshes or removes (lifetime 0) the default
// route through an advertising router.
func (p *Protocol) defaultRouter(ifc *netns.Interface, rtr netip.Addr, lifetime uint32) {
	r := netns.Route{
		Dst: netip.PrefixFrom(netip.IPv6Unspecified(), 0), Gateway: rtr, Iface: ifc,
		Metric: int(confInt(ifc, netns.Conf6RADefrtrMetric)), Protocol: protoRA,
	}
	p.mu.Lock()
	st := p.state(ifc)
	e := st.routers[rtr]
	if lifetime == 0 {
		if e != nil {
			stopTimer(e.timer)
			delete(st.routers, rtr)
		}
		p.mu.Unlock()
		if e != nil {
			_ = p.ns.DeleteRoute(r)
		}
		return
	}
	add := e == nil
	if add {
		e = &expiry{owned: true}
		st.routers[rtr] = e
	}
	p.setExpiry(e, time.Duration(lifetime)*time.Second, func() {
		if p.forget(ifc, func(st *ifState) bool {
			if st.routers[rtr] == e {
				delete(st.routers, rtr)
				return true
			}
			return false
		}) {
			_ = p.ns.DeleteRoute(r)
		}
	})
	p.mu.Unlock()
	if add {
		if err := p.ns.AddRoute(r); err != nil && !errors.Is(err, errno.EEXIST) {
			p.forget(ifc, func(st *ifState) bool {
				if st.routers[rtr] == e {
					stopTimer(e.timer)
					delete(st.routers, rtr)
				}
				return false
			})
		}
	}
}

// setExpiry (re)arms an expiry; p.mu is held.
func (p *Protocol) setExpiry(e *expiry, d time.Duration, f func()) {
	e.expires = p.ns.Clock().Now().Add(d)
	if e.timer == nil {
		e.timer = p.ns.Clock().AfterFunc(d, f)
	} else {
		e.timer.Reset(d)
	}
}

// setForever makes an expiry infinite; p.mu is held.
func setForever(e *expiry) {
	stopTimer(e.timer)
	e.expires = time.Time{}
}

// forget runs f on the interface's state under the lock and returns its
// result; false if the interface has no state any more.
func (p *Protocol) forget(ifc *netns.Interface, f func(*ifState) bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := p.ifs[ifc]
	if st == nil {
		return false
	}
	return f(st)
}

// prefixInfo handles one prefix information option (addrconf_prefix_rcv):
// an on-link prefix gets a route for its valid lifetime, an autonomous
// /64 a SLAAC address.
func (p *Protocol) prefixInfo(ifc *netns.Interface, pi wire.NDPPrefixInfo) {
	prefix := pi.Prefix()
	if !prefix.IsValid() || prefix.Addr().IsLinkLocalUnicast() || prefix.Addr().IsMulticast() {
		return
	}
	valid, preferred := pi.ValidLifetime(), pi.PreferredLifetime()
	if preferred > valid {
		return // RFC 4862 5.5.3(c)
	}
	if pi.OnLink() {
		p.prefixRoute(ifc, prefix, valid)
	}
	if pi.Autonomous() && confInt(ifc, netns.Conf6Autoconf) != 0 && prefix.Bits() == 64 {
		p.slaacAddr(ifc, prefix, valid)
	}
}

// prefixRoute installs, refreshes or removes an on-link prefix route.
func (p *Protocol) prefixRoute(ifc *netns.Interface, prefix netip.Prefix, valid uint32) {
	r := netns.Route{Dst: prefix, Iface: ifc, Metric: prefixRouteMetric, Protocol: netns.ProtoKernel}
	p.mu.Lock()
	st := p.state(ifc)
	e := st.prefixes[prefix]
	if valid == 0 {
		if e != nil {
			stopTimer(e.timer)
			delete(st.prefixes, prefix)
		}
		p.mu.Unlock()
		if e != nil && e.owned {
			_ = p.ns.DeleteRoute(r)
		}
		return
	}
	add := e == nil
	if add {
		e = &expiry{}
		st.prefixes[prefix] = e
	}
	expire := func() {
		if p.forget(ifc, func(st *ifState) bool {
			if st.prefixes[prefix] == e {
				delete(st.prefixes, prefix)
				return e.owned
			}
			return false
		}) {
			_ = p.ns.DeleteRoute(r)
		}
	}
	if valid == infinite {
		setForever(e)
	} else {
		p.setExpiry(e, time.Duration(valid)*time.Second, expire)
	}
	p.mu.Unlock()
	if add {
		err := p.ns.AddRoute(r)
		p.forget(ifc, func(st *ifState) bool {
			if st.prefixes[prefix] == e {
				e.owned = err == nil
			}
			return false
		})
	}
}

// slaacAddr configures or refreshes the SLAAC address of a /64
// (addrconf_prefix_rcv_add_addr, RFC 4862 5.5.3).
func (p *Protocol) slaacAddr(ifc *netns.Interface, prefix netip.Prefix, valid uint32) {
	if valid == 0 {
		return
	}
	addr := withIID(prefix.Addr(), ifc)
	now := p.ns.Clock().Now()
	p.mu.Lock()
	st := p.state(ifc)
	e := st.slaac[addr]
	fresh := e == nil
	if fresh {
		if _, exists := findAddr(ifc, addr); exists || tooManyAddresses(ifc) {
			p.mu.Unlock()
			return
		}
		e = &expiry{}
		st.slaac[addr] = e
	}
	expire := func() {
		if p.forget(ifc, func(st *ifState) bool {
			if st.slaac[addr] == e {
				delete(st.slaac, addr)
				return true
			}
			return false
		}) {
			_ = ifc.RemoveAddress(addr)
		}
	}
	lft := time.Duration(valid) * time.Second
	if !fresh {
		// RFC 4862 5.5.3(e): an advertisement may not shorten the
		// lifetime below two hours.
		remaining := time.Duration(1<<63 - 1)
		if !e.expires.IsZero() {
			remaining = e.expires.Sub(now)
		}
		switch {
		case valid == infinite:
			setForever(e)
		case lft > twoHours || lft > remaining:
			p.setExpiry(e, lft, expire)
		case remaining <= twoHours:
		default:
			p.setExpiry(e, twoHours, expire)
		}
		p.mu.Unlock()
		return
	}
	if valid != infinite {
		p.setExpiry(e, lft, expire)
	}
	p.mu.Unlock()
	if err := ifc.AddAddress(netip.PrefixFrom(addr, 64)); err != nil {
		p.forget(ifc, func(st *ifState) bool {
			if st.slaac[addr] == e {
				stopTimer(e.timer)
				delete(st.slaac, addr)
			}
			return false
		})
	}
}

// tooManyAddresses reports whether the interface has max_addresses IPv6
// addresses already (0: no limit), as ipv6_count_addresses checks.
func tooManyAddresses(ifc *netns.Interface) bool {
	limit := confInt(ifc, netns.Conf6MaxAddresses)
	if limit <= 0 {
		return false
	}
	n := int64(0)
	for _, a := range ifc.Addresses() {
		if a.Addr().Is6() {
			n++
		}
	}
	return n >= limit
}
