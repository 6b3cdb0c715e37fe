package tcp

import (
	"net/netip"
	"time"

	"github.com/gosock/gosock/clock"
	"github.com/gosock/gosock/netns"
	"github.com/gosock/gosock/wire"
)

// A connection the user closed is swapped for a compact record when it
// enters TIME-WAIT (twsock.go, Linux's inet_timewait_sock); one whose
// socket the user still holds stays in TIME-WAIT as the connection
// itself until close(2) swaps it too. This file holds the two ways a new
// connection may take over a 4-tuple in TIME-WAIT before 2MSL, for the
// connection; twsock.go has them for the record.

// timeWaitSyn lets a new SYN reopen a connection in TIME-WAIT when it
// cannot belong to the old one (tcp_timewait_state_process, TCP_TW_SYN):
// its sequence number lies beyond everything the old connection
// received, or, with timestamps, its timestamp is newer than the last
// one seen. The TIME-WAIT connection then ends, and a listener on the
// port answers the SYN with an initial sequence number beyond the old
// connection's (snd_nxt + 65535 + 2). It reports whether the SYN was
// taken; if not (no listener, or an old duplicate), the TIME-WAIT
// processing goes on. Called with c.mu held; takes the listener's lock
// after it (a listener never locks a connection in TIME-WAIT).
func (c *conn) timeWaitSyn(s *segment, local, remote netip.AddrPort) bool {
	if !s.has(wire.TCPFlagSYN) || s.has(wire.TCPFlagRST|wire.TCPFlagACK) {
		return false
	}
	sawTS := s.opts.HasTimestamps
	if c.tsOK && sawTS && int32(s.opts.TSVal-c.tsRecent) < 0 {
		return false // PAWS rejects it
	}
	newer := int32(s.seq-c.rcvNxt) > 0 || c.tsOK && sawTS && int32(c.tsRecent-s.opts.TSVal) < 0
	if !newer {
		return false
	}
	isn := c.sndNxt + 65535 + 2
	if isn == 0 {
		isn = 1
	}
	c.p.unhash(c)
	l := c.p.lookup(local, remote, c.sk.Addrs().Dev)
	if l == nil || l == c {
		c.p.hash(c)
		return false
	}
	// The old incarnation is gone (inet_twsk_deschedule_put).
	c.orphan = true
	c.done()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.state != Listen {
		return true
	}
	l.connRequest(s, local, remote, isn)
	return true
}

// reuseTimeWait lets connect take a 4-tuple held by a connection in
// TIME-WAIT (tcp_twsk_unique): only if the old connection used
// timestamps, so PAWS tells the incarnations apart; for a port bound
// explicitly, always then; for one connect chose, only with
// net.ipv4.tcp_tw_reuse (2: loopback traffic only) once
// tcp_tw_reuse_delay has passed since TIME-WAIT began. The old
// connection ends, and the new one's ISN and timestamp state continue
// from it. It reports whether c may now be hashed, with the ISN to use.
// Called with c.mu held.
func (p *Protocol) reuseTimeWait(c *conn, bound bool) (uint32, uint32, bool) {
	p.mu.RLock()
	tw := p.conns.get(c.local, c.remote)
	rec := p.tws.get(c.local, c.remote)
	p.mu.RUnlock()
	if rec != nil {
		return rec.reuse(bound) // a record the user closed (twsock.go)
	}
	if tw == nil || tw == c {
		return 0, 0, false
	}
	tw.mu.Lock()
	defer tw.mu.Unlock()
	if tw.state != TimeWait || !tw.tsOK {
		return 0, 0, false
	}
	if !bound {
		reuse := p.ns.Sysctl.Int(netns.TCPTwReuse)
		if reuse == 2 && !tw.local.Addr().IsLoopback() && !tw.remote.Addr().IsLoopback() {
			reuse = 0
		}
		delay := time.Duration(p.ns.Sysctl.Int(netns.TCPTwReuseDelay)) * time.Millisecond
		if reuse == 0 || tw.now().Sub(tw.twStamp) <= delay {
			return 0, 0, false
		}
	}
	isn := tw.sndNxt + 65535 + 2
	if isn == 0 {
		isn = 1
	}
	tsRecent := tw.tsRecent
	tw.orphan = true
	tw.done()
	p.ns.MIB.Inc(netns.TCPExtTWRecycled)
	return isn, tsRecent, true
}

// shedTimers stops and drops the timers a connection entering TIME-WAIT
// no longer needs: the delayed-ACK, keepalive, loss-probe and reordering
// timers (TIME-WAIT acknowledges at once, probes nothing and never
// retransmits). Linux swaps the socket for a small inet_timewait_sock
// with one timer; gosock keeps the connection, but need not keep its
// timers, each a runtime timer and a closure, for the 60 seconds: a
// server closing connections at a high rate holds one TIME-WAIT
// connection per connection closed in the last minute. The retransmission
// timer stays (stopped), as paths not guarded against its absence
// reference it; the 2MSL timer is armed after this.
func (c *conn) shedTimers() {
	c.stopReo()
	for _, t := range []*clock.Timer{&c.lr.reoTimer, &c.delackTimer, &c.keepTimer, &c.tlpTimer} {
		if *t != nil {
			clock.Halt(*t)
			*t = nil
		}
	}
	if c.rtoTimer != nil {
		clock.Halt(c.rtoTimer)
	}
}
