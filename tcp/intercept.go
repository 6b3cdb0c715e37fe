package tcp

import (
	"net/netip"
	"slices"

	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/waitq"
	"github.com/gosock/gosock/wire"
)

// Transparent proxying: the namespace's steering rules (netns
// InterceptRule, Linux's TPROXY target) hand connections for addresses
// the namespace does not own to an IP_TRANSPARENT listener. The child's
// local address is the SYN's original destination, so getsockname on
// the accepted socket reports it, as on Linux.

// maxDeferredInFlight bounds the deferred handshakes accept has started
// and not yet seen finish: a peer that never answers its SYN-ACK holds
// one slot until the child gives up, and the others keep going.
const maxDeferredInFlight = 4

// deferQueue is a listener's queue of SYNs whose handshake waits for the
// application to accept (InterceptRule.Defer). Guarded by the
// listener's mu.
type deferQueue struct {
	pending []deferredSyn
}

// deferredSyn is one held connection request.
type deferredSyn struct {
	seg           segment // the SYN, without payload
	local, remote netip.AddrPort
}

// steerLookup is the socket lookup with the steering rules in front, as
// TPROXY runs before the socket lookup (nf_tproxy_get_sock_v4): for a
// matching segment an existing connection of the 4-tuple takes it, else
// the transparent listener at the rule's target does. A non-nil ic says
// a rule matched: a nil conn then means drop (TPROXY drops rather than
// reset).
func (p *Protocol) steerLookup(local, remote netip.AddrPort, ifindex int) (c *conn, tw *twSock, ic *netns.Intercept) {
	ic = p.ns.MatchIntercept(wire.ProtoTCP, ifindex, local.Addr(), local.Port())
	if ic == nil {
		c, tw = p.lookupTW(local, remote, ifindex, true)
		return c, tw, nil
	}
	ic.Stats.Matched.Add(1)
	p.mu.RLock()
	c = p.conns.get(local, remote)
	if c == nil {
		tw = p.tws.get(local, remote) // a record in TIME-WAIT (twsock.go)
	}
	p.mu.RUnlock()
	if c != nil || tw != nil {
		return c, tw, ic
	}
	if l := p.steeredListener(ic, local, remote, ifindex); l != nil {
		return l, nil, ic
	}
	ic.Stats.NoSocket.Add(1)
	return nil, nil, ic
}

// steeredListener finds the transparent listener at the rule's target
// for a segment to local from remote, or nil.
func (p *Protocol) steeredListener(ic *netns.Intercept, local, remote netip.AddrPort, ifindex int) *conn {
	l := p.lookup(ic.Target(local.Addr(), local.Port()), remote, ifindex)
	if l == nil || !l.sk.Listening() || !l.sk.Transparent() {
		return nil
	}
	return l
}

// steeredInput processes a segment that steerLookup found a socket for;
// ic is the rule that matched, or nil. A SYN for a transparent listener
// meets the rule's pending-queue policy first. Called with c.mu held.
func (c *conn) steeredInput(s *segment, local, remote netip.AddrPort, ic *netns.Intercept) {
	if c.deferQ != nil && c.state == Listen && s.flags&wire.TCPFlagSYN == 0 {
		// accept may have answered a held SYN on another goroutine while
		// this segment, the handshake's ACK, waited for the listener's
		// lock: the child is in the table now. Its lock comes before
		// ours, so ours is let go meanwhile.
		c.p.mu.RLock()
		child := c.p.conns.get(local, remote)
		c.p.mu.RUnlock()
		if child != nil {
			c.mu.Unlock()
			child.mu.Lock()
			child.input(s, local, remote)
			child.mu.Unlock()
			c.mu.Lock()
			return
		}
	}
	pureSyn := s.flags&(wire.TCPFlagSYN|wire.TCPFlagACK|wire.TCPFlagRST) == wire.TCPFlagSYN
	if ic != nil && pureSyn && c.state == TimeWait {
		if l := c.p.steeredListener(ic, local, remote, c.sk.Addrs().Dev); l != nil {
			// A SYN for a connection in TIME-WAIT goes to the transparent
			// listener, and the old incarnation ends
			// (nf_tproxy_handle_time_wait4): the client reused its port.
			// The listener's lock comes after the connection's.
			c.p.unhash(c)
			c.orphan = true
			c.done()
			l.mu.Lock()
			if l.state == Listen {
				l.steeredInput(s, local, remote, ic)
			}
			l.mu.Unlock()
			return
		}
	}
	if ic == nil || c.state != Listen || !pureSyn {
		c.input(s, local, remote)
		return
	}
	r := &ic.Rule
	if !r.Defer {
		// The pending connections are those in SYN-RECEIVED and those
		// established and not yet accepted (sk_acceptq_is_full counting
		// the request queue too), so the bound holds at SYN time.
		if len(c.acceptQ)+c.synRecvs > c.backlog {
			ic.Stats.Overflows.Add(1)
			if r.Overflow == netns.OverflowRefuse {
				c.refuse(s, local, remote, ic)
				return
			}
		} else {
			ic.Stats.Steered.Add(1)
		}
		c.input(s, local, remote) // a full queue drops it, counted ListenOverflows
		return
	}
	if c.deferQ == nil {
		c.deferQ = &deferQueue{}
	}
	q := c.deferQ
	if slices.ContainsFunc(q.pending, func(d deferredSyn) bool { return d.local == local && d.remote == remote }) {
		return // a retransmitted SYN: the first one is still waiting
	}
	if len(q.pending) >= r.Pending {
		ic.Stats.Overflows.Add(1)
		c.p.ns.MIB.Inc(netns.TCPExtListenOverflows)
		c.p.ns.MIB.Inc(netns.TCPExtListenDrops)
		if r.Overflow == netns.OverflowRefuse {
			c.refuse(s, local, remote, ic)
		}
		return
	}
	held := *s
	held.payload = nil // data on a SYN is not kept; the peer sends it again
	q.pending = append(q.pending, deferredSyn{seg: held, local: local, remote: remote})
	ic.Stats.Steered.Add(1)
	c.notify(waitq.EventIn | waitq.EventRdNorm)
}

// refuse answers a SYN the rule's policy turns away with a reset.
func (c *conn) refuse(s *segment, local, remote netip.AddrPort, ic *netns.Intercept) {
	ic.Stats.Refused.Add(1)
	c.p.sendResetFor(s, local, remote)
}

// startDeferred begins the handshake of the oldest held SYN when accept
// finds no established connection, so a connection completes only when
// the application asks for one. It reports whether one was started.
// Called with c.mu held.
func (c *conn) startDeferred() bool {
	q := c.deferQ
	if q == nil || len(q.pending) == 0 || c.synRecvs >= maxDeferredInFlight {
		return false
	}
	d := q.pending[0]
	q.pending[0] = deferredSyn{}
	q.pending = q.pending[1:]
	if len(q.pending) == 0 {
		q.pending = nil
	}
	c.listenInput(&d.seg, d.local, d.remote)
	return true
}

// deferredPending returns how many SYNs wait for accept.
func (c *conn) deferredPending() int {
	if c.deferQ == nil {
		return 0
	}
	return len(c.deferQ.pending)
}

// OwnsNonlocal is the early demux for steered connections
// (netns.NonlocalDemuxer): a connection accepted through a rule keeps
// receiving its segments after the rule is removed.
func (h handler) OwnsNonlocal(local, remote netip.AddrPort) bool {
	h.p.mu.RLock()
	defer h.p.mu.RUnlock()
	return h.p.conns.get(local, remote) != nil || h.p.tws.get(local, remote) != nil
}
