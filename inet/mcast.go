package inet

import (
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/ipv6"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/wire"
)

// membership is one multicast group a socket joined (ip_mc_socklist,
// ipv6_mc_socklist).
type membership struct {
	v6      bool
	group   netip.Addr
	ifindex int
	addr    netip.Addr // imr_address, IPv4
}

// mreqn is a struct ip_mreqn.
type mreqn struct {
	group, addr netip.Addr
	ifindex     int
}

// findDev4 is ip_mc_find_dev: the interface by index, by address, or
// the route to the group.
func (sk *Sock) findDev4(r *mreqn) *netns.Interface {
	ns := sk.NS()
	if r.ifindex != 0 {
		return ns.Interface(r.ifindex)
	}
	var ifc *netns.Interface
	if !r.addr.IsUnspecified() {
		ifc = ifaceWithAddr(ns, r.addr)
		if ifc == nil {
			return nil
		}
	} else if rt, err := ns.Lookup(r.group, netns.LookupFlags{}); err == nil {
		ifc = rt.Iface
	}
	if ifc != nil {
		r.ifindex = ifc.Index()
	}
	return ifc
}

// join4 is ip_mc_join_group. Called with Mu held.
func (sk *Sock) join4(r mreqn) errno.Errno {
	if !r.group.IsMulticast() {
		return errno.EINVAL
	}
	ifc := sk.findDev4(&r)
	if ifc == nil {
		return errno.ENODEV
	}
	sk.mcMu.Lock()
	defer sk.mcMu.Unlock()
	count := 0
	for _, m := range sk.mc {
		if m.v6 {
			continue
		}
		if m.group == r.group && m.ifindex == r.ifindex {
			return errno.EADDRINUSE
		}
		count++
	}
	if int64(count) >= sk.NS().Sysctl.Int(netns.IGMPMaxMemberships) {
		return errno.ENOBUFS
	}
	sk.mc = append(sk.mc, membership{group: r.group, ifindex: r.ifindex, addr: r.addr})
	sk.Stack.igmp.join(ifc, r.group)
	return 0
}

// leave4 is ip_mc_leave_group.
func (sk *Sock) leave4(r mreqn) errno.Errno {
	ifc := sk.findDev4(&r)
	if r.ifindex == 0 && r.addr.IsUnspecified() && ifc == nil {
		return errno.ENODEV
	}
	sk.mcMu.Lock()
	defer sk.mcMu.Unlock()
	for i, m := range sk.mc {
		if m.v6 || m.group != r.group {
			continue
		}
		if r.ifindex != 0 {
			if m.ifindex != r.ifindex {
				continue
			}
		} else if !r.addr.IsUnspecified() && r.addr != m.addr {
			continue
		}
		sk.mc = slices.Delete(sk.mc, i, i+1)
		if ifc := sk.NS().Interface(m.ifindex); ifc != nil {
			sk.Stack.igmp.leave(ifc, m.group)
		}
		return 0
	}
	return errno.EADDRNOTAVAIL
}

// join6 is ipv6_sock_mc_join.
func (sk *Sock) join6(g netip.Addr, idx int) errno.Errno {
	if !g.Is6() || g.Is4In6() || !g.IsMulticast() {
		return errno.EINVAL
	}
	sk.mcMu.Lock()
	defer sk.mcMu.Unlock()
	for _, m := range sk.mc {
		if m.v6 && m.group == g && m.ifindex == idx {
			return errno.EADDRINUSE
		}
	}
	ns := sk.NS()
	var ifc *netns.Interface
	if idx == 0 {
		if rt, err := ns.Lookup(g, netns.LookupFlags{}); err == nil {
			ifc = rt.Iface
		}
	} else {
		ifc = ns.Interface(idx)
	}
	if ifc == nil {
		return errno.ENODEV
	}
	sk.mc = append(sk.mc, membership{v6: true, group: g, ifindex: ifc.Index()})
	if p := ipv6.Of(ns); p != nil {
		p.JoinGroup(ifc, g)
	} else {
		ifc.JoinGroup(g)
	}
	return 0
}

// leave6 is ipv6_sock_mc_drop.
func (sk *Sock) leave6(g netip.Addr, idx int) errno.Errno {
	if !g.IsMulticast() {
		return errno.EINVAL
	}
	sk.mcMu.Lock()
	defer sk.mcMu.Unlock()
	for i, m := range sk.mc {
		if !m.v6 || m.group != g || idx != 0 && m.ifindex != idx {
			continue
		}
		sk.mc = slices.Delete(sk.mc, i, i+1)
		sk.leaveIface6(m)
		return 0
	}
	return errno.EADDRNOTAVAIL
}

func (sk *Sock) leaveIface6(m membership) {
	ns := sk.NS()
	ifc := ns.Interface(m.ifindex)
	if ifc == nil {
		return
	}
	if p := ipv6.Of(ns); p != nil {
		p.LeaveGroup(ifc, m.group)
	} else {
		ifc.LeaveGroup(m.group)
	}
}

// dropMemberships leaves every group (ip_mc_drop_socket,
// ipv6_sock_mc_close).
func (sk *Sock) dropMemberships() {
	sk.mcMu.Lock()
	mc := sk.mc
	sk.mc = nil
	sk.mcMu.Unlock()
	for _, m := range mc {
		if m.v6 {
			sk.leaveIface6(m)
			continue
		}
		if ifc := sk.NS().Interface(m.ifindex); ifc != nil {
			sk.Stack.igmp.leave(ifc, m.group)
		}
	}
}

// Member reports whether the socket joined group on interface ifindex
// (ip_mc_sf_allow without source filters), for IP_MULTICAST_ALL off.
func (sk *Sock) Member(group netip.Addr, ifindex int) bool {
	sk.mcMu.Lock()
	defer sk.mcMu.Unlock()
	for _, m := range sk.mc {
		if m.group == group && m.ifindex == ifindex {
			return true
		}
	}
	return false
}

// IGMPv3 constants (RFC 3376).
const (
	igmpV3Report        = 0x22
	igmpChangeToInclude = 3
	igmpChangeToExclude = 4
)

var igmpV3Routers = netip.AddrFrom4([4]byte{224, 0, 0, 22})
var allHosts = netip.AddrFrom4([4]byte{224, 0, 0, 1})

// igmpState sends IGMPv3 state-change reports when the first socket of
// an interface joins a group and when the last one leaves (Linux's
// ip_mc_inc_group / ip_mc_dec_group with force_igmp_version 0), repeated
// once after a random delay within igmpv3_unsolicited_report_interval.
type igmpState struct {
	s      *Stack
	mu     sync.Mutex
	timers map[*netns.Interface]map[netip.Addr]stopper
}

type stopper interface{ Stop() bool }

func (g *igmpState) init(s *Stack) {
	g.s = s
	g.timers = make(map[*netns.Interface]map[netip.Addr]stopper)
}

func (g *igmpState) join(ifc *netns.Interface, group netip.Addr) {
	if ifc.JoinGroup(group) {
		g.report(ifc, group, igmpChangeToExclude)
	}
}

func (g *igmpState) leave(ifc *netns.Interface, group netip.Addr) {
	if ifc.LeaveGroup(group) {
		g.report(ifc, group, igmpChangeToInclude)
	}
}

// report sends a state-change record now and once more later, unless
// the group is all-hosts or link-local reports are off.
func (g *igmpState) report(ifc *netns.Interface, group netip.Addr, rec uint8) {
	ns := g.s.ns
	if group == allHosts || ifc.IsLoopback() {
		return
	}
	if b := group.As4(); b[0] == 224 && b[1] == 0 && b[2] == 0 && ns.Sysctl.Int(netns.IGMPLinkLocalMcastReports) == 0 {
		return
	}
	g.send(ifc, group, rec)
	ival := time.Duration(ns.Sysctl.DevInt4(ifc.Name(), "igmpv3_unsolicited_report_interval")) * time.Millisecond
	if ival <= 0 {
		ival = time.Second
	}
	d := time.Duration(ns.Rand() % uint64(ival))
	g.mu.Lock()
	defer g.mu.Unlock()
	m := g.timers[ifc]
	if m == nil {
		m = make(map[netip.Addr]stopper)
		g.timers[ifc] = m
	}
	if old := m[group]; old != nil {
		old.Stop()
	}
	m[group] = ns.Clock().AfterFunc(d, func() {
		g.mu.Lock()
		delete(m, group)
		g.mu.Unlock()
		if rec == igmpChangeToExclude && !ifc.InGroup(group) || rec == igmpChangeToInclude && ifc.InGroup(group) {
			return
		}
		g.send(ifc, group, rec)
	})
}

// send transmits one IGMPv3 membership report with one group record:
// TTL 1, TOS 0xc0, DF and the Router Alert option, to 224.0.0.22, as
// igmpv3_newpack builds it.
func (g *igmpState) send(ifc *netns.Interface, group netip.Addr, rec uint8) {
	if !ifc.IsUp() {
		return
	}
	ns := g.s.ns
	src := ns.SelectSource(ifc, group, netns.ScopeUniverse)
	if !src.IsValid() {
		src = netip.IPv4Unspecified()
	}
	const igmpLen = 16
	pkt := pktbuf.New(pktbuf.DefaultHeadroom, igmpLen)
	b := pkt.Bytes()
	clear(b)
	b[0] = igmpV3Report
	b[7] = 1 // one record
	b[8] = rec
	ga := group.As4()
	copy(b[12:], ga[:])
	c := wire.FoldChecksum(wire.Checksum(b, 0))
	b[2], b[3] = byte(c>>8), byte(c)
	f := wire.IPv4Fields{
		TOS: 0xc0, TTL: 1, Protocol: wire.ProtoIGMP, Flags: wire.IPv4FlagDontFragment,
		Src: src, Dst: igmpV3Routers, Options: []byte{0x94, 0x04, 0x00, 0x00},
		ID: uint16(ns.Rand()),
	}
	f.TotalLen = uint16(f.Len() + igmpLen)
	f.Encode(wire.IPv4(pkt.Push(f.Len())))
	pkt.SetNetworkHeader()
	ns.MIB.Inc(netns.IPOutRequests)
	_ = ifc.OutputIP(igmpV3Routers, pkt)
}
