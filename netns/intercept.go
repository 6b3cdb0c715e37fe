package netns

import (
	"errors"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
)

// PortRange is an inclusive range of transport ports.
type PortRange struct{ First, Last uint16 }

// Contains reports whether port is in the range.
func (r PortRange) Contains(port uint16) bool { return port >= r.First && port <= r.Last }

// Overflow says what happens to a new flow when the transparent socket's
// pending queue is full.
type Overflow uint8

// Overflow policies.
const (
	// OverflowDrop drops the SYN, as a full Linux accept queue does
	// (tcp_abort_on_overflow 0): the client retransmits it later.
	OverflowDrop Overflow = iota
	// OverflowRefuse answers the SYN with a reset at once, so the client
	// learns that the proxy is saturated instead of waiting.
	OverflowRefuse
)

// InterceptRule steers inbound packets to a transparent socket instead of
// the routing decision, as Linux's TPROXY target together with its policy
// routing (`ip rule add fwmark … lookup T`, `ip route add local 0/0 dev
// lo table T`) does: a matching packet for an address this namespace does
// not own is delivered locally, and the transport hands it to the
// IP_TRANSPARENT socket bound to OnAddr:OnPort instead of answering a
// reset or an ICMP port unreachable. The socket sees the packet's
// original destination as its local address.
type InterceptRule struct {
	// Protocol is the transport: wire.ProtoTCP (6) or wire.ProtoUDP (17).
	Protocol uint8
	// Prefixes are the destinations intercepted; none means every one.
	Prefixes []netip.Prefix
	// Ports are the destination ports intercepted; none means every one.
	Ports []PortRange
	// Iface, if not zero, limits the rule to packets arriving on that
	// interface (iptables' -i), so the namespace's own traffic is left
	// alone.
	Iface int
	// OnAddr is the transparent socket's address (TPROXY --on-ip); the
	// zero Addr keeps the packet's destination address, so a socket bound
	// to the wildcard address takes it.
	OnAddr netip.Addr
	// OnPort is the transparent socket's port (TPROXY --on-port); zero
	// keeps the packet's destination port.
	OnPort uint16

	// Defer holds a TCP connection's handshake until the application
	// accepts it: SYNs wait in a queue of at most Pending entries and
	// are answered when accept takes them. Without Defer the handshake
	// completes in the stack and the socket's accept queue (its listen
	// backlog) bounds the pending connections, as Linux's.
	Defer bool
	// Pending bounds the deferred-SYN queue; zero means 128.
	Pending int
	// Overflow is the policy for a flow that finds the queue full.
	Overflow Overflow
	// Priority orders the rules: lower values are consulted first, and
	// rules of equal priority in the order they were added (iptables -I
	// versus -A).
	Priority int
}

// InterceptStats count what a rule did; the transports update them.
type InterceptStats struct {
	// Matched counts packets that matched the rule at the transport.
	Matched atomic.Uint64
	// Steered counts flows (TCP SYNs, new UDP flows' datagrams) handed to
	// the transparent socket.
	Steered atomic.Uint64
	// NoSocket counts matching packets dropped because no transparent
	// socket was bound to the rule's target (TPROXY drops them too).
	NoSocket atomic.Uint64
	// Overflows counts new flows turned away because the pending queue
	// was full, dropped or refused by the rule's Overflow policy.
	Overflows atomic.Uint64
	// Refused counts resets sent for OverflowRefuse.
	Refused atomic.Uint64
}

// Intercept is an installed rule: the rule and its counters.
type Intercept struct {
	// Rule is the rule as installed; it must not be modified.
	Rule InterceptRule
	// Stats are its counters.
	Stats InterceptStats
	id    uint64
}

// ID identifies the rule for RemoveIntercept.
func (ic *Intercept) ID() uint64 { return ic.id }

// Target returns the socket address a matching packet for dst is steered
// to: OnAddr (or dst) and OnPort (or dport).
func (ic *Intercept) Target(dst netip.Addr, dport uint16) netip.AddrPort {
	a, p := ic.Rule.OnAddr, ic.Rule.OnPort
	if !a.IsValid() {
		a = dst
	}
	if p == 0 {
		p = dport
	}
	return netip.AddrPortFrom(a, p)
}

func (ic *Intercept) match(proto uint8, ifindex int, dst netip.Addr, dport uint16, portKnown bool) bool {
	r := &ic.Rule
	if r.Protocol != proto || (r.Iface != 0 && r.Iface != ifindex) {
		return false
	}
	if len(r.Prefixes) > 0 && !slices.ContainsFunc(r.Prefixes, func(p netip.Prefix) bool { return p.Contains(dst) }) {
		return false
	}
	if !portKnown || len(r.Ports) == 0 {
		return true
	}
	return slices.ContainsFunc(r.Ports, func(pr PortRange) bool { return pr.Contains(dport) })
}

// interceptTable is the namespace's rule list: an immutable slice
// replaced on change, so the packet path reads it with one atomic load.
type interceptTable struct {
	mu     sync.Mutex
	rules  atomic.Pointer[[]*Intercept]
	nextID uint64
	// used says a rule was ever installed: only then can a flow have a
	// non-local address, so only then is the transport asked.
	used atomic.Bool
}

// ErrBadIntercept is returned for a rule with an unknown protocol or an
// invalid prefix or port range.
var ErrBadIntercept = errors.New("netns: invalid intercept rule")

// AddIntercept installs a steering rule and returns it, with its counters.
// Rules are consulted by Priority, then in the order they were added; the
// first match wins.
func (ns *Namespace) AddIntercept(r InterceptRule) (*Intercept, error) {
	if r.Protocol != 6 && r.Protocol != 17 {
		return nil, ErrBadIntercept
	}
	for _, p := range r.Prefixes {
		if !p.IsValid() {
			return nil, ErrBadIntercept
		}
	}
	for _, pr := range r.Ports {
		if pr.First > pr.Last {
			return nil, ErrBadIntercept
		}
	}
	if r.Pending <= 0 {
		r.Pending = 128
	}
	r.Prefixes = slices.Clone(r.Prefixes)
	for i, p := range r.Prefixes {
		r.Prefixes[i] = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()).Masked()
	}
	r.Ports = slices.Clone(r.Ports)
	t := &ns.intercepts
	t.mu.Lock()
	defer t.mu.Unlock()
	t.nextID++
	ic := &Intercept{Rule: r, id: t.nextID}
	var old []*Intercept
	if p := t.rules.Load(); p != nil {
		old = *p
	}
	next := append(slices.Clip(old), ic)
	slices.SortStableFunc(next, func(a, b *Intercept) int { return a.Rule.Priority - b.Rule.Priority })
	t.rules.Store(&next)
	t.used.Store(true)
	return ic, nil
}

// RemoveIntercept uninstalls the rule with the given ID; it reports
// whether there was one.
func (ns *Namespace) RemoveIntercept(id uint64) bool {
	t := &ns.intercepts
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.rules.Load()
	if p == nil {
		return false
	}
	i := slices.IndexFunc(*p, func(ic *Intercept) bool { return ic.id == id })
	if i < 0 {
		return false
	}
	next := slices.Delete(slices.Clone(*p), i, i+1)
	t.rules.Store(&next)
	return true
}

// Intercepts returns the installed rules, in match order.
func (ns *Namespace) Intercepts() []*Intercept {
	if p := ns.intercepts.rules.Load(); p != nil {
		return slices.Clone(*p)
	}
	return nil
}

// MatchIntercept returns the first rule that steers a packet of the
// transport proto arriving on ifindex for dst:dport, or nil. Transports
// call it for every segment or datagram before their socket lookup; with
// no rules it is one atomic load.
func (ns *Namespace) MatchIntercept(proto uint8, ifindex int, dst netip.Addr, dport uint16) *Intercept {
	p := ns.intercepts.rules.Load()
	if p == nil {
		return nil
	}
	dst = dst.Unmap()
	for _, ic := range *p {
		if ic.match(proto, ifindex, dst, dport, true) {
			return ic
		}
	}
	return nil
}

// NonlocalDemuxer is implemented by a transport (TransportProtocol)
// that can tell whether it has a socket for a flow whose local address
// is not the namespace's: a connection accepted through a steering rule.
// Its packets keep being delivered after the rule is gone, as Linux's
// early demux finds the established socket before the routing decision.
type NonlocalDemuxer interface {
	// OwnsNonlocal reports whether a socket exists for the flow. It runs
	// on the receive path and must not block.
	OwnsNonlocal(local, remote netip.AddrPort) bool
}

// InterceptsNonlocal reports whether the network layer should deliver a
// packet from src:sport for dst:dport, an address the namespace does not
// own, to its transport: because a rule intercepts it (the policy-routing
// half of TPROXY) or because the transport has a socket for the flow.
// portKnown is false for a non-first fragment, whose ports the network
// layer cannot see: then the rule's prefixes alone decide, and the
// transport checks the port after reassembly.
func (ns *Namespace) InterceptsNonlocal(proto uint8, ifindex int, src netip.Addr, sport uint16, dst netip.Addr, dport uint16, portKnown bool) bool {
	if !ns.intercepts.used.Load() {
		return false
	}
	dst = dst.Unmap()
	if p := ns.intercepts.rules.Load(); p != nil {
		for _, ic := range *p {
			if ic.match(proto, ifindex, dst, dport, portKnown) {
				return true
			}
		}
	}
	if !portKnown {
		return false
	}
	v := 4
	if dst.Is6() {
		v = 6
	}
	d, ok := ns.Transport(v, proto).(NonlocalDemuxer)
	return ok && d.OwnsNonlocal(netip.AddrPortFrom(dst, dport), netip.AddrPortFrom(src.Unmap(), sport))
}
