package netns

import (
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gosock/gosock/clock"
	"github.com/gosock/gosock/errno"
	"github.com/gosock/gosock/link"
	"github.com/gosock/gosock/pktbuf"
	"github.com/gosock/gosock/wire"
)

// NeighState is a neighbour entry's state, with Linux's NUD_* values.
type NeighState uint8

// Neighbour states (RFC 4861 section 7.3.2, as Linux's neighbour.c).
const (
	NeighIncomplete NeighState = 0x01
	NeighReachable  NeighState = 0x02
	NeighStale      NeighState = 0x04
	NeighDelay      NeighState = 0x08
	NeighProbe      NeighState = 0x10
	NeighFailed     NeighState = 0x20
	NeighNoARP      NeighState = 0x40
	NeighPermanent  NeighState = 0x80
)

// String names the state as `ip neigh` does.
func (s NeighState) String() string {
	switch s {
	case NeighIncomplete:
		return "INCOMPLETE"
	case NeighReachable:
		return "REACHABLE"
	case NeighStale:
		return "STALE"
	case NeighDelay:
		return "DELAY"
	case NeighProbe:
		return "PROBE"
	case NeighFailed:
		return "FAILED"
	case NeighNoARP:
		return "NOARP"
	case NeighPermanent:
		return "PERMANENT"
	}
	return "NONE"
}

// NeighProtocol is the address-resolution protocol behind a neighbour
// table: ARP for IPv4, NDP for IPv6 (Linux's neigh_ops).
type NeighProtocol interface {
	// Solicit sends a request for target's hardware address: broadcast
	// (or to the solicited-node group) when dst is zero, else unicast to
	// dst to re-confirm a known entry. It must not block.
	Solicit(ifc *Interface, target netip.Addr, dst wire.MAC)
	// Unreachable is told of each packet dropped because resolution
	// failed, to answer with ICMP host unreachable as Linux's
	// arp_error_report does; it takes the reference to pkt.
	Unreachable(ifc *Interface, pkt *pktbuf.Buffer)
}

// NeighEntry is one row of a neighbour table, as `ip neigh` shows it.
type NeighEntry struct {
	Addr  netip.Addr
	MAC   wire.MAC
	State NeighState
	// IsRouter is NDP's router flag.
	IsRouter bool
}

// neighEntry is the live entry.
type neighEntry struct {
	mu       sync.Mutex
	addr     netip.Addr
	mac      wire.MAC
	state    NeighState
	isRouter bool
	// confirmed is the clock's UnixNano at the last proof of
	// reachability (Linux's neigh->confirmed). It is atomic so that
	// ConfirmNeighbour, which TCP calls on forward progress, stores it
	// without taking the entry's lock.
	confirmed atomic.Int64
	probes    int
	queue     []*pktbuf.Buffer
	queued    int // bytes
	timer     clock.Timer
}

// NeighTable is one interface's neighbour cache for one IP version.
type NeighTable struct {
	ifc     *Interface
	version int
	proto   NeighProtocol

	mu      sync.Mutex
	entries map[netip.Addr]*neighEntry
}

// SetNeighProtocol installs the resolver for IP version 4 or 6 on every
// interface of the namespace, present and future.
func (ns *Namespace) SetNeighProtocol(version int, p NeighProtocol) {
	ns.mu.Lock()
	ns.neighProto[versionIndex(version)] = p
	ns.mu.Unlock()
}

// Neighbours returns the interface's table for IP version 4 or 6.
func (ifc *Interface) Neighbours(version int) *NeighTable {
	i := versionIndex(version)
	ifc.neighMu.Lock()
	defer ifc.neighMu.Unlock()
	if ifc.neigh[i] == nil {
		ifc.ns.mu.RLock()
		p := ifc.ns.neighProto[i]
		ifc.ns.mu.RUnlock()
		ifc.neigh[i] = &NeighTable{ifc: ifc, version: version, proto: p, entries: make(map[netip.Addr]*neighEntry)}
	}
	return ifc.neigh[i]
}

func (ifc *Interface) flushNeighbours() {
	ifc.neighMu.Lock()
	tables := ifc.neigh
	ifc.neighMu.Unlock()
	for _, t := range tables {
		if t != nil {
			t.Flush()
		}
	}
}

func (t *NeighTable) param(name string) int64 {
	return t.ifc.ns.Sysctl.NeighInt(t.version, t.ifc.Name(), name)
}

func (t *NeighTable) now() time.Time { return t.ifc.ns.clock.Now() }

// Entries returns a snapshot of the table.
func (t *NeighTable) Entries() []NeighEntry {
	t.mu.Lock()
	es := make([]*neighEntry, 0, len(t.entries))
	for _, e := range t.entries {
		es = append(es, e)
	}
	t.mu.Unlock()
	out := make([]NeighEntry, 0, len(es))
	for _, e := range es {
		e.mu.Lock()
		t.age(e)
		out = append(out, NeighEntry{Addr: e.addr, MAC: e.mac, State: e.state, IsRouter: e.isRouter})
		e.mu.Unlock()
	}
	return out
}

// Lookup returns the entry for addr, if any.
func (t *NeighTable) Lookup(addr netip.Addr) (NeighEntry, bool) {
	t.mu.Lock()
	e := t.entries[addr]
	t.mu.Unlock()
	if e == nil {
		return NeighEntry{}, false
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	t.age(e)
	return NeighEntry{Addr: e.addr, MAC: e.mac, State: e.state, IsRouter: e.isRouter}, true
}

// sinceConfirmed is the time since the entry's last proof of
// reachability.
func (t *NeighTable) sinceConfirmed(e *neighEntry) time.Duration {
	return time.Duration(t.now().UnixNano() - e.confirmed.Load())
}

// age moves a REACHABLE entry whose confirmation is older than the
// reachable time to STALE (done lazily instead of with a timer per entry).
func (t *NeighTable) age(e *neighEntry) {
	if e.state == NeighReachable && t.sinceConfirmed(e) > time.Duration(t.param("base_reachable_time_ms"))*time.Millisecond {
		e.state = NeighStale
	}
}

// Add sets a permanent entry (`ip neigh add ... nud permanent`).
func (t *NeighTable) Add(addr netip.Addr, mac wire.MAC) {
	e := t.entry(addr, true)
	e.mu.Lock()
	e.mac, e.state = mac, NeighPermanent
	q := t.takeQueue(e)
	e.mu.Unlock()
	t.flushQueue(q, mac)
}

// Delete removes the entry for addr, dropping packets waiting on it.
func (t *NeighTable) Delete(addr netip.Addr) bool {
	t.mu.Lock()
	e := t.entries[addr]
	delete(t.entries, addr)
	t.mu.Unlock()
	if e == nil {
		return false
	}
	e.mu.Lock()
	q := t.takeQueue(e)
	if e.timer != nil {
		e.timer.Stop()
	}
	e.mu.Unlock()
	for _, p := range q {
		p.Release()
	}
	return true
}

// Flush removes every entry but permanent ones.
func (t *NeighTable) Flush() {
	t.mu.Lock()
	var drop []netip.Addr
	for a, e := range t.entries {
		e.mu.Lock()
		if e.state != NeighPermanent {
			drop = append(drop, a)
		}
		e.mu.Unlock()
	}
	t.mu.Unlock()
	for _, a := range drop {
		t.Delete(a)
	}
}

func (t *NeighTable) entry(addr netip.Addr, create bool) *neighEntry {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.entries[addr]
	if e == nil && create {
		if int64(len(t.entries)) >= t.ifc.ns.Sysctl.NeighInt(t.version, "default", "gc_thresh3") {
			t.evictLocked()
		}
		e = &neighEntry{addr: addr}
		t.entries[addr] = e
	}
	return e
}

// evictLocked makes room by dropping a failed or stale entry, as the
// forced garbage collection at gc_thresh3 does.
func (t *NeighTable) evictLocked() {
	for a, e := range t.entries {
		if e.mu.TryLock() {
			st := e.state
			e.mu.Unlock()
			if st == NeighFailed || st == NeighStale {
				delete(t.entries, a)
				return
			}
		}
	}
}

// Resolve sends pkt (network header at the front) to next hop addr: at
// once if its hardware address is known, else after resolution, queued
// meanwhile up to unres_qlen_bytes (Linux's neigh_resolve_output). It
// takes the reference to pkt; a full queue drops the oldest packet.
func (t *NeighTable) Resolve(addr netip.Addr, proto wire.EtherType, pkt *pktbuf.Buffer) error {
	e := t.entry(addr, true)
	e.mu.Lock()
	t.age(e)
	switch e.state {
	case NeighReachable, NeighPermanent, NeighNoARP, NeighDelay, NeighProbe:
		mac := e.mac
		e.mu.Unlock()
		return t.ifc.TransmitTo(mac, proto, pkt)
	case NeighStale:
		// Use it, and start the delay before re-confirming (RFC 4861
		// 7.3.3): a reply in the meantime, or upper-layer confirmation,
		// saves the probe.
		mac := e.mac
		e.state = NeighDelay
		t.armLocked(e, time.Duration(t.param("delay_first_probe_time"))*time.Second)
		e.mu.Unlock()
		return t.ifc.TransmitTo(mac, proto, pkt)
	}
	// INCOMPLETE, FAILED or new: queue and ask. The resolution sends the
	// queue from another context, whose caller flushes nothing.
	pkt.Protocol = uint16(proto)
	pkt.SenderFlushes = false
	limit := int(t.param("unres_qlen_bytes"))
	var dropped []*pktbuf.Buffer
	for len(e.queue) > 0 && e.queued+pkt.Len() > limit {
		dropped = append(dropped, e.queue[0])
		e.queued -= e.queue[0].Len()
		e.queue = e.queue[1:]
	}
	e.queue = append(e.queue, pkt)
	e.queued += pkt.Len()
	start := e.state != NeighIncomplete
	if start {
		e.state = NeighIncomplete
		e.probes = 0
	}
	var solicit bool
	if start {
		solicit = t.probeLocked(e)
	}
	e.mu.Unlock()
	for _, p := range dropped {
		t.ifc.ns.MIB.Drop(DropNeighQueueFull)
		p.Release()
	}
	if solicit && t.proto != nil {
		t.proto.Solicit(t.ifc, addr, wire.MAC{})
	}
	return nil
}

// probeLocked counts a solicitation and arms the retransmit timer; it
// reports whether the caller should send one.
func (t *NeighTable) probeLocked(e *neighEntry) bool {
	e.probes++
	t.armLocked(e, time.Duration(t.param("retrans_time_ms"))*time.Millisecond)
	return true
}

func (t *NeighTable) armLocked(e *neighEntry, d time.Duration) {
	if e.timer == nil {
		e.timer = t.ifc.ns.clock.AfterFunc(d, func() { t.timeout(e) })
		return
	}
	e.timer.Reset(d)
}

// timeout runs the entry's timer: retransmit a solicitation or give up
// (INCOMPLETE, PROBE), or start probing (DELAY).
func (t *NeighTable) timeout(e *neighEntry) {
	e.mu.Lock()
	var (
		solicit  bool
		unicast  wire.MAC
		failed   []*pktbuf.Buffer
		maxProbe int
	)
	switch e.state {
	case NeighDelay:
		if t.sinceConfirmed(e) < time.Duration(t.param("delay_first_probe_time"))*time.Second {
			e.state = NeighReachable
			break
		}
		e.state = NeighProbe
		e.probes = 0
		fallthrough
	case NeighProbe:
		maxProbe = int(t.param("ucast_solicit"))
		if e.probes >= maxProbe {
			e.state = NeighFailed
			break
		}
		solicit = t.probeLocked(e)
		unicast = e.mac
	case NeighIncomplete:
		maxProbe = int(t.param("mcast_solicit")) + int(t.param("app_solicit"))
		if e.probes >= maxProbe {
			e.state = NeighFailed
			failed = t.takeQueue(e)
			break
		}
		solicit = t.probeLocked(e)
	}
	e.mu.Unlock()
	for _, p := range failed {
		t.ifc.ns.MIB.Drop(DropNeighFailed)
		if t.proto != nil {
			t.proto.Unreachable(t.ifc, p)
		} else {
			p.Release()
		}
	}
	if solicit && t.proto != nil {
		t.proto.Solicit(t.ifc, e.addr, unicast)
	}
}

func (t *NeighTable) takeQueue(e *neighEntry) []*pktbuf.Buffer {
	q := e.queue
	e.queue, e.queued = nil, 0
	return q
}

func (t *NeighTable) flushQueue(q []*pktbuf.Buffer, mac wire.MAC) {
	for _, p := range q {
		_ = t.ifc.TransmitTo(mac, wire.EtherType(p.Protocol), p)
	}
}

// UpdateFlags say what an incoming ARP or NDP message proves, as the
// NEIGH_UPDATE_F_* flags.
type UpdateFlags struct {
	// Solicited: a reply to our request, proving two-way reachability.
	Solicited bool
	// Override: the new address replaces a different known one (ARP
	// replies always; NDP's O flag).
	Override bool
	// Create: make an entry if none exists (a request or unsolicited
	// advertisement addressed to us).
	Create bool
	// IsRouter is NDP's R flag; nil-equivalent when HasRouter is false.
	IsRouter, HasRouter bool
}

// Update records that addr is at mac (Linux's neigh_update): replies
// confirm reachability; other messages leave the entry STALE. Packets
// waiting for the address go out.
func (t *NeighTable) Update(addr netip.Addr, mac wire.MAC, f UpdateFlags) {
	e := t.entry(addr, f.Create)
	if e == nil {
		return
	}
	e.mu.Lock()
	if e.state == NeighPermanent || e.state == NeighNoARP {
		e.mu.Unlock()
		return
	}
	changed := e.mac != mac
	known := e.state&(NeighReachable|NeighStale|NeighDelay|NeighProbe) != 0
	if known && changed && !f.Override {
		// RFC 4861 7.2.5: a non-override advertisement with a different
		// address only marks a REACHABLE entry STALE.
		if e.state == NeighReachable {
			e.state = NeighStale
		}
		e.mu.Unlock()
		return
	}
	e.mac = mac
	if f.HasRouter {
		e.isRouter = f.IsRouter
	}
	switch {
	case f.Solicited:
		e.state = NeighReachable
		e.confirmed.Store(t.now().UnixNano())
		if e.timer != nil {
			e.timer.Stop()
		}
	case !known || changed:
		e.state = NeighStale
		if e.timer != nil {
			e.timer.Stop()
		}
	}
	q := t.takeQueue(e)
	e.mu.Unlock()
	t.flushQueue(q, mac)
}

// Confirm records upper-layer proof that addr is reachable (TCP forward
// progress; Linux's neigh_confirm / dst_confirm_neigh).
func (t *NeighTable) Confirm(addr netip.Addr) {
	e := t.entry(addr, false)
	if e == nil {
		return
	}
	e.mu.Lock()
	e.confirmed.Store(t.now().UnixNano())
	if e.state&(NeighStale|NeighDelay|NeighProbe) != 0 {
		e.state = NeighReachable
	}
	e.mu.Unlock()
}

// ConfirmNeighbour records that traffic through ifc to nextHop makes
// forward progress (a TCP ACK for new data), which proves the neighbour
// reachable as well as a solicited reply would: Linux's neigh_confirm,
// reached from tcp_ack's sk_dst_confirm on the next transmit. It only
// stores the time in an existing entry, without the entry's lock or any
// allocation, so a busy connection calls it freely; the entry then stays
// REACHABLE (age), or a DELAY entry returns to REACHABLE instead of
// probing (timeout), and a busy path is never re-resolved. Entries in
// other states, and interfaces that resolve nothing, are left alone. at is
// the time of the forward progress, a reading of the namespace's clock.
func (ifc *Interface) ConfirmNeighbour(nextHop netip.Addr, at time.Time) {
	if ifc.dev.Type() != link.TypeEthernet || ifc.IsLoopback() || nextHop.IsMulticast() {
		return
	}
	version := 4
	if nextHop.Is6() {
		version = 6
	}
	t := ifc.Neighbours(version)
	if e := t.entry(nextHop, false); e != nil {
		if now := at.UnixNano(); e.confirmed.Load() != now {
			e.confirmed.Store(now)
		}
	}
}

// OutputIP sends an IP packet (network header at the front) through ifc
// towards nextHop, adding the link header: broadcast and multicast
// hardware addresses are computed, unicast ones resolved through the
// neighbour table; loopback and raw-IP devices need none. It takes the
// reference to pkt.
func (ifc *Interface) OutputIP(nextHop netip.Addr, pkt *pktbuf.Buffer) error {
	proto := wire.EtherTypeIPv4
	version := 4
	if nextHop.Is6() {
		proto, version = wire.EtherTypeIPv6, 6
	}
	if ifc.dev.Type() != link.TypeEthernet {
		pkt.Protocol = uint16(proto)
		return ifc.TransmitFrame(pkt)
	}
	switch {
	case ifc.IsLoopback() || ifc.dev.Flags()&link.FlagNoARP != 0:
		return ifc.TransmitTo(wire.MAC{}, proto, pkt)
	case nextHop.IsMulticast():
		return ifc.TransmitTo(MulticastMAC(nextHop), proto, pkt)
	case version == 4 && ifc.isBroadcast4(nextHop):
		return ifc.TransmitTo(wire.BroadcastMAC, proto, pkt)
	}
	if !ifc.IsUp() {
		pkt.Release()
		return errno.ENETDOWN
	}
	return ifc.Neighbours(version).Resolve(nextHop, proto, pkt)
}

func (ifc *Interface) isBroadcast4(a netip.Addr) bool {
	if a == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return true
	}
	for _, x := range ifc.Addresses() {
		if x.Broadcast == a {
			return true
		}
	}
	return false
}

// IsBroadcast4 reports whether a is the limited broadcast address or the
// subnet broadcast address of one of the interface's IPv4 addresses.
func (ifc *Interface) IsBroadcast4(a netip.Addr) bool { return ifc.isBroadcast4(a) }

// MulticastMAC maps an IP multicast group to its Ethernet address
// (RFC 1112 section 6.4, RFC 2464 section 7).
func MulticastMAC(group netip.Addr) wire.MAC {
	b := group.As16()
	if group.Is4() {
		return wire.MAC{0x01, 0x00, 0x5e, b[13] & 0x7f, b[14], b[15]}
	}
	return wire.MAC{0x33, 0x33, b[12], b[13], b[14], b[15]}
}
