package ipv6

import (
	"encoding/binary"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/gosock/gosock/clock"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/wire"
)

// MLDv2 (RFC 3810) as Linux's net/ipv6/mcast.c speaks it with
// force_mld_version=0: joining a group sends a state-change report
// (CHANGE_TO_EXCLUDE, no sources, any-source membership), leaving sends
// CHANGE_TO_INCLUDE, each repeated once more (the robustness variable is
// 2) within mldv2_unsolicited_report_interval; queries are answered with
// current-state records after a random part of their maximum response
// delay.

// MLDv2 multicast address record types (RFC 3810 5.2.12).
const (
	mldModeIsExclude     = 2
	mldChangeToInclude   = 3
	mldChangeToExclude   = 4
	mldRecordLen         = 20 // type, aux len, source count, group; no sources
	mldReportHeaderLen   = 8
	mldv1QueryLen        = 24
	mldv2QueryMinLen     = 28
	mldRobustness        = 2
	mldMaxRecordsPerPkt  = (MinMTU - wire.IPv6HeaderLen - 8 - mldReportHeaderLen) / mldRecordLen
	routerAlertHopByHop  = 8
	mldRouterAlertMLDVal = 0
)

// ifStates is the layer's per-interface state: MLD memberships and timers,
// and the MTU a router advertised.
type ifStates struct {
	mu  sync.Mutex
	ifs map[*netns.Interface]*ifState
}

type ifState struct {
	// groups are the reportable groups joined through JoinGroup.
	groups map[netip.Addr]struct{}
	// pending are state-change records still to be repeated.
	pending map[netip.Addr]int // record type
	left    int                // repetitions left
	timer   clock.Timer
	// query holds the groups a query asked about (nil: all) until
	// queryTimer answers.
	query      map[netip.Addr]struct{}
	queryAll   bool
	queryTimer clock.Timer
	mtu        int
}

func (s *ifStates) init() { s.ifs = make(map[*netns.Interface]*ifState) }

// get returns the interface's state, made on first use; s.mu is held.
func (s *ifStates) get(ifc *netns.Interface) *ifState {
	st := s.ifs[ifc]
	if st == nil {
		st = &ifState{groups: make(map[netip.Addr]struct{}), pending: make(map[netip.Addr]int)}
		s.ifs[ifc] = st
	}
	return st
}

func (s *ifStates) linkMTU(ifc *netns.Interface) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.ifs[ifc]; st != nil {
		return st.mtu
	}
	return 0
}

func (s *ifStates) setLinkMTU(ifc *netns.Interface, mtu int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.get(ifc).mtu = mtu
}

// reportable reports whether MLD announces a group: link-local scope or
// wider, and not all-nodes (Linux's MAF_NOREPORT).
func reportable(g netip.Addr) bool { return mcastScope(g) >= 2 && g != AllNodes }

// JoinGroup adds one member of a multicast group on an interface
// (ipv6_dev_mc_inc); the first member starts receiving the group and,
// while the link is up, reports it with MLD. Sockets' IPV6_JOIN_GROUP
// comes here.
func (p *Protocol) JoinGroup(ifc *netns.Interface, group netip.Addr) {
	if !ifc.JoinGroup(group) || !reportable(group) {
		return
	}
	p.ifs.mu.Lock()
	st := p.ifs.get(ifc)
	st.groups[group] = struct{}{}
	p.ifs.mu.Unlock()
	p.stateChange(ifc, []netip.Addr{group}, mldChangeToExclude)
}

// LeaveGroup removes one member (ipv6_dev_mc_dec); the last one stops
// the group's reception and reports the departure.
func (p *Protocol) LeaveGroup(ifc *netns.Interface, group netip.Addr) {
	if !ifc.LeaveGroup(group) || !reportable(group) {
		return
	}
	p.ifs.mu.Lock()
	st := p.ifs.get(ifc)
	delete(st.groups, group)
	p.ifs.mu.Unlock()
	p.stateChange(ifc, []netip.Addr{group}, mldChangeToInclude)
}

// ReportGroups sends the interface's memberships again as state-change
// reports (Linux's ipv6_mc_dad_complete): ndp calls it once the
// link-local address is usable, so routers hear them from a proper source
// rather than from the unspecified address.
func (p *Protocol) ReportGroups(ifc *netns.Interface) {
	p.ifs.mu.Lock()
	st := p.ifs.get(ifc)
	gs := make([]netip.Addr, 0, len(st.groups))
	for g := range st.groups {
		gs = append(gs, g)
	}
	p.ifs.mu.Unlock()
	if len(gs) > 0 {
		p.stateChange(ifc, gs, mldChangeToExclude)
	}
}

// stateChange sends a report with one record per group now and queues
// its repetition.
func (p *Protocol) stateChange(ifc *netns.Interface, groups []netip.Addr, rec int) {
	if !ifc.IsUp() {
		return
	}
	p.sendReport(ifc, groups, rec)
	p.ifs.mu.Lock()
	defer p.ifs.mu.Unlock()
	st := p.ifs.get(ifc)
	for _, g := range groups {
		st.pending[g] = rec
	}
	st.left = mldRobustness - 1
	d := p.randDelay(ifc.Namespace().Sysctl.Device(ifc.Name()).Duration(netns.Conf6MLDv2UnsolicitedReportInterval))
	if st.timer == nil {
		st.timer = p.ns.Clock().AfterFunc(d, func() { p.repeatReports(ifc) })
	} else {
		st.timer.Reset(d)
	}
}

// repeatReports sends the pending state-change records again.
func (p *Protocol) repeatReports(ifc *netns.Interface) {
	p.ifs.mu.Lock()
	st := p.ifs.get(ifc)
	if st.left <= 0 || len(st.pending) == 0 || !ifc.IsUp() {
		p.ifs.mu.Unlock()
		return
	}
	st.left--
	byType := map[int][]netip.Addr{}
	for g, rec := range st.pending {
		byType[rec] = append(byType[rec], g)
	}
	if st.left == 0 {
		clear(st.pending)
	}
	p.ifs.mu.Unlock()
	for rec, gs := range byType {
		p.sendReport(ifc, gs, rec)
	}
}

// randDelay returns a uniform random delay in [0, d).
func (p *Protocol) randDelay(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return time.Duration(p.ns.Rand() % uint64(d))
}

// linkUp reports every membership of an interface that came up
// (ipv6_mc_up).
func (p *Protocol) linkUp(ifc *netns.Interface) { p.ReportGroups(ifc) }

// linkDown stops an interface's MLD timers (ipv6_mc_down).
func (p *Protocol) linkDown(ifc *netns.Interface) {
	p.ifs.mu.Lock()
	defer p.ifs.mu.Unlock()
	st := p.ifs.ifs[ifc]
	if st == nil {
		return
	}
	if st.timer != nil {
		st.timer.Stop()
	}
	if st.queryTimer != nil {
		st.queryTimer.Stop()
	}
	clear(st.pending)
	st.left = 0
	st.query, st.queryAll = nil, false
}

// mldQuery schedules the answer to a multicast listener query
// (igmp6_event_query): queries from a non-link-local source are ignored
// (RFC 3810 5.1.14); a general query is answered with every reportable
// membership, a group query with that group if joined, after a random
// part of the maximum response delay.
func (p *Protocol) mldQuery(m wire.ICMPv6, info *netns.PacketInfo) {
	if len(m) < mldv1QueryLen || !info.Src.IsLinkLocalUnicast() {
		p.ns.MIB.Inc(netns.ICMP6InErrors)
		return
	}
	var maxDelay time.Duration
	code := binary.BigEndian.Uint16(m[4:])
	if len(m) >= mldv2QueryMinLen {
		// Maximum Response Code (RFC 3810 5.1.3).
		if code < 0x8000 {
			maxDelay = time.Duration(code) * time.Millisecond
		} else {
			mant, exp := uint32(code&0x0fff), uint32(code>>12&7)
			maxDelay = time.Duration((mant|0x1000)<<(exp+3)) * time.Millisecond
		}
	} else if len(m) == mldv1QueryLen {
		maxDelay = time.Duration(code) * time.Millisecond
	} else {
		p.ns.MIB.Inc(netns.ICMP6InErrors)
		return
	}
	group := netip.AddrFrom16([16]byte(m[8:24]))
	ifc := info.Iface
	p.ifs.mu.Lock()
	defer p.ifs.mu.Unlock()
	st := p.ifs.get(ifc)
	if group.IsUnspecified() {
		st.queryAll = true
	} else {
		if _, ok := st.groups[group]; !ok {
			return
		}
		if st.query == nil {
			st.query = make(map[netip.Addr]struct{})
		}
		st.query[group] = struct{}{}
	}
	d := p.randDelay(maxDelay)
	if st.queryTimer == nil {
		st.queryTimer = p.ns.Clock().AfterFunc(d, func() { p.answerQuery(ifc) })
	} else {
		st.queryTimer.Reset(d)
	}
}

// answerQuery sends the current-state records a query asked for.
func (p *Protocol) answerQuery(ifc *netns.Interface) {
	p.ifs.mu.Lock()
	st := p.ifs.get(ifc)
	var gs []netip.Addr
	for g := range st.groups {
		if _, asked := st.query[g]; st.queryAll || asked {
			gs = append(gs, g)
		}
	}
	st.query, st.queryAll = nil, false
	p.ifs.mu.Unlock()
	if len(gs) > 0 && ifc.IsUp() {
		p.sendReport(ifc, gs, mldModeIsExclude)
	}
}

// sendReport sends MLDv2 reports holding one record of type rec per
// group, from the interface's link-local address (or the unspecified
// address while it has none usable, RFC 3810 5.2.13) to ff02::16 with
// hop limit 1 and a router alert (mld_sendpack).
func (p *Protocol) sendReport(ifc *netns.Interface, groups []netip.Addr, rec int) {
	slices.SortFunc(groups, netip.Addr.Compare)
	src := netip.IPv6Unspecified()
	for _, a := range ifc.Addresses() {
		if a.Addr().Is6() && a.Addr().IsLinkLocalUnicast() && a.Usable() {
			src = a.Addr()
			break
		}
	}
	for len(groups) > 0 {
		n := min(len(groups), mldMaxRecordsPerPkt)
		chunk := groups[:n]
		groups = groups[n:]
		icmpLen := mldReportHeaderLen + n*mldRecordLen
		pkt := pktbuf.New(pktbuf.DefaultHeadroom, routerAlertHopByHop+icmpLen)
		b := pkt.Bytes()
		// Hop-by-hop options: router alert (MLD), PadN.
		copy(b, []byte{wire.ProtoICMPv6, 0, wire.IPv6OptRouterAlert, 2, 0, mldRouterAlertMLDVal, wire.IPv6OptPadN, 0})
		m := wire.ICMPv6(b[routerAlertHopByHop:])
		clear(m[:mldReportHeaderLen])
		m.SetType(wire.ICMPv6MLDv2Report)
		binary.BigEndian.PutUint16(m[6:], uint16(n))
		for i, g := range chunk {
			r := m[mldReportHeaderLen+i*mldRecordLen:]
			r[0], r[1], r[2], r[3] = byte(rec), 0, 0, 0
			a := g.As16()
			copy(r[4:20], a[:])
		}
		m.SetChecksum(m.ComputeChecksum(src, AllMLDv2Routers))
		p.ns.MIB.Inc(netns.ICMP6OutMsgs)
		p.ns.MIB.ICMP6Msg(true, uint8(wire.ICMPv6MLDv2Report))
		rt := netns.RouteResult{Iface: ifc, NextHop: AllMLDv2Routers, Src: src, MTU: ifc.MTU(), Multicast: true}
		_ = p.Output(&rt, &Header{Src: src, Dst: AllMLDv2Routers, NextHeader: wire.ProtoIPv6Hop, HopLimit: 1}, pkt)
	}
}
